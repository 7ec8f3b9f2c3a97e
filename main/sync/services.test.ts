// The sync channels through the real services (embedded devnet, dispatcher, permissions): status, sync now,
// batches, one event with its batch, pause/resume and retry, and who may call what.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncState } from '../api/events';
import type { Principal } from '../api/permissions';
import type { ConsentConflictSummary, SyncBatchSummary, SyncEventDetail, SyncNowResult, SyncStatus } from '../api/sync';
import type { SystemStatus } from '../api/system';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';
import { enqueue, enqueueConsents, auditRootPayload, tempDir, TEST_REGISTRY } from './fixtures/chain';
import { replaceEvent } from './outbox';
import { formatConflicts, formatSyncStatus } from './report-text';
import { CATEGORY_CODE, DECISION_CODE, GRANTEE_KIND_CODE, PURPOSE_CODE, STATUS_CODE, timeColumns } from '../consents/compact-columns';
import { patientValues, PATIENT_STORED_COLUMNS } from '../consents/patient-columns';

const admin: Principal = { id: 'it', name: 'IT admin', role: 'it_admin' };
const clerk: Principal = { id: 'clerk', name: 'Clerk', role: 'records_clerk' };
const auditor: Principal = { id: 'auditor', name: 'Auditor', role: 'auditor' };
const manager: Principal = { id: 'manager', name: 'Records manager', role: 'records_manager' };
let services: Services;

beforeAll(async () => {
  services = await startServices({ dataDir: tempDir('sync-services'), runtime: 'cli', logger: silentLogger, waitForChain: true, sync: 'manual', config: { chain: { mode: 'embedded' } } });
});
afterAll(async () => {
  await services?.stop();
});

