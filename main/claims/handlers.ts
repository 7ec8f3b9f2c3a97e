// Handlers of the claims channels: list and detail, check (and submit) one claim from the form, bulk imports as
// 'import.claims' jobs, and whether this chain has a ClaimsLedger. Errors name fields, never PHI values.
import fs from 'node:fs';
import path from 'node:path';
import type { HandlersFor } from '../api/channel';
import type { claimsChannels, ClaimFileCheckRow, ClaimForm, ClaimImportRunView } from '../api/claims';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { loadOrCreateFacilitySecret, Pseudonymizer } from '../consents/pseudonym';
import type { RequestContext } from '../runtime/dispatcher';
import type { JobRunner } from '../workers/job-runner';
import { checkableOf, SqlPrecheckContext } from './context';
import { parseClaimFields, type ClaimColumn, type ClaimFieldValues } from './fields';
import { CLAIM_IMPORT_JOB_KIND } from './job';
import { checkClaimsFile } from './pipeline';
import { precheckClaim } from './precheck';
import { setPayerAddress } from './payers';
import { claimDetail, listClaims } from './queries';
import { createClaimImportRun, type ClaimImportCounts } from './runs';
import { resolveFormat } from '../imports/preview';
import type { ImportFormat } from '../imports/runs';
import { listRuns, runState, setRunJob } from '../imports/run-table';
import { insertClaim } from './store';

export interface ClaimsDeps {
  db: Db;
  dataDir: string;
  jobs: JobRunner;
  /** The file behind an upload id for its owner (UPLOAD_NOT_FOUND otherwise): imports never take a path. */
  incoming: (uploadId: string, owner: string) => { path: string; fileName: string };
  /** The ClaimsLedger address of the connected chain, or null (none configured, or offline). */
  ledgerAddress: () => string | null;
  now?: () => Date;
}

const FORM_COLUMNS: Record<keyof ClaimForm, ClaimColumn> = {
  claimId: 'claim_id',
  facility: 'facility',
  mrn: 'mrn',
  renderingNpi: 'rendering_npi',
  payerId: 'payer_id',
  serviceDate: 'service_date',
  codes: 'codes',
  amount: 'amount',
};
const FIELD_OF_COLUMN = Object.fromEntries(Object.entries(FORM_COLUMNS).map(([f, c]) => [c, f]));

/** Creates the run and starts its job; shared by the API and the CLI. */
export function startClaimImport(db: Db, jobs: JobRunner, file: string, startedBy: string, dryRun = false, format?: ImportFormat): { runId: number; jobId: string } {
  const resolved = path.resolve(file);
  let size: number;
  try {
    const stat = fs.statSync(resolved);
    if (!stat.isFile()) throw new Error('not a file');
    size = stat.size;
  } catch {
    throw new AppError('IMPORT_FILE_NOT_FOUND', `There is no readable file named ${path.basename(resolved)} any more.`);
  }
  const runId = createClaimImportRun(db, { filePath: resolved, fileName: path.basename(resolved), fileSize: size, startedBy, dryRun, format: resolveFormat(resolved, format) });
  const job = jobs.start(CLAIM_IMPORT_JOB_KIND, { runId });
  setRunJob(db, runId, job.id);
  return { runId, jobId: job.id };
}

