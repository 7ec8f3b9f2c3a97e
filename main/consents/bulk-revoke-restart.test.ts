// A bulk revoke's undo survives a restart of the console (its record is in the database, migration 0020), and stays
// its author's: after the restart another staff member still cannot undo it, the author can only while the revokes are
// unsent (BULK_REVOKE_SYNCED after) and within the window (BULK_UNDO_EXPIRED after), and a second undo changes nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BULK_UNDO_WINDOW_HOURS, type BulkRevokePreview, type BulkRevokeResult, type BulkRevokeStatus, type BulkUndoResult, type UndoableBulkRevoke } from '../api/consents-bulk';
import type { ConsentDetail } from '../api/consents';
import { staff, testConsole } from '../compose/test-support';
import { priorStatesOf } from './bulk-revoke-records';
import { NPI } from './test-support';
import { OUTBOX_STATE } from '../db/outbox-columns';

const { manager: author, otherManager, clerk } = staff;
// A new data folder for each test (started in beforeEach, removed in afterEach); restart() keeps it.
const custodian = testConsole('custodian-bulk-restart-', author);
const { call, refusal, restart } = custodian;
const svc = () => custodian.services;

const statuses = (ids: number[]) => ids.map((id) => (svc().db.prepare('SELECT status FROM consents WHERE id = ?').get(id) as { status: string }).status);
const count = (sql: string) => (svc().db.prepare(sql).get() as { n: number }).n;

/** Grants three consents for NPI.b and bulk-revokes them as the author; returns the bulk id and the consent ids. */
async function revokeThree(tag: string): Promise<{ bulkId: string; ids: number[] }> {
  const ids: number[] = [];
  for (const category of ['general', 'HIV', 'genetic']) {
    const c = await call<ConsentDetail>('consents.grant', { facility: 'GH01', mrn: `${tag}-1`, patientName: `Restart, ${tag}`, grantee: NPI.b, decision: 'permit', purpose: 'TREAT', category, periodStart: '2024-01-01' });
    ids.push(c.id);
  }
  const selection = { ids };
  const p = await call<BulkRevokePreview>('consents.bulkRevokePreview', { selection });
  const done = await call<BulkRevokeResult>('consents.bulkRevoke', { selection, reason: 'wrong provider', expected: { consents: p.consents, fingerprint: p.fingerprint } });
  expect(done.revoked).toBe(3);
  return { bulkId: done.bulkId, ids };
}

beforeEach(async () => {
  await custodian.start();
});
afterEach(() => custodian.close());

