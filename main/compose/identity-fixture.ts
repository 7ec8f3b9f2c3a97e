// Shared by the minimum-necessary attacker tests (dispatcher and browser-mode HTTP): services on a real SQLite file
// seeded with known names, MRNs, birth dates and diagnosis codes, and a scan of any answer for those values.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChannelName } from '../api';
import type { Principal, Role } from '../api/permissions';
import { seedProvider, NPIS, PAYER } from '../claims/test-support';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from './services';

export const PATIENTS = [
  { mrn: 'MRNQX7731', name: 'Vandermeer, Quixotica', birthDate: '1961-07-23' },
  { mrn: 'MRNQX8842', name: 'Oyelaran-Brightwater, Tiberius', birthDate: '1948-02-29' },
  { mrn: 'MRNQX9953', name: 'Szczepanik, Ludmiła', birthDate: '1999-12-31' },
] as const;
/** Diagnosis and service codes of the seeded claims: distinctive, so a hit is a leak. */
export const CODES = ['E11.65', 'J45.909', 'M79.604'] as const;
/** A patient only in an import file (its preview and its rejects). */
export const IMPORT_ONLY = { mrn: 'MRNQX0064', name: 'Fairweather-Ng, Oriel', birthDate: '1970-10-10' };
export const IDENTITY: string[] = [...[...PATIENTS, IMPORT_ONLY].flatMap((p) => [p.mrn, p.name, p.birthDate]), ...CODES];

export const as = (role: Role): Principal => ({ id: `mn-${role}`, name: `Test ${role}`, role });
const manager = as('records_manager');

export interface IdentityFixture {
  dir: string;
  services: Services;
  patientIds: number[];
  consentIds: number[];
  claimIds: number[];
  uploadId: string;
  /** The import file registered as an upload of `owner` (uploads are bound to who made them). */
  uploadFor(owner: string): string;
  runId: number;
  /** The import's job (jobs.get shows its recorded result). */
  jobId: string;
  requestId: number;
  /** Calls a channel and returns its value, or throws with the error's code. */
  ok<T = unknown>(channel: string, input: unknown, who?: Principal): Promise<T>;
  stop(): Promise<void>;
}

/** Every string in a value, keys included. */
function strings(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, into);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      into.push(k);
      strings(v, into);
    }
  return into;
}

/** The seeded identity values found anywhere in a value (or a raw response body). */
export function leaks(value: unknown): string[] {
  const all = strings(value);
  return IDENTITY.filter((id) => all.some((s) => s.includes(id)));
}