async function until(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the trailing sync.state');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function ok<T>(channel: string, input: unknown, as: Principal = admin): Promise<T> {
  const r = await services.call(channel, input, as);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

describe('sync channels', () => {
  it('syncs on sync.now and reports status, batches and an event with its batch', async () => {
    // A loaded machine can let the start-up probe run past its time limit (the console then reads offline, as it
    // should); the node is up, so probe again until it answers.
    for (let i = 0; i < 20 && services.chain.current.state !== 'connected'; i++) await services.chain.probe();
    expect(services.chain.current.state).toBe('connected');
    const [first] = enqueueConsents(services.db, 12);
    const root = auditRootPayload(1);
    const [rootEvent] = enqueue(services.db, 'audit.root', [root.json]);
    const before = await ok<SyncStatus>('sync.status', {});
    expect(before.queue).toEqual({ total: 13, byKind: { 'consent.change': 12, 'audit.root': 1 } });
    const pushed: { state: SyncState }[] = [];
    const off = services.events.subscribe((m) => m.event === 'sync.state' && pushed.push({ state: m.payload }));
    let r = await ok<SyncNowResult>('sync.now', {});
    while (r.outcome === 'worked') r = await ok<SyncNowResult>('sync.now', {});
    // The last state reaches the bus at most 100 ms after it happened (the trailing update of the pacing).
    const last = services.sync!.state;
    await until(() => JSON.stringify(pushed.at(-1)?.state) === JSON.stringify(last));
    off();
    expect(r.outcome).toBe('idle');
    // The engine went through sending, sent and confirmed for two batches, and the bus got them. Their pacing (the
    // first at once, then at most one per 100 ms) is the throttle's, tested on a fake clock in
    // state-throttle.test.ts: measured here on the wall clock it failed under load (95.9 ms between deliveries).
    expect(pushed.map((p) => p.state.state)).toContain('sending');
    expect(pushed.length).toBeGreaterThanOrEqual(2);

    const status = await ok<SyncStatus>('sync.status', {});
    expect(status).toMatchObject({ connection: 'connected', chainId: 31337, paused: false, queue: { total: 0 }, confirmationsRequired: 1 });
    expect(status.signer.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(BigInt(status.signer.balanceWei!)).toBeGreaterThan(0n);
    expect(status.batches.confirmed).toBe(2);

    const batches = await ok<SyncBatchSummary[]>('sync.batches', { limit: 10 });
    expect(batches.map((b) => [b.kind, b.events, b.state])).toEqual([
      ['audit.root', 1, 'confirmed'],
      ['consent.change', 12, 'confirmed'],
    ]);
    expect(batches[1]!.gasUsed).toBeGreaterThan(0);

    const detail = await ok<SyncEventDetail>('sync.event', { id: first });
    expect(detail.batch?.id).toBe(batches[1]!.id);
    expect(detail.payload).toMatchObject({ v: 2, hlc: '0000000000000001' });
    const audit = await ok<SyncEventDetail>('sync.event', { id: rootEvent });
    expect(audit.anchor).toMatchObject({ txHash: batches[0]!.txHash, anchorIndex: 0 });
  });

  it('a consent granted here, synced and pulled back, stays this workstation\u2019s row: its own echo is not applied again', async () => {
    const granted = await ok<{ id: number }>(
      'consents.grant',
      { facility: 'GH01', mrn: 'ECHO-1', grantee: 'ECHO-ORG', granteeKind: 'org', decision: 'permit', purpose: 'TREAT', category: 'general', periodStart: '2025-01-01' },
      manager,
    );
    let r = await ok<SyncNowResult>('sync.now', {});
    while (r.outcome === 'worked') r = await ok<SyncNowResult>('sync.now', {});
    // Pulled again once more after it landed: the echo of our own change must leave the row as it is.
    await ok<SyncNowResult>('sync.now', {});
    const row = services.db.prepare(`SELECT status, superseded_by FROM consents WHERE id = ?`).get(granted.id) as { status: string; superseded_by: number | null };
    expect(row).toEqual({ status: 'active', superseded_by: null });
    expect(services.db.prepare(`SELECT count(*) AS n FROM consents WHERE source = 'chain'`).get()).toEqual({ n: 0 });
    // And it can still be revoked (the e2e journey that found this: revoke after sync said "superseded").
    await ok('consents.revoke', { id: granted.id, reason: 'patient withdrew consent' }, manager);
  });

  it('pauses and resumes (sync.configure), and checks permissions per channel', async () => {
    expect((await ok<{ paused: boolean }>('sync.pause', {})).paused).toBe(true);
    expect((await ok<SyncStatus>('sync.status', {})).paused).toBe(true);
    expect((await ok<SyncNowResult>('sync.now', {})).outcome).toBe('paused');
    expect((await ok<{ paused: boolean }>('sync.resume', {})).paused).toBe(false);
    expect((await ok<SyncStatus>('sync.status', {}, clerk)).paused).toBe(false);
    for (const channel of ['sync.now', 'sync.pause']) {
      const r = await services.call(channel, {}, clerk);
      expect(r.ok ? null : r.error.code).toBe('PERMISSION_DENIED');
    }
    const missing = await services.call('sync.retryBatch', { batchId: `0x${'ab'.repeat(32)}` }, admin);
    expect(missing.ok ? null : missing.error.code).toBe('NOT_FOUND');
  });
});

describe('a replaced outbox event in sync.status and sync.event', () => {
  it('is counted apart (not queued, not held) and names the event sent instead', async () => {
    const before = await ok<SyncStatus>('sync.status', {});
    const [old] = enqueue(services.db, 'audit.root', [auditRootPayload(70).json]);
    const next = replaceEvent(services.db, old!, TEST_REGISTRY.plugin('audit.root'), auditRootPayload(71).json);
    const status = await ok<SyncStatus>('sync.status', {});
    expect(status.replacedOutboxEvents).toBe((before.replacedOutboxEvents ?? 0) + 1);
    expect(status.queue.total).toBe(before.queue.total + 1);
    expect(status.heldOutboxEvents).toEqual(before.heldOutboxEvents);
    expect(formatSyncStatus(status)).toMatch(/^Replaced: +1 outbox event\(s\) replaced by a later event of their kind, never sent/m);
    expect(await ok<SyncEventDetail>('sync.event', { id: old })).toMatchObject({ state: 'replaced', replacedBy: next, batch: null });
    expect(await ok<SyncEventDetail>('sync.event', { id: next })).toMatchObject({ state: 'pending', replacedBy: null });
  });
});

describe('consent conflicts through the channels', () => {
  it('counts open conflicts in sync.status, lists them, lets a records manager accept one, and refuses FUTURE and a clerk', async () => {
    const db = services.db;
    const at = new Date().toISOString();
    const patient = Number(db.prepare(`INSERT INTO patients (facility, mrn, name, birth_date, ${PATIENT_STORED_COLUMNS}) VALUES ('GH', 'C-1', NULL, NULL, ?, ?, ?)`).run(...patientValues(`0x${'c1'.repeat(32)}`, at)).lastInsertRowid);
    const consent = Number(
      db
        .prepare(
          `INSERT INTO consents (patient_id, grantee, grantee_kind_code, decision_code, purpose_code, category_code, period_start, status_code, document_hash_bin, source_text, seq, created_ms, created_text, updated_ms, updated_text)
           VALUES (?, '1234567893', ${GRANTEE_KIND_CODE.npi}, ${DECISION_CODE.permit}, ${PURPOSE_CODE.TREAT}, ${CATEGORY_CODE.general}, 0, ${STATUS_CODE.superseded}, unhex(substr(?, 3)), 'form', 1, ?, ?, ?, ?)`,
        )
        .run(patient, `0x${'d1'.repeat(32)}`, ...timeColumns(at), ...timeColumns(at)).lastInsertRowid,
    );
    const [stale, future] = enqueueConsents(db, 2, 900);
    const raise = db.prepare(`INSERT INTO consent_conflicts (outbox_id, consent_id, op_key, reason, my_order, winning_order, winning_writer, raised_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    raise.run(stale, consent, `0x${'0a'.repeat(32)}`, 'STALE', `${'0'.repeat(15)}10${'a'.repeat(40)}`, `${'0'.repeat(15)}21${'b'.repeat(40)}`, `0x${'b'.repeat(40)}`, at);
    raise.run(future, consent, `0x${'0b'.repeat(32)}`, 'FUTURE', `${'f'.repeat(16)}0${'a'.repeat(40)}`, null, null, at);

    expect((await ok<SyncStatus>('sync.status', {})).openConflicts).toBe(2);
    // The status bar's figure: system.status counts them too (the composition root hands the consents count in).
    expect((await ok<SystemStatus>('system.status', {})).outbox.conflicts).toBe(2);
    const listed = await ok<ConsentConflictSummary[]>('sync.conflicts', {});
    expect(listed.map((c) => c.reason).sort()).toEqual(['FUTURE', 'STALE']);
    expect(await ok<ConsentConflictSummary[]>('sync.conflicts', { consentId: consent })).toHaveLength(2);
    const staleRow = listed.find((c) => c.reason === 'STALE')!;

    // A clerk and IT may look but not resolve (a consent decision: consents.revoke); a FUTURE change cannot be
    // "accepted" (the chain never took it).
    for (const who of [clerk, admin, auditor]) {
      const denied = await services.call('sync.resolveConflict', { id: staleRow.id, resolution: 'accepted' }, who);
      expect(denied.ok ? null : denied.error.code).toBe('PERMISSION_DENIED');
    }
    const futureRow = listed.find((c) => c.reason === 'FUTURE')!;
    const refused = await services.call('sync.resolveConflict', { id: futureRow.id, resolution: 'accepted' }, manager);
    expect(refused.ok ? null : refused.error.code).toBe('CONFLICT');

    const missing = await services.call('sync.resolveConflict', { id: 987_654, resolution: 'accepted' }, manager);
    expect(missing.ok ? null : missing.error.code).toBe('NOT_FOUND');
    expect(await ok<{ resolved: boolean }>('sync.resolveConflict', { id: staleRow.id, resolution: 'accepted' }, manager)).toEqual({ resolved: true, resolution: 'accepted', consentId: null });
    // Idempotent: the second call says it was already resolved, and how.
    expect(await ok<{ resolved: boolean }>('sync.resolveConflict', { id: staleRow.id, resolution: 'reapplied' }, manager)).toEqual({ resolved: false, resolution: 'accepted', consentId: null });
    // Each resolution is an audit entry naming the conflict and the consent.
    const entries = db.prepare(`SELECT subject, details FROM audit_log WHERE action = 'sync.resolveConflict' AND outcome = 'success' ORDER BY id`).all() as { subject: string; details: string }[];
    expect(entries.map((e) => e.subject)).toEqual([`consent:${consent}`, `consent:${consent}`]);
    expect(JSON.parse(entries[0]!.details)).toMatchObject({ conflict: staleRow.id, resolution: 'accepted' });
    expect((await ok<SyncStatus>('sync.status', {})).openConflicts).toBe(1);
    expect((await ok<ConsentConflictSummary[]>('sync.conflicts', { open: false })).find((c) => c.id === staleRow.id)).toMatchObject({ resolution: 'accepted', resolvedBy: 'manager' });
  });
});

describe('re-applying a lost consent change through the services', () => {
  it('writes the change again with a stamp above the winner, in one transaction with its audit entry; an auditor cannot', async () => {
    const db = services.db;
    const form = { facility: 'GH01', mrn: 'R-77', grantee: '1234567893', decision: 'deny', purpose: 'HRESCH', category: 'genetic', periodStart: '2024-05-01' };
    const granted = await ok<{ id: number; patientId?: number }>('consents.grant', form, manager);
    const event = db.prepare(`SELECT id, payload FROM outbox_events WHERE kind = 'consent.change' ORDER BY id DESC LIMIT 1`).get() as { id: number; payload: string };
    const mine = JSON.parse(event.payload) as { hlc: string; consentId: number };
    expect(mine.consentId).toBe(granted.id);
    // The chain reported a winner stamped a minute later that this database has not pulled yet.
    const winning = (BigInt(Date.now() + 60_000) << 16n).toString(16).padStart(16, '0');
    const id = Number(
      db
        .prepare(`INSERT INTO consent_conflicts (outbox_id, consent_id, op_key, reason, my_order, winning_order, winning_writer, raised_at) VALUES (?, ?, ?, 'STALE', ?, ?, ?, ?)`)
        .run(event.id, granted.id, `0x${'0c'.repeat(32)}`, `${mine.hlc}1${'a'.repeat(40)}`, `${winning}0${'b'.repeat(40)}`, `0x${'b'.repeat(40)}`, new Date().toISOString()).lastInsertRowid,
    );
    const listed = (await ok<ConsentConflictSummary[]>('sync.conflicts', { consentId: granted.id }, auditor)).find((c) => c.id === id)!;
    expect(listed).toMatchObject({ consent: { grantee: '1234567893', purpose: 'HRESCH', category: 'genetic' }, mine: { change: 'create', decision: 'deny', revoked: false } });
    expect(JSON.stringify(listed)).not.toContain('R-77');
    // `custodian sync status` says it in words, without the patient's identity.
    const line = formatConflicts([listed]);
    expect(line).toContain(`#${id} consent ${granted.id} (patient #`);
    expect(line).toContain('your deny of');
    expect(line).toContain('a later change of another workstation won on the chain');
    expect(line).not.toMatch(/STALE|R-77/);

    const events = () => db.prepare(`SELECT count(*) FROM outbox`).pluck().get() as number;
    const before = events();
    const denied = await services.call('sync.resolveConflict', { id, resolution: 'reapplied' }, auditor);
    expect(denied.ok ? null : denied.error.code).toBe('PERMISSION_DENIED');
    expect(events()).toBe(before);

    const done = await ok<{ resolved: boolean; consentId: number }>('sync.resolveConflict', { id, resolution: 'reapplied' }, manager);
    expect(done).toMatchObject({ resolved: true, resolution: 'reapplied' });
    expect(events()).toBe(before + 1);
    const next = JSON.parse(db.prepare(`SELECT payload FROM outbox_events ORDER BY id DESC LIMIT 1`).pluck().get() as string) as { hlc: string; consentId: number; decision: string; revoked: boolean };
    expect(next).toMatchObject({ consentId: done.consentId, decision: 'deny', revoked: false });
    expect(next.hlc > winning).toBe(true);
    const entry = db.prepare(`SELECT patient_id AS patientId, subject, details FROM audit_log WHERE action = 'sync.resolveConflict' ORDER BY id DESC LIMIT 1`).get() as { patientId: number; subject: string; details: string };
    expect(entry.subject).toBe(`consent:${granted.id}`);
    expect(JSON.parse(entry.details)).toMatchObject({ conflict: id, resolution: 'reapplied', reappliedAs: done.consentId });
    const detail = await ok<{ status: string; supersedes: number[] }>('consents.get', { id: done.consentId }, manager);
    expect(detail).toMatchObject({ status: 'active', supersedes: [granted.id] });
  });

  it('refuses to re-apply a change the same workstation changed again afterwards', async () => {
    const db = services.db;
    const form = { facility: 'GH01', mrn: 'R-78', grantee: '1234567893', decision: 'permit', purpose: 'TREAT', category: 'general', periodStart: '2024-05-01' };
    const granted = await ok<{ id: number }>('consents.grant', form, manager);
    const event = db.prepare(`SELECT id, payload FROM outbox_events WHERE kind = 'consent.change' ORDER BY id DESC LIMIT 1`).get() as { id: number; payload: string };
    await ok('consents.revoke', { id: granted.id, reason: 'patient withdrew' }, manager);
    const mine = JSON.parse(event.payload) as { hlc: string };
    const id = Number(
      db
        .prepare(`INSERT INTO consent_conflicts (outbox_id, consent_id, op_key, reason, my_order, raised_at) VALUES (?, ?, ?, 'OVERRIDDEN', ?, ?)`)
        .run(event.id, granted.id, '', `${mine.hlc}0${'a'.repeat(40)}`, new Date().toISOString()).lastInsertRowid,
    );
    const before = db.prepare(`SELECT count(*) FROM outbox`).pluck().get();
    const refused = await services.call('sync.resolveConflict', { id, resolution: 'reapplied' }, manager);
    expect(refused.ok ? null : refused.error.code).toBe('CONFLICT');
    expect(db.prepare(`SELECT count(*) FROM outbox`).pluck().get()).toBe(before);
    expect(await ok('sync.resolveConflict', { id, resolution: 'accepted' }, manager)).toMatchObject({ resolved: true });
  });
});
