// The consents and imports channels through the real services (dispatcher, permissions, zod, a worker-thread
// import job): table filters and keyset pages served by indexes, detail with history, grant, revoke, export,
// access check with break-glass, patient search, import preview/start/list/get.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessDecision, ConsentDetail, ConsentExport, ConsentListResult, PatientSummary } from '../api/consents';
import type { DownloadFile, ImportPreview, ImportRunDetail, ImportRunSummary } from '../api/imports';
import type { Principal } from '../api/permissions';
import type { Services } from '../compose/services';
import { staff, testConsole } from '../compose/test-support';
import { csvText, HEADER, line } from '../imports/test-support';
import { READ_BATCH } from '../imports/pipeline';
import { generateConsentsCsv } from '../../scripts/generate-consents';
import { pageSql, type Driver } from './queries';
import { NPI } from './test-support';

const { manager, clerk, auditor } = staff;
const custodian = testConsole('custodian-channels-', manager);
const { call, refusal: error } = custodian;
let dir: string;
let s: Services;

/** A file on disk handed to main by id, as the CLI does for its OS user (an upload or a dialog pick elsewhere). */
const fileId = (file: string, principal: Principal = manager) => s.uploads.registerPicked(file, principal.id).uploadId;

beforeAll(async () => {
  s = await custodian.start();
  dir = custodian.dir;
  const rows = [
    line({ external_id: 'A-1', mrn: 'MRN100', patient_name: 'Smith, Ada' }),
    line({ external_id: 'A-2', mrn: 'MRN100', patient_name: 'Smith, Ada', category: 'HIV', decision: 'deny' }),
    line({ external_id: 'A-3', mrn: 'MRN200', patient_name: 'Smithers, Wayland', grantee: NPI.b, purpose: 'HRESCH' }),
    line({ external_id: 'A-4', mrn: 'MRN300', patient_name: 'Jones, Ana', grantee: 'ACME', grantee_kind: 'org', period_start: '2020-01-01', period_end: '2020-12-31' }),
    ...Array.from({ length: 30 }, (_, i) => line({ external_id: `B-${i}`, mrn: `MRN9${i}`, patient_name: `Bulk, Patient ${i}` })),
  ];
  fs.writeFileSync(path.join(dir, 'seed.csv'), csvText(rows));
  const started = await call<{ runId: number; jobId: string }>('imports.start', { uploadId: fileId(path.join(dir, 'seed.csv')) });
  expect(await s.jobs.waitFor(started.jobId)).toMatchObject({ state: 'succeeded' });
});
afterAll(() => custodian.close());