export function createClaimsHandlers(deps: ClaimsDeps): HandlersFor<typeof claimsChannels, RequestContext> {
  const { db } = deps;
  const clock = deps.now ?? (() => new Date());
  let pseudonymizer: Pseudonymizer | null = null;
  const pseudonyms = () => (pseudonymizer ??= new Pseudonymizer(loadOrCreateFacilitySecret(deps.dataDir)));

  return {
    'claims.list': ({ limit, before, ...filter }) => listClaims(db, filter, limit, before ?? null),
    'claims.get': ({ id }, ctx) => {
      const d = claimDetail(db, id);
      if (!d) throw new AppError('NOT_FOUND', `There is no claim ${id}.`);
      ctx.audit({ ...(d.patient.id !== null ? { patientId: d.patient.id } : {}), subject: `claim:${id}` });
      return d;
    },
    'claims.check': ({ claim: form, submit }, ctx) => {
      const values: ClaimFieldValues = {};
      for (const [field, column] of Object.entries(FORM_COLUMNS)) values[column] = form[field as keyof ClaimForm];
      const parsed = parseClaimFields(values);
      if (!parsed.ok) {
        const issues = parsed.problems.map((p) => ({ field: FIELD_OF_COLUMN[p.column] ?? p.column, message: p.reason }));
        throw new AppError('VALIDATION_FAILED', `The claim has problems: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, { issues });
      }
      const context = new SqlPrecheckContext(db, { now: clock() });
      const claim = checkableOf(parsed.claim, pseudonyms());
      const verdict = precheckClaim(claim, context);
      // A duplicate claim id is reported, never stored: the first claim under that id stays as it was.
      const canStore = submit && !verdict.reasons.some((r) => r.code === 'DUPLICATE_CLAIM_ID');
      let stored = null;
      if (canStore) {
        const id = db.transaction(() =>
          insertClaim(db, claim, verdict, { source: 'form', importRunId: null, sourceRow: null, checkedBy: ctx.principal.id, patientId: context.patientId(claim) }, clock().toISOString()),
        )();
        stored = claimDetail(db, id);
        ctx.audit({ ...(stored?.patient.id != null ? { patientId: stored.patient.id } : {}), subject: `claim:${id}` });
      }
      return { verdict: verdict.verdict, reasons: verdict.reasons, contentHash: claim.contentHash, stored };
    },
    'claims.import': ({ uploadId, dryRun, format }, ctx) => startClaimImport(db, deps.jobs, deps.incoming(uploadId, ctx.principal.id).path, ctx.principal.id, dryRun, format),
    // The dry check of a whole file: every row's verdict, nothing stored; audited with the counts (no row content).
    'claims.checkFile': async ({ uploadId }, ctx) => {
      const file = deps.incoming(uploadId, ctx.principal.id);
      const rows: ClaimFileCheckRow[] = [];
      const counts = await checkClaimsFile(db, file.path, deps.dataDir, (o) =>
        rows.push(o.kind === 'checked' ? { kind: 'checked', row: o.row, claimId: o.claim.claimId, verdict: o.verdict, reasons: o.reasons, contentHash: o.claim.contentHash } : o),
      );
      ctx.audit({ subject: `file:${file.fileName}`, details: { ...counts } });
      return { counts, rows };
    },
    'claims.importRuns': ({ limit }): ClaimImportRunView[] =>
      listRuns<ClaimImportCounts>(db, { kind: 'claims', limit }).map((r) => ({
        id: r.id,
        jobId: r.job_id,
        fileName: r.file_name,
        state: runState(r),
        rowsRead: r.counts.rowsRead,
        passed: r.counts.passed,
        failed: r.counts.failed,
        rejected: r.counts.rejected,
        duplicate: r.counts.duplicate,
        rejectsPath: r.rejects_path,
        dryRun: r.dry_run === 1,
        error: r.error,
        createdAt: r.created_at,
        finishedAt: r.finished_at,
      })),
    // Re-addressing a payer's claims decides who may answer for them: the entry names the payer and the address.
    'claims.payers.register': ({ payerId, address }, ctx) => {
      const r = setPayerAddress(db, payerId, address, clock());
      ctx.audit({ subject: `payer:${r.payerId}`, details: { address: r.address, queued: r.queued } });
      return r;
    },
    'claims.ledger': () => {
      const address = deps.ledgerAddress();
      const queued = (db.prepare(`SELECT count(*) AS n FROM claims WHERE chain_status = 'pending'`).get() as { n: number }).n;
      return { configured: address !== null, address, queued };
    },
  };
}