describe('bulk revoke undo across a restart', () => {
  it('records the author, the consents with their prior state and the undo window in the revoke itself', async () => {
    const before = new Map<number, { seq: number; hlc: string }>();
    const { bulkId, ids } = await revokeThree('REC');
    const row = svc().db.prepare('SELECT actor_id, created_at, undo_until, undone_at FROM bulk_revokes WHERE id = ?').get(bulkId) as Record<string, string | null>;
    expect(row).toMatchObject({ actor_id: author.id, undone_at: null });
    expect(Date.parse(row.undo_until!) - Date.parse(row.created_at!)).toBe(BULK_UNDO_WINDOW_HOURS * 3_600_000);
    const prior = priorStatesOf(svc().db, bulkId);
    expect(prior.map((p) => p.consentId)).toEqual(ids);
    for (const p of prior) {
      expect(p.status).toBe('active');
      // The state before: the revoke moved each consent past it (a higher seq, a later stamp).
      const now = svc().db.prepare('SELECT seq, hlc FROM consents WHERE id = ?').get(p.consentId) as { seq: number; hlc: string };
      expect(now.seq).toBeGreaterThan(p.seq);
      expect(now.hlc > p.hlc).toBe(true);
      before.set(p.consentId, p);
    }
    expect(before.size).toBe(3);
  });

  it('after a restart: another staff member still cannot undo it; its author can, once; a second undo changes nothing', async () => {
    const { bulkId, ids } = await revokeThree('RST');
    await restart();
    expect(statuses(ids)).toEqual(['revoked', 'revoked', 'revoked']);

    // The author finds it again (the console offers it), another manager does not, a clerk may not even ask.
    expect((await call<UndoableBulkRevoke[]>('consents.bulkRevokesMine', {})).map((b) => [b.bulkId, b.revoked, b.synced])).toEqual([[bulkId, 3, false]]);
    expect(await call<UndoableBulkRevoke[]>('consents.bulkRevokesMine', {}, otherManager)).toEqual([]);
    expect(await refusal('consents.bulkRevokesMine', {}, clerk)).toMatchObject({ code: 'PERMISSION_DENIED' });

    // The attacker: another records manager (same permission) calling the channels directly with the id.
    const outbox = count('SELECT count(*) AS n FROM outbox');
    expect(await refusal('consents.bulkUndo', { bulkId }, otherManager)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await refusal('consents.bulkUndo', { bulkId, afterSync: true }, otherManager)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await refusal('consents.bulkRevokeStatus', { bulkId }, otherManager)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await refusal('consents.bulkUndo', { bulkId }, clerk)).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(statuses(ids)).toEqual(['revoked', 'revoked', 'revoked']);
    expect(count('SELECT count(*) AS n FROM outbox')).toBe(outbox);

    const undone = await call<BulkUndoResult>('consents.bulkUndo', { bulkId });
    expect(undone).toMatchObject({ regranted: 3, skipped: [], afterSync: false });
    expect(statuses(ids)).toEqual(['superseded', 'superseded', 'superseded']);
    const active = count(`SELECT count(*) AS n FROM consents WHERE status = 'active'`);
    const afterUndo = count('SELECT count(*) AS n FROM outbox');
    expect(afterUndo).toBe(outbox + 3);

    // Undone survives a restart too: a second undo is refused and writes nothing (no consent, no outbox row).
    await restart();
    expect(await refusal('consents.bulkUndo', { bulkId })).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('already undone') });
    expect(await refusal('consents.bulkUndo', { bulkId, afterSync: true })).toMatchObject({ code: 'CONFLICT' });
    expect(count(`SELECT count(*) AS n FROM consents WHERE status = 'active'`)).toBe(active);
    expect(count('SELECT count(*) AS n FROM outbox')).toBe(afterUndo);
    expect(await call<BulkRevokeStatus>('consents.bulkRevokeStatus', { bulkId })).toMatchObject({ undone: true, revoked: 3 });
    expect(await call<UndoableBulkRevoke[]>('consents.bulkRevokesMine', {})).toEqual([]);
  });

  it('after a restart and the batch synced: the author is refused with BULK_REVOKE_SYNCED unless re-granting deliberately', async () => {
    const { bulkId, ids } = await revokeThree('SYN');
    await restart();
    // The sender took the revokes (as a running sync would), then the console restarted again.
    svc().db.prepare(`UPDATE outbox SET state_code = ${OUTBOX_STATE.sent} WHERE state_code = ${OUTBOX_STATE.pending}`).run();
    await restart();
    expect(await call<BulkRevokeStatus>('consents.bulkRevokeStatus', { bulkId })).toMatchObject({ synced: true, undone: false, expired: false });
    expect(await refusal('consents.bulkUndo', { bulkId })).toMatchObject({ code: 'BULK_REVOKE_SYNCED' });
    expect(statuses(ids)).toEqual(['revoked', 'revoked', 'revoked']);
    expect(await refusal('consents.bulkUndo', { bulkId, afterSync: true }, otherManager)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await call<BulkUndoResult>('consents.bulkUndo', { bulkId, afterSync: true })).toMatchObject({ regranted: 3, afterSync: true });
  });

  it('once the undo window has closed, undo is refused with BULK_UNDO_EXPIRED and nothing changes', async () => {
    const { bulkId, ids } = await revokeThree('EXP');
    await restart();
    // The window's end moved into the past, as 24 hours passing would.
    svc().db.prepare(`UPDATE bulk_revokes SET undo_until = '2000-01-01T00:00:00.000Z' WHERE id = ?`).run(bulkId);
    expect(await call<BulkRevokeStatus>('consents.bulkRevokeStatus', { bulkId })).toMatchObject({ expired: true, undone: false });
    expect(await refusal('consents.bulkUndo', { bulkId })).toMatchObject({ code: 'BULK_UNDO_EXPIRED', details: { undoUntil: '2000-01-01T00:00:00.000Z' } });
    expect(await refusal('consents.bulkUndo', { bulkId, afterSync: true })).toMatchObject({ code: 'BULK_UNDO_EXPIRED' });
    expect(statuses(ids)).toEqual(['revoked', 'revoked', 'revoked']);
    expect(await call<UndoableBulkRevoke[]>('consents.bulkRevokesMine', {})).toEqual([]);
    expect((svc().db.prepare('SELECT undone_at FROM bulk_revokes WHERE id = ?').get(bulkId) as { undone_at: string | null }).undone_at).toBeNull();
  });
});