describe('consents channels', () => {
  it('lists newest first with keyset pages and an exact total on the first page', async () => {
    const first = await call<ConsentListResult>('consents.list', { limit: 10 });
    expect(first.total).toEqual({ count: 34, exact: true });
    expect(first.rows).toHaveLength(10);
    expect(first.rows[0]!.externalId).toBe('B-29');
    const ids: number[] = first.rows.map((r) => r.id);
    let cursor = first.nextCursor;
    while (cursor !== null) {
      const page = await call<ConsentListResult>('consents.list', { limit: 10, before: cursor });
      expect(page.total).toBeNull();
      ids.push(...page.rows.map((r) => r.id));
      cursor = page.nextCursor;
    }
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(34);
  });

  it('filters by patient, grantee, purpose, category, status, and searches MRN or name prefix', async () => {
    const ext = async (input: Record<string, unknown>) => (await call<ConsentListResult>('consents.list', input)).rows.map((r) => r.externalId).sort();
    const ada = (await call<PatientSummary[]>('patients.search', { query: 'MRN100' }))[0]!;
    expect(ada).toMatchObject({ mrn: 'MRN100', name: 'Smith, Ada', consents: 2 });
    expect(await ext({ patientId: ada.id })).toEqual(['A-1', 'A-2']);
    expect(await ext({ grantee: NPI.b })).toEqual(['A-3']);
    expect(await ext({ purpose: 'HRESCH' })).toEqual(['A-3']);
    expect(await ext({ category: 'HIV' })).toEqual(['A-2']);
    expect(await ext({ status: 'expired' })).toEqual(['A-4']);
    expect(await ext({ search: 'smith' })).toEqual(['A-1', 'A-2', 'A-3']);
    expect(await ext({ search: 'SMITHERS' })).toEqual(['A-3']);
    expect(await ext({ search: 'MRN300' })).toEqual(['A-4']);
    expect(await ext({ search: 'nobody' })).toEqual([]);
    expect(await ext({ search: 'smith', category: 'HIV' })).toEqual(['A-2']);
    const listed = (await call<ConsentListResult>('consents.list', { status: 'expired' })).rows[0]!;
    expect(listed).toMatchObject({ status: 'expired', periodStart: '2020-01-01', periodEnd: '2020-12-31', granteeKind: 'org', patient: { mrn: 'MRN300' } });
  });

  it('sorts through the channel; a column or direction main does not know is refused by name, never reaching SQL', async () => {
    const sorted = await call<ConsentListResult>('consents.list', { sort: { column: 'grantee', direction: 'asc' }, limit: 500 });
    const grantees = sorted.rows.map((r) => r.grantee);
    expect(grantees).toEqual([...grantees].sort());
    expect(sorted.total).toEqual((await call<ConsentListResult>('consents.list', {})).total);
    for (const [sort, field] of [
      [{ column: 'p.name', direction: 'asc' }, 'sort.column'],
      [{ column: 'grantee; DROP TABLE consents', direction: 'asc' }, 'sort.column'],
      [{ column: 'grantee', direction: 'ASC' }, 'sort.direction'],
    ] as const) {
      expect(await error('consents.list', { sort })).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ field }] } });
    }
    expect(await error('consents.list', { sort: { column: 'grantee', direction: 'asc', nulls: 'last' } })).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('answers each table filter from an index', () => {
    const params = { before: 1e15, grantee: NPI.a, purpose: null, purposeCode: 1, category: null, status: 'revoked', now: 0, limit: 10, patients: '[1,2]', grantees: '["x"]', patientId: null };
    const expected: Record<Driver, RegExp> = {
      patients: /SEARCH c USING (COVERING )?INDEX consents_decide \(patient_id=\?\)/,
      // Both halves of the OR by their own index (search.test.ts holds the same).
      search: /INDEX consents_decide \(patient_id=\?\)[\s\S]*INDEX consents_by_grantee \(grantee=\?/,
      grantee: /SEARCH c USING INDEX consents_by_grantee \(grantee=\? AND (rowid|id)<\?\)/,
      revoked: /SEARCH c USING INDEX consents_not_active \(status_code=\? AND (rowid|id)<\?\)/,
      superseded: /SEARCH c USING INDEX consents_not_active \(status_code=\? AND (rowid|id)<\?\)/,
      rarePurpose: /SEARCH c USING INDEX consents_rare_purpose \(purpose_code=\? AND (rowid|id)<\?\)/,
      all: /SEARCH c USING INTEGER PRIMARY KEY \((rowid|id)<\?\)/,
    };
    for (const [driver, plan] of Object.entries(expected)) {
      const stmt = s.db.prepare(`EXPLAIN QUERY PLAN ${pageSql(driver as Driver)}`);
      const used = Object.fromEntries(Object.entries(params).filter(([k]) => stmt.source.includes(`:${k}`)));
      const detail = (stmt.all(used) as { detail: string }[]).map((r) => r.detail).join('\n');
      expect(detail, driver).toMatch(plan);
      expect(detail, driver).not.toMatch(/SCAN c\b/);
    }
    const name = (s.db.prepare(`EXPLAIN QUERY PLAN SELECT id FROM patients WHERE name >= 'smi' AND name < 'smi' || char(1114111)`).all() as { detail: string }[]).map((r) => r.detail).join();
    expect(name).toContain('patients_by_name');
  });

  it('grants with the same checks as an import, naming the form field; shows detail with history', async () => {
    const form = { facility: 'GH01', mrn: 'MRN555', patientName: 'New, Person', grantee: NPI.c, decision: 'permit', purpose: 'TREAT', category: 'genetic', periodStart: '2024-05-01' };
    const bad = await error('consents.grant', { ...form, grantee: '1234567890', periodStart: '2024-02-30' });
    expect(bad).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ field: 'grantee', message: 'NPI check digit is wrong' }, { field: 'periodStart', message: 'no such date: 2024-02-30' }] } });
    expect(await error('consents.grant', { ...form, purpose: 'SHOPPING' })).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await error('consents.grant', { ...form, extra: 1 })).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await error('consents.grant', form, auditor)).toMatchObject({ code: 'PERMISSION_DENIED' });
    const granted = await call<ConsentDetail>('consents.grant', form, clerk);
    expect(granted).toMatchObject({ status: 'active', category: 'genetic', source: 'staff:clerk-1', history: [{ action: 'create', actor: 'clerk-1' }] });
    expect(await error('consents.grant', form, clerk)).toMatchObject({ code: 'CONFLICT' });
    const got = await call<ConsentDetail>('consents.get', { id: granted.id });
    expect(got.documentHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await error('consents.get', { id: 999_999 })).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('revokes with a reason (managers only) and supersedes', async () => {
    const target = (await call<ConsentListResult>('consents.list', { search: 'MRN100', category: 'general' })).rows[0]!;
    expect(await error('consents.revoke', { id: target.id, reason: 'patient withdrew' }, clerk)).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await error('consents.revoke', { id: target.id, reason: '' })).toMatchObject({ code: 'VALIDATION_FAILED' });
    const revoked = await call<ConsentDetail>('consents.revoke', { id: target.id, reason: 'patient withdrew' });
    expect(revoked).toMatchObject({ status: 'revoked', revokedReason: 'patient withdrew', history: [{ action: 'create' }, { action: 'revoke', actor: 'mgr-1', detail: { reason: 'patient withdrew' } }] });
    expect((await call<ConsentListResult>('consents.list', { status: 'revoked' })).rows.map((r) => r.id)).toEqual([target.id]);

    const other = (await call<ConsentListResult>('consents.list', { search: 'MRN200' })).rows[0]!;
    const next = await call<ConsentDetail>('consents.supersede', {
      id: other.id,
      consent: { facility: 'GH01', mrn: 'MRN200', grantee: NPI.b, decision: 'permit', purpose: 'HRESCH', category: 'general', periodStart: '2024-01-01', periodEnd: '2024-06-30' },
    });
    expect(next).toMatchObject({ externalId: 'A-3', supersedes: [other.id], periodEnd: '2024-06-30' });
    expect(await call<ConsentDetail>('consents.get', { id: other.id })).toMatchObject({ status: 'superseded', supersededBy: next.id });
  });

  it('checks access with an explanation, and break-glass only with a reason', async () => {
    const ada = (await call<PatientSummary[]>('patients.search', { query: 'Smith, A' }))[0]!;
    const at = '2025-03-01T12:00:00Z';
    const hiv = await call<AccessDecision>('access.check', { grantee: NPI.a, patientId: ada.id, purpose: 'TREAT', category: 'HIV', at }, clerk);
    expect(hiv).toMatchObject({ decision: 'deny', breakGlass: false, at: '2025-03-01T12:00:00.000Z', decidedBy: [{ decision: 'deny', counts: true }] });
    // Picking ETREAT is a question, never a break-glass: only a stated reason makes the request.
    expect(await call<AccessDecision>('access.check', { grantee: NPI.a, patientId: ada.id, purpose: 'ETREAT', category: 'HIV' })).toMatchObject({ breakGlass: false, decision: 'deny' });
    expect(await error('access.check', { grantee: NPI.a, patientId: ada.id, purpose: 'ETREAT', category: 'HIV', breakGlassReason: 'x' })).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { issues: [{ field: 'breakGlassReason' }] },
    });
    expect(await error('access.check', { grantee: NPI.a, patientId: ada.id, purpose: 'TREAT', category: 'HIV', breakGlassReason: 'unconscious in ED' })).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { issues: [{ field: 'purpose' }] },
    });
    const glass = await call<AccessDecision>('access.check', { grantee: 'gh-cardiology', patientId: ada.id, purpose: 'ETREAT', category: 'HIV', breakGlassReason: 'unconscious in ED' });
    expect(glass).toMatchObject({ decision: 'permit', breakGlass: true });
    // An NPI no roster lists is not opened by break-glass: the answer names why.
    const unlisted = await call<AccessDecision>('access.check', { grantee: NPI.a, patientId: ada.id, purpose: 'ETREAT', category: 'HIV', breakGlassReason: 'unconscious in ED' });
    expect(unlisted).toMatchObject({ decision: 'deny', breakGlass: false, grantee: { code: 'NPI_NOT_IN_DIRECTORY' } });
    expect(await error('access.check', { grantee: NPI.a, patientId: 999_999, purpose: 'TREAT', category: 'HIV' })).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('exports selected consents as FHIR NDJSON into the data folder, as a job (managers only)', async () => {
    const some = (await call<ConsentListResult>('consents.list', { limit: 3 })).rows.map((r) => r.id);
    expect(await error('consents.exportFhir', { ids: some }, clerk)).toMatchObject({ code: 'PERMISSION_DENIED' });
    const started = await call<{ exportId: string; jobId: string }>('consents.exportFhir', { ids: some });
    expect(started.exportId).toBe(started.jobId);
    expect(await s.jobs.waitFor(started.jobId)).toMatchObject({ state: 'succeeded', kind: 'consents.exportFhir', done: 3 });
    const info = await call<ConsentExport>('consents.exportGet', { exportId: started.exportId });
    expect(info).toMatchObject({ state: 'succeeded', count: 3 });
    const file = await call<DownloadFile>('consents.exportFile', { exportId: started.exportId });
    expect(path.dirname(file.path)).toBe(path.join(s.dataDir, 'exports'));
    expect(file).toMatchObject({ fileName: info.fileName, sizeBytes: info.sizeBytes, contentType: 'application/fhir+ndjson' });
    const lines = fs.readFileSync(file.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.resourceType)).toEqual(['Consent', 'Consent', 'Consent']);
    expect(await error('consents.exportFile', { exportId: started.exportId }, auditor)).toMatchObject({ code: 'PERMISSION_DENIED' });
    // Cancel is for export jobs only, by the export permission.
    expect(await error('consents.exportCancel', { exportId: '00000000-0000-4000-8000-000000000000' })).toMatchObject({ code: 'NOT_FOUND' });
    expect(await error('consents.exportCancel', { exportId: started.exportId }, clerk)).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await call('consents.exportCancel', { exportId: started.exportId })).toEqual({ cancelled: false });
    // Saving through a dialog is the desktop app's; here there is none.
    expect(await error('consents.saveExport', { exportId: started.exportId })).toMatchObject({ code: 'DIALOG_UNAVAILABLE' });
  });
});