export async function startIdentityFixture(): Promise<IdentityFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-minnec-'));
  const services = await startServices({ dataDir: dir, runtime: 'browser', logger: silentLogger, config: { chain: { mode: 'none' } }, sync: 'manual' });
  async function ok<T = unknown>(channel: string, input: unknown, who: Principal = manager): Promise<T> {
    const result = await services.call(channel, input, who);
    if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
    return result.value as T;
  }
  const seeded = { patientIds: [] as number[], consentIds: [] as number[], claimIds: [] as number[], uploadId: '', runId: 0, jobId: '', requestId: 0 };
  // Verified now: the services run on the wall clock, and a claim needs a verification within the gate's maximum age.
  seedProvider(services.db, NPIS.verified, { verdict: 'verified', verifiedAt: new Date().toISOString() });
  for (const [i, p] of PATIENTS.entries()) {
    const base = { facility: 'GH01', mrn: p.mrn, patientName: p.name, birthDate: p.birthDate, decision: 'permit' as const, category: 'general' as const, periodStart: '2024-01-01' };
    const treat = await ok<{ id: number; patient: { id: number } }>('consents.grant', { ...base, grantee: NPIS.verified, purpose: 'TREAT' });
    await ok('consents.grant', { ...base, grantee: PAYER, granteeKind: 'org', purpose: 'HPAYMT' });
    seeded.patientIds.push(treat.patient.id);
    seeded.consentIds.push(treat.id);
    const check = await ok<{ stored: { id: number } | null }>('claims.check', {
      claim: { claimId: `CLM-MN-${i}`, facility: 'GH01', mrn: p.mrn, renderingNpi: NPIS.verified, payerId: PAYER, serviceDate: '2025-06-01', codes: `99213;${CODES[i]}`, amount: '125.00' },
      submit: true,
    });
    seeded.claimIds.push(check.stored!.id);
  }
  // A failing claim too: its reasons quote the malformed code.
  await ok('claims.check', {
    claim: { claimId: 'CLM-MN-BAD', facility: 'GH01', mrn: PATIENTS[0].mrn, renderingNpi: NPIS.verified, payerId: PAYER, serviceDate: '2025-06-02', codes: `${CODES[0]}X!`, amount: '1.00' },
    submit: true,
  });
  const request = await ok<{ id: number }>('sharing.request', { partnerOrgId: 'PARTNER-1', patientId: seeded.patientIds[1], category: 'general', purpose: 'TREAT' }, as('records_clerk'));
  seeded.requestId = request.id;

  // An import file: one good row, one rejected row (a birth date in the future), both with identity.
  const file = path.join(dir, 'consents.csv');
  const header = 'external_id,facility,mrn,patient_name,birth_date,grantee,grantee_kind,decision,purpose,category,period_start,period_end,document_hash';
  const rows = [
    `EHR-1,GH01,${IMPORT_ONLY.mrn},"${IMPORT_ONLY.name}",${IMPORT_ONLY.birthDate},${NPIS.verified},npi,permit,TREAT,general,2024-01-01,,`,
    `EHR-2,GH01,${PATIENTS[2].mrn},"${PATIENTS[2].name}",2999-01-01,${NPIS.verified},npi,deny,HRESCH,genetic,2024-01-01,,`,
  ];
  fs.writeFileSync(file, [header, ...rows].join('\n') + '\n');
  // An upload belongs to the staff member who made it: the manager's for the import, one per caller via uploadFor.
  seeded.uploadId = services.uploads.registerPicked(file, manager.id).uploadId;
  const started = await ok<{ runId: number; jobId: string }>('imports.start', { uploadId: services.uploads.registerPicked(file, manager.id).uploadId });
  await services.jobs.waitFor(started.jobId);
  seeded.runId = started.runId;
  seeded.jobId = started.jobId;

  return {
    dir,
    services,
    ...seeded,
    uploadFor: (owner: string) => services.uploads.registerPicked(file, owner).uploadId,
    ok,
    async stop() {
      await services.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A real input for each channel that reads patients; other channels get an empty object. */
export function sampleInputs(f: IdentityFixture, who: Principal = manager): Partial<Record<ChannelName, unknown[]>> {
  const [p1] = f.patientIds;
  return {
    'consents.list': [{}, { patientId: p1 }],
    'consents.get': f.consentIds.map((id) => ({ id })),
    'patients.search': [{ query: 'Vandermeer' }, { query: PATIENTS[1].mrn }],
    'access.check': [{ grantee: NPIS.verified, patientId: p1, purpose: 'TREAT', category: 'general' }],
    'claims.list': [{}],
    'claims.get': f.claimIds.map((id) => ({ id })),
    'claims.importRuns': [{}],
    'imports.preview': [{ uploadId: f.uploadFor(who.id) }],
    'imports.list': [{}],
    'imports.runs': [{}],
    'imports.get': [{ runId: f.runId }],
    'imports.rejectsFile': [{ runId: f.runId }],
    'sharing.requests': [{}],
    'audit.list': [{}],
    'audit.breakGlass.list': [{}],
    'audit.exportCsv': [{}],
    'audit.disclosures': [{ patientId: p1 }],
    'jobs.list': [{}],
    'jobs.get': [{ jobId: f.jobId }],
    'system.status': [{}],
  };
}

