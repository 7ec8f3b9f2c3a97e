// Handlers of the consents channels: the consents table, a consent's detail, grant/supersede/revoke, FHIR
// export to the data folder (a worker job) and patient search (access.check is main/access/handlers.ts). Errors name
// fields, never PHI values.
import type { HandlersFor } from '../api/channel';
import type { consentsChannels, ConsentDetail, ConsentForm } from '../api/consents';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import type { RequestContext } from '../runtime/dispatcher';
import { validateConsentFields, type ConsentDraft, type ConsentFieldValues } from './draft';
import { saveWithDialog, type FileDialogs } from '../runtime/file-transfer';
import type { JobRunner } from '../workers/job-runner';
import { consentExportFile, consentExportInfo, EXPORT_JOB_KIND, newExportPath, type ExportJobParams } from './export-job';
import { ConsentSealer } from './ledger-seal';
import { exportConsentProof, type ConsentChainAccess } from './proof-export';
import { loadOrCreateFacilitySecret, Pseudonymizer } from './pseudonym';
import { consentDetail, listConsents, searchPatients } from './queries';
import { ConsentStore } from './store';
import { ConsentWrites } from './writes';

export interface ConsentsDeps {
  db: Db;
  dataDir: string;
  /** Runs the FHIR export job (kind consents.exportFhir). */
  jobs?: Pick<JobRunner, 'start' | 'cancel'>;
  /** Electron's save dialog, for consents.saveExport. */
  dialogs?: FileDialogs;
  /** The clock (tests pin it). */
  now?: () => Date;
  /** The chain, for consents.proof (the composition root's ChainRuntime through consentChainAccessOf). */
  chain?: () => ConsentChainAccess;
}

const FORM_FIELDS: Record<keyof ConsentForm, keyof ConsentFieldValues> = {
  externalId: 'external_id',
  facility: 'facility',
  mrn: 'mrn',
  patientName: 'patient_name',
  birthDate: 'birth_date',
  grantee: 'grantee',
  granteeKind: 'grantee_kind',
  decision: 'decision',
  purpose: 'purpose',
  category: 'category',
  periodStart: 'period_start',
  periodEnd: 'period_end',
  documentHash: 'document_hash',
};
const FIELD_OF_COLUMN = Object.fromEntries(Object.entries(FORM_FIELDS).map(([field, column]) => [column, field]));

/** The grant form through the same checks as an imported row; problems come back per form field. */
export function draftFromForm(form: ConsentForm, today?: string): ConsentDraft {
  const values: ConsentFieldValues = {};
  for (const [field, column] of Object.entries(FORM_FIELDS)) {
    const v = form[field as keyof ConsentForm];
    if (v !== undefined) values[column] = v;
  }
  const result = validateConsentFields(values, today);
  if (!result.ok) {
    const issues = result.problems.map((p) => ({ field: FIELD_OF_COLUMN[p.column] ?? p.column, message: p.reason }));
    throw new AppError('VALIDATION_FAILED', `The consent form has problems: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`, { issues });
  }
  return result.draft;
}

/**
 * "Re-apply mine" for the sync domain's conflicts (sync.resolveConflict): the consents write path, handed to the sync
 * handlers by the composition root. The facility secret is read on the first use, like the other writes.
 */
export function consentReapplier(deps: Pick<ConsentsDeps, 'db' | 'dataDir'>): (lost: { conflictId: number; consentId: number; revoked: boolean; winningHlc: string | null }, actor: string) => number {
  let writes: ConsentWrites | null = null;
  return (lost, actor) => (writes ??= new ConsentWrites(deps.db, new ConsentStore(deps.db, new Pseudonymizer(loadOrCreateFacilitySecret(deps.dataDir))))).reapply(lost, actor);
}

export function createConsentsHandlers(deps: ConsentsDeps): HandlersFor<Omit<typeof consentsChannels, 'access.check'>, RequestContext> {
  const { db } = deps;
  const clock = deps.now ?? (() => new Date());
  const nowSec = () => Math.floor(clock().getTime() / 1000);
  let writes: ConsentWrites | null = null;
  // The facility secret is read on the first write, not at start-up: browsing needs no secret.
  const writer = () => (writes ??= new ConsentWrites(db, new ConsentStore(db, new Pseudonymizer(loadOrCreateFacilitySecret(deps.dataDir)))));
  let sealer: ConsentSealer | null = null;
  const detail = (id: number): ConsentDetail => {
    const d = consentDetail(db, id, nowSec());
    if (!d) throw new AppError('NOT_FOUND', `There is no consent ${id}.`);
    return d;
  };

  const audited = (ctx: RequestContext, d: ConsentDetail): ConsentDetail => {
    ctx.audit({ patientId: d.patient.id, subject: `consent:${d.id}` });
    return d;
  };

  return {
    'consents.list': ({ limit, before, sort, ...filter }) => listConsents(db, filter, limit, before ?? null, nowSec(), sort),
    'consents.get': ({ id }, ctx) => audited(ctx, detail(id)),
    'consents.grant': (form, ctx) => audited(ctx, detail(writer().grant(draftFromForm(form), ctx.principal.id))),
    'consents.supersede': ({ id, consent }, ctx) => audited(ctx, detail(writer().supersede(id, draftFromForm(consent), ctx.principal.id))),
    'consents.revoke': ({ id, reason }, ctx) => {
      writer().revoke(id, reason, ctx.principal.id);
      return audited(ctx, detail(id));
    },
    'consents.proof': async ({ id }, ctx) => {
      const d = detail(id);
      // An opening of one change: a read of the patient's consent, audited as such (with the transaction it proves).
      sealer ??= new ConsentSealer(loadOrCreateFacilitySecret(deps.dataDir));
      const bundle = await exportConsentProof(db, id, sealer, deps.chain?.() ?? { unavailable: 'no chain is configured' }, clock());
      ctx.audit({ patientId: d.patient.id, subject: `consent:${id}`, details: { patientIds: [d.patient.id], proof: bundle.chain.txHash, block: bundle.chain.blockNumber } });
      return bundle;
    },
    'consents.exportFhir': (selection, ctx) => {
      const params: ExportJobParams = { selection, file: newExportPath(deps.dataDir, clock()), now: nowSec() };
      if (!deps.jobs) throw new AppError('JOB_FAILED', 'Exports need the job runner.');
      const job = deps.jobs.start(EXPORT_JOB_KIND, params);
      // The selection's shape only: a filter's search text may be a patient's name.
      const by = 'ids' in selection ? { ids: selection.ids.length } : { filter: Object.keys(selection.filter).sort() };
      ctx.audit({ subject: `export:${job.id}`, details: { selection: by } });
      return { exportId: job.id, jobId: job.id };
    },
    'consents.exportGet': ({ exportId }) => consentExportInfo(db, exportId),
    'consents.exportCancel': ({ exportId }, ctx) => {
      consentExportInfo(db, exportId); // only an export job: NOT_FOUND for any other id
      ctx.audit({ subject: `export:${exportId}` });
      return { cancelled: deps.jobs?.cancel(exportId) ?? false };
    },
    'consents.exportFile': ({ exportId }, ctx) => {
      ctx.audit({ subject: `export:${exportId}` });
      return consentExportFile(db, deps.dataDir, exportId);
    },
    'consents.saveExport': ({ exportId }, ctx) => {
      ctx.audit({ subject: `export:${exportId}` });
      return saveWithDialog(deps.dialogs, consentExportFile(db, deps.dataDir, exportId));
    },
    'patients.search': ({ query, limit }) => searchPatients(db, query, limit),
  };
}