describe('imports channels', () => {
  it('previews a CSV: the column mapping, the first rows, and why it cannot be imported', async () => {
    const file = path.join(dir, 'typo.csv');
    fs.writeFileSync(file, `${HEADER.replace('purpose', 'purpse')},notes\n${line()},x\n${line({ external_id: 'C-2' })},y\n`);
    const p = await call<ImportPreview>('imports.preview', { uploadId: fileId(file), rows: 1 });
    expect(p).toMatchObject({ format: 'csv', missing: ['purpose'], ignored: ['purpse', 'notes'], problem: { code: 'IMPORT_HEADER_MISSING' } });
    expect(p.rows).toHaveLength(1);
    expect(p.columns.find((c) => c.name === 'grantee')).toEqual({ name: 'grantee', mappedTo: 'grantee', required: true });
  });

  it('previews FHIR NDJSON resource by resource', async () => {
    const file = path.join(dir, 'p.ndjson');
    fs.writeFileSync(file, `{"resourceType":"Patient"}\nnot json\n`);
    const p = await call<ImportPreview>('imports.preview', { uploadId: fileId(file) });
    expect(p).toMatchObject({ format: 'fhir', layout: 'ndjson', resources: [{ row: 1, summary: 'refused: is a Patient, not a Consent' }, { row: 2, summary: expect.stringMatching(/^refused: is not valid JSON/) }] });
  });

  it('validates paths and runs a dry run as a job, listed in the history with its summary', async () => {
    expect(() => fileId(path.join(dir, 'nope.csv'))).toThrow(expect.objectContaining({ code: 'IMPORT_FILE_NOT_FOUND' }));
    expect(() => fileId(dir)).toThrow(expect.objectContaining({ code: 'IMPORT_NOT_A_FILE' }));
    expect(await error('imports.start', { path: path.join(dir, 'seed.csv') })).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await error('imports.start', { uploadId: fileId(path.join(dir, 'seed.csv'), clerk) }, clerk)).toMatchObject({ code: 'PERMISSION_DENIED' });
    const started = await call<{ runId: number; jobId: string }>('imports.start', { uploadId: fileId(path.join(dir, 'seed.csv')), dryRun: true });
    await s.jobs.waitFor(started.jobId);
    const run = await call<ImportRunDetail>('imports.get', { runId: started.runId }, auditor);
    expect(run).toMatchObject({ state: 'succeeded', dryRun: true, rowsRead: 34, accepted: 0, rejected: 0, sampleRejects: [], ignoredColumns: [] });
    expect(run.duplicate + run.updated).toBe(34);
    const list = await call<ImportRunSummary[]>('imports.list', {}, clerk);
    expect(list.map((r) => r.id).slice(0, 2)).toEqual([started.runId, started.runId - 1]);
    expect(await error('imports.resume', { runId: started.runId })).toMatchObject({ code: 'CONFLICT' });
  });

  it('cancels a running import job: committed chunks stay, the run says cancelled', async () => {
    const file = path.join(dir, 'cancel.csv');
    generateConsentsCsv(file, { rows: 100_000, seed: 3 });
    // Listen BEFORE the start: every report of the job is kept, whichever thread the scheduler runs first, and the
    // cancel goes out at the job's first report while running (before or at its first read batch), not after some
    // later one: the worker then has 100 read batches to go, and sees the cancel between two of them.
    const running = new Set<string>();
    let wake = () => {};
    const off = s.events.subscribe((m) => {
      if (m.event === 'job.progress' && m.payload.state === 'running') {
        running.add(m.payload.jobId);
        wake();
      }
    });
    const started = await call<{ runId: number; jobId: string }>('imports.start', { uploadId: fileId(file) });
    await new Promise<void>((resolve) => {
      wake = () => running.has(started.jobId) && resolve();
      wake();
    });
    off();
    expect(await call<{ cancelled: boolean }>('jobs.cancel', { jobId: started.jobId })).toEqual({ cancelled: true });
    expect(await s.jobs.waitFor(started.jobId)).toMatchObject({ state: 'cancelled' });
    const run = await call<ImportRunDetail>('imports.get', { runId: started.runId });
    expect(run.state).toBe('cancelled');
    expect(run.rowsRead).toBeLessThan(100_000);
    // A transaction ends on a read-batch boundary (cancel is seen between batches).
    expect(run.rowsRead % READ_BATCH).toBe(0);
    const written = s.db.prepare('SELECT count(*) AS n FROM consents WHERE import_run_id = ?').get(started.runId) as { n: number };
    expect(written.n).toBe(run.accepted);
  });
});
