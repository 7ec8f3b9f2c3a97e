// The audit channels through the real composition root (services, dispatcher, SQLite file; no chain): filters
// and keyset pages, reads recorded in the trail, the formula-safe CSV, break-glass review, batching, proofs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntryView, AuditListResult, AuditProofResult, AuditVerifyReport } from '../api/audit';
import type { Principal } from '../api/permissions';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';
import { checkProofBundle } from './proof';
import { allEntries, syntheticEntry } from './test-support';
import { recordAudit, type AuditEntry } from './trail';

const auditor: Principal = { id: 'aud-1', name: 'Ada Auditor', role: 'auditor' };
const manager: Principal = { id: 'mgr-9', name: 'Mona Manager', role: 'records_manager' };
const clerk: Principal = { id: 'clerk-1', name: 'Carl Clerk', role: 'records_clerk' };
const admin: Principal = { id: 'it-1', name: 'Ian Admin', role: 'it_admin' };

let dir: string;
let s: Services;
let seeded: AuditEntry[];

async function ok<T>(channel: string, input: unknown, principal: Principal = auditor): Promise<T> {
  const r = await s.call(channel, input, { principal });
  if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}
const lastEntry = () => allEntries(s.db).at(-1)!;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-audit-api-'));
  s = await startServices({ dataDir: dir, runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } } });
  s.db.transaction(() => {
    for (let i = 1; i <= 120; i++) recordAudit(s.db, syntheticEntry(i));
    recordAudit(s.db, { actor: auditor, action: 'patient.view', outcome: 'break-glass', patientId: 2, details: { code: 'ETREAT' }, workstation: 'ws-test' });
    recordAudit(s.db, { actor: clerk, action: '=cmd|calc', outcome: 'success', subject: '=HYPERLINK("http://evil","x")', workstation: '+ws', details: {} });
  })();
  seeded = allEntries(s.db);
});
afterAll(async () => {
  await s.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('audit.list', () => {
  it('pages newest first with a stable keyset cursor', async () => {
    const ids: number[] = [];
    let cursor: number | undefined;
    for (;;) {
      const page = await ok<AuditListResult>('audit.list', { limit: 50, ...(cursor ? { cursor } : {}), to: '2030-01-01' });
      ids.push(...page.entries.map((e) => e.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(ids).toEqual(seeded.map((e) => e.id).reverse());
  });

  it.each<[string, Record<string, unknown>, (e: AuditEntry) => boolean]>([
    ['patient', { patientId: 3 }, (e) => e.patient_id === 3],
    ['staff member', { actorId: 'staff-2' }, (e) => e.actor_id === 'staff-2'],
    ['action', { action: 'consent.grant' }, (e) => e.action === 'consent.grant'],
    ['date range (whole days)', { from: '2025-03-01', to: '2025-03-01' }, (e) => e.at.startsWith('2025-03-01')],
    ['date-time range', { from: '2025-03-01T08:30:00Z', to: '2025-03-01T09:00:00+00:00' }, (e) => e.at >= '2025-03-01T08:30:00.000Z' && e.at <= '2025-03-01T09:00:00.000Z'],
    ['patient, staff and action together', { patientId: 2, actorId: 'staff-2', action: 'consent.grant' }, (e) => e.patient_id === 2 && e.actor_id === 'staff-2' && e.action === 'consent.grant'],
    ['staff member and dates', { actorId: 'staff-1', from: '2025-03-01T09:00:00Z' }, (e) => e.actor_id === 'staff-1' && e.at >= '2025-03-01T09:00:00.000Z' && e.id <= seeded.length],
  ])('filters by %s', async (_name, filter, predicate) => {
    const page = await ok<AuditListResult>('audit.list', { ...filter, limit: 500 });
    const expected = seeded.filter(predicate).map((e) => e.id).reverse();
    expect(expected.length).toBeGreaterThan(0);
    expect(page.entries.map((e) => e.id).filter((id) => id <= seeded.length)).toEqual(expected);
  });

  it('records each read of the trail, with the patient it was about', async () => {
    const page = await ok<AuditListResult>('audit.list', { patientId: 3, limit: 5 });
    expect(lastEntry()).toMatchObject({ action: 'audit.list', actor_id: auditor.id, outcome: 'success', patient_id: 3 });
    expect(JSON.parse(lastEntry().details)).toMatchObject({ returned: page.entries.length, transport: 'cli' });
  });

  it('is refused to a records clerk, and the refusal is recorded', async () => {
    const r = await s.call('audit.list', {}, { principal: clerk });
    expect(r).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    expect(lastEntry()).toMatchObject({ action: 'audit.list', actor_id: clerk.id, outcome: 'denied' });
  });

  it('rejects malformed filters before any handler runs', async () => {
    for (const input of [{ patientId: 0 }, { from: 'yesterday' }, { limit: 501 }, { cursor: -1 }, { sql: '1=1' }]) {
      expect(await s.call('audit.list', input, { principal: auditor })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    }
  });
});

describe('audit.exportCsv', () => {
  it('writes the filtered report to <dataDir>/exports, formula-safe', async () => {
    const result = await ok<{ path: string; rows: number }>('audit.exportCsv', { actorId: clerk.id });
    expect(path.dirname(result.path)).toBe(path.join(dir, 'exports'));
    const lines = fs.readFileSync(result.path, 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,at,actor_id,actor_name,actor_role,workstation,action,outcome,patient_id,subject,details,hash');
    expect(lines).toHaveLength(result.rows + 1);
    const hostile = lines.find((l) => l.includes('HYPERLINK'))!;
    expect(hostile).toContain(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(hostile).toContain(`,'+ws,`);
    expect(hostile).toContain(`,'=cmd|calc,`);
    expect(lines.slice(1).every((l) => !/(^|,)[=+@]/.test(l))).toBe(true);
    expect(lastEntry()).toMatchObject({ action: 'audit.exportCsv', subject: path.basename(result.path) });
  });

  it('hands a written report over by name only (audit.view; each hand-over audited); never another file', async () => {
    const written = await ok<{ path: string; fileName: string; rows: number }>('audit.exportCsv', {});
    expect(written.fileName).toBe(path.basename(written.path));
    const file = await ok<{ path: string; fileName: string; sizeBytes: number; contentType: string }>('audit.reportFile', { reportId: written.fileName });
    expect(file).toMatchObject({ path: written.path, fileName: written.fileName, sizeBytes: fs.statSync(written.path).size, contentType: 'text/csv; charset=utf-8' });
    expect(lastEntry()).toMatchObject({ action: 'audit.reportFile', actor_id: auditor.id, subject: written.fileName });
    // A clerk may not take a copy of the trail; a path, another kind of file or a missing report is refused by name.
    expect(await s.call('audit.reportFile', { reportId: written.fileName }, { principal: clerk })).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    fs.writeFileSync(path.join(dir, 'exports', 'consents-x.ndjson'), '{}\n');
    for (const fileName of ['../custodian.sqlite', 'consents-x.ndjson', `../exports/${written.fileName}`, `${written.fileName}/`]) {
      expect(await s.call('audit.reportFile', { reportId: fileName }, { principal: auditor }), fileName).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    }
    expect(await s.call('audit.reportFile', { reportId: 'audit-20000101T000000Z.csv' }, { principal: auditor })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    // Without the desktop app there is no save dialog: named, not a silent no-op.
    expect(await s.call('audit.saveReport', { reportId: written.fileName }, { principal: auditor })).toMatchObject({ ok: false, error: { code: 'DIALOG_UNAVAILABLE' } });
  });
});

describe('break-glass review', () => {
  it('lists unreviewed break-glass accesses, refuses self-review, records the review and drops it from the list', async () => {
    const list = async () => (await ok<{ entries: AuditEntryView[] }>('audit.breakGlass.list', {})).entries;
    const before = await list();
    expect(before.map((e) => e.id)).toEqual(seeded.filter((e) => e.outcome === 'break-glass').map((e) => e.id).reverse());
    const own = before.find((e) => e.actor?.id === auditor.id)!;
    const other = before.find((e) => e.actor?.id !== auditor.id)!;

    expect(await s.call('audit.breakGlass.review', { entryId: own.id, note: 'fine' }, { principal: auditor })).toMatchObject({ ok: false, error: { code: 'AUDIT_SELF_REVIEW' } });
    const notBreakGlass = seeded.find((e) => e.outcome === 'success')!;
    expect(await s.call('audit.breakGlass.review', { entryId: notBreakGlass.id, note: 'x' }, { principal: auditor })).toMatchObject({ ok: false, error: { code: 'AUDIT_NOT_BREAK_GLASS' } });
    expect(await s.call('audit.breakGlass.review', { entryId: 999_999, note: 'x' }, { principal: auditor })).toMatchObject({ ok: false, error: { code: 'AUDIT_ENTRY_NOT_FOUND' } });

    const review = await ok<{ entryId: number; reviewerId: string }>('audit.breakGlass.review', { entryId: other.id, note: 'Emergency confirmed with ward; patient Jane Roe' });
    expect(review).toMatchObject({ entryId: other.id, reviewerId: auditor.id });
    expect(lastEntry()).toMatchObject({ action: 'audit.breakGlass.review', subject: `audit:${other.id}` });
    expect(lastEntry().details).not.toContain('Jane');
    expect((await list()).map((e) => e.id)).not.toContain(other.id);
    expect(await s.call('audit.breakGlass.review', { entryId: other.id, note: 'again' }, { principal: manager })).toMatchObject({ ok: false, error: { code: 'AUDIT_ALREADY_REVIEWED' } });
    expect((await ok<{ entries: AuditEntryView[] }>('audit.breakGlass.list', { since: '2030-01-01' })).entries).toEqual([]);
  });
});

describe('batching, verification and proofs without a chain', () => {
  it('batches on demand for sync.run only, verifies, and exports a proof whose Merkle part checks offline', async () => {
    expect(await s.call('audit.batchNow', {}, { principal: auditor })).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    const batched = await ok<{ sealed: { firstId: number; lastId: number }[]; unbatched: number; head: { treeSize: number } | null }>('audit.batchNow', {}, admin);
    expect(batched.sealed[0]).toMatchObject({ firstId: 1 });
    // Only the call's own entry, committed with the batches (fails closed), is after the last batch.
    expect(batched.unbatched).toBe(1);
    // Without a chain the head is signed with the organisation's key, and not queued for anchoring.
    expect(batched.head?.treeSize).toBeGreaterThanOrEqual(seeded.length);
    // The call's own entry is committed before the head is sealed, so the head covers it.
    expect(batched.head?.treeSize).toBe(s.db.prepare(`SELECT max(id) FROM audit_log WHERE action = 'audit.batchNow'`).pluck().get());
    expect(s.db.prepare(`SELECT count(*) FROM outbox WHERE kind = 'audit.root'`).pluck().get()).toBe(0);

    const report = await ok<AuditVerifyReport>('audit.verify', {});
    expect(report).toMatchObject({ ok: true, firstProblem: null, chain: { state: 'unavailable' } });
    expect(report.chain.state === 'unavailable' && report.chain.reason).toMatch(/disabled|offline/i);
    expect(JSON.parse(lastEntry().details)).toMatchObject({ depth: 'full', ok: true });

    const proof = await ok<AuditProofResult>('audit.proof', { entryId: 7 });
    expect(proof.anchorStatus).toBe('chain-unavailable');
    expect(proof.bundle.anchor).toBeNull();
    const check = await checkProofBundle(proof.bundle, null);
    expect(check).toMatchObject({ ok: false, offlineOk: true, onChainChecked: false });
    expect(await s.call('audit.proof', { entryId: 10_000_000 }, { principal: auditor })).toMatchObject({ ok: false, error: { code: 'AUDIT_ENTRY_NOT_FOUND', message: expect.stringContaining('10000000') } });
  });
});
