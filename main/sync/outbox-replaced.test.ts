// A replaced outbox event (migration 0025, replaceEvent) as the attacker who holds the data folder sees it: with
// sqlite3 on the file they try to make it sendable again, point it at another event, or "replace" an event that
// may already be on chain. The database refuses each by name; the engine's queue never holds a replaced event.
// Each attack here succeeds once its trigger or CHECK is removed (each test drops none: they run the real schema).
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../db/connection';
import { auditRootPayload, openTestDb, tempDir, TEST_REGISTRY } from './fixtures/chain';
import { enqueueOutbox, heldEventCounts, holdEvent, OutboxReplaceError, outboxRangeUnsent, replaceEvent, replacedEventCount } from './outbox';
import { SyncStore } from './store';
import { OUTBOX_STATE, OUTBOX_KIND_CODES } from '../db/outbox-columns';

const AUDIT = TEST_REGISTRY.plugin('audit.root');
const CREDENTIAL = TEST_REGISTRY.plugin('credential.status');

let db: Db;
let store: SyncStore;
beforeEach(() => {
  db = openTestDb(path.join(tempDir('outbox-replaced'), 'custodian.sqlite'));
  store = new SyncStore(db, TEST_REGISTRY.kinds);
});
afterEach(() => {
  if (db.open) db.close();
});

const queue = (i: number) => enqueueOutbox(db, AUDIT, auditRootPayload(i).json);
const row = (id: number) => db.prepare(`SELECT state, replaced_by AS replacedBy, batch_id AS batchId, payload FROM outbox WHERE id = ?`).get(id) as { state: string; replacedBy: number | null; batchId: string | null; payload: string };
const pendingIds = () => store.pendingEvents(100).map((e) => e.id);
/** What the attacker runs (better-sqlite3 here; the sqlite3 shell runs the same statement on the same file). */
const sql = (text: string, ...params: unknown[]) => () => db.prepare(text).run(...params);

/** One old event replaced by a new one, and a third event waiting beside them. */
function replacedPair(): { old: number; next: number; other: number } {
  const old = queue(1);
  const next = replaceEvent(db, old, AUDIT, auditRootPayload(2).json);
  const other = queue(3);
  return { old, next, other };
}

describe('replaceEvent', () => {
  it('queues the new event and marks the old one replaced by it, in one transaction; the queue holds only the new one', () => {
    const { old, next, other } = replacedPair();
    expect(row(old)).toMatchObject({ state: 'replaced', replacedBy: next, batchId: null });
    expect(row(next)).toMatchObject({ state: 'pending', replacedBy: null, payload: auditRootPayload(2).json });
    expect(pendingIds()).toEqual([next, other]);
    // Counted apart: not waiting (queue depth), not held.
    expect(replacedEventCount(db)).toBe(1);
    expect(heldEventCounts(db)).toEqual({ total: 0, byCode: {} });
    expect(store.queueDepth()).toEqual({ 'audit.root': 2 });
    // Never batched: a range holding it is still unsent here.
    expect(outboxRangeUnsent(db, old, other)).toBe(true);
  });

  it('replaces a held event (failed, never batched) too', () => {
    const old = queue(1);
    expect(holdEvent(db, old, 'SOME_CODE: held')).toBe(true);
    const next = replaceEvent(db, old, AUDIT, auditRootPayload(2).json);
    expect(row(old)).toMatchObject({ state: 'replaced', replacedBy: next });
    expect(heldEventCounts(db).total).toBe(0);
  });

  it('refuses by name an event that was batched, sent, confirmed or replaced, one of another kind, or none; nothing is queued', () => {
    const cases: [string, (id: number) => void, RegExp][] = [
      ['batched', (id) => db.prepare(`UPDATE outbox SET state_code = ${OUTBOX_STATE.batched}, batch_id = '0xb1' WHERE id = ?`).run(id), /batched for the chain \(state batched\)/],
      ['sent', (id) => db.prepare(`UPDATE outbox SET state_code = ${OUTBOX_STATE.sent}, batch_id = '0xb2' WHERE id = ?`).run(id), /state sent/],
      ['confirmed', (id) => db.prepare(`UPDATE outbox SET state_code = ${OUTBOX_STATE.confirmed}, batch_id = '0xb3' WHERE id = ?`).run(id), /state confirmed/],
      ['failed in a batch', (id) => db.prepare(`UPDATE outbox SET state_code = ${OUTBOX_STATE.failed}, batch_id = '0xb4' WHERE id = ?`).run(id), /state failed/],
      ['replaced', (id) => replaceEvent(db, id, AUDIT, auditRootPayload(100 + id).json), /replaced already/],
    ];
    for (const [name, setUp, reason] of cases) {
      const id = queue(10 + cases.findIndex((c) => c[0] === name));
      setUp(id);
      const before = db.prepare(`SELECT count(*) FROM outbox`).pluck().get();
      const attempt = () => replaceEvent(db, id, AUDIT, auditRootPayload(50).json);
      expect(attempt, name).toThrow(OutboxReplaceError);
      expect(attempt, name).toThrow(reason);
      expect(db.prepare(`SELECT count(*) FROM outbox`).pluck().get(), name).toBe(before);
    }
    expect(() => replaceEvent(db, queue(60), CREDENTIAL, '{}')).toThrow(/cannot be replaced: it is a audit\.root event, not credential\.status/);
    expect(() => replaceEvent(db, 9_999, AUDIT, auditRootPayload(61).json)).toThrow(/no such event/);
  });
});

describe('the data-folder holder with sqlite3 on the file', () => {
  it('cannot make a replaced event sendable again (OUTBOX_REPLACED_FINAL), by itself or in a hand requeue of everything', () => {
    const { old, next, other } = replacedPair();
    expect(sql(`UPDATE outbox SET state_code = ${OUTBOX_STATE.pending}, replaced_by = NULL, last_error = NULL WHERE id = ?`, old)).toThrow(/OUTBOX_REPLACED_FINAL/);
    expect(sql(`UPDATE outbox SET state_code = ${OUTBOX_STATE.failed}, replaced_by = NULL WHERE id = ?`, old)).toThrow(/OUTBOX_REPLACED_FINAL/);
    // The requeue a person might type after reading a forum post: every unconfirmed event back to pending.
    expect(sql(`UPDATE outbox SET state_code = ${OUTBOX_STATE.pending}, batch_id = NULL, replaced_by = NULL, last_error = NULL WHERE state_code <> ${OUTBOX_STATE.confirmed}`)).toThrow(/OUTBOX_REPLACED_FINAL/);
    // Into a batch, under another id, with another payload: refused too.
    expect(sql(`UPDATE outbox SET batch_id = '0xbb' WHERE id = ?`, old)).toThrow(/OUTBOX_REPLACED_FINAL/);
    expect(sql(`UPDATE outbox SET id = 9999 WHERE id = ?`, old)).toThrow(/OUTBOX_REPLACED_FINAL/);
    expect(sql(`UPDATE outbox SET payload = ? WHERE id = ?`, auditRootPayload(7).json, old)).toThrow(/OUTBOX_REPLACED_FINAL/);
    expect(row(old)).toMatchObject({ state: 'replaced', replacedBy: next, batchId: null, payload: auditRootPayload(1).json });
    expect(pendingIds()).toEqual([next, other]);
    // Its error text is only a note now: editing it changes nothing the engine reads.
    db.prepare(`UPDATE outbox SET last_error = NULL WHERE id = ?`).run(old);
    expect(pendingIds()).toEqual([next, other]);
  });

  it('cannot point a replaced event at another replacement (OUTBOX_REPLACED_FINAL)', () => {
    const { old, next, other } = replacedPair();
    expect(sql(`UPDATE outbox SET replaced_by = ? WHERE id = ?`, other, old)).toThrow(/OUTBOX_REPLACED_FINAL/);
    expect(row(old).replacedBy).toBe(next);
  });

  it('cannot mark an event that was batched, sent or confirmed as replaced (OUTBOX_REPLACE_REFUSED)', () => {
    for (const [state, batch] of [['batched', '0xb1'], ['sent', '0xb2'], ['confirmed', '0xb3'], ['failed', '0xb4']] as const) {
      const id = queue(91);
      db.prepare(`UPDATE outbox SET state_code = ?, batch_id = ? WHERE id = ?`).run(OUTBOX_STATE[state], batch, id);
      // A later event exists (ids grow), so only the trigger stands between the attacker and this change.
      const later = queue(92);
      expect(sql(`UPDATE outbox SET state_code = ${OUTBOX_STATE.replaced}, replaced_by = ? WHERE id = ?`, later, id), state).toThrow(/OUTBOX_REPLACE_REFUSED/);
      expect(sql(`UPDATE outbox SET state_code = ${OUTBOX_STATE.replaced}, replaced_by = ?, batch_id = NULL WHERE id = ?`, later, id), state).toThrow(/OUTBOX_REPLACE_REFUSED/);
      expect(row(id)).toMatchObject({ state, batchId: batch });
    }
    // Nor by an event of another kind, one that is not there, or one replaced itself.
    const waiting = db.prepare(`INSERT INTO outbox (kind_code, payload) VALUES (${OUTBOX_KIND_CODES['audit.root']}, ?)`).run(auditRootPayload(93).json).lastInsertRowid;
    const credential = db.prepare(`INSERT INTO outbox (kind_code, payload) VALUES (${OUTBOX_KIND_CODES['credential.status']}, '{}')`).run().lastInsertRowid;
    expect(sql(`UPDATE outbox SET state_code = ${OUTBOX_STATE.replaced}, replaced_by = ? WHERE id = ?`, credential, waiting)).toThrow(/OUTBOX_REPLACE_REFUSED/);
    expect(sql(`UPDATE outbox SET state_code = ${OUTBOX_STATE.replaced}, replaced_by = 99999 WHERE id = ?`, waiting)).toThrow(/OUTBOX_REPLACE_REFUSED/);
  });

  it('cannot write a replacement without the state, a replaced state without one, or an earlier one (the CHECKs)', () => {
    const a = queue(1);
    const b = queue(2);
    expect(sql(`UPDATE outbox SET replaced_by = ? WHERE id = ?`, b, a)).toThrow(/CHECK constraint failed: outbox_replaced_names_its_replacement/);
    expect(sql(`INSERT INTO outbox (kind_code, payload, state_code) VALUES (${OUTBOX_KIND_CODES['audit.root']}, '{}', ${OUTBOX_STATE.replaced})`)).toThrow(/CHECK constraint failed: outbox_replaced_names_its_replacement/);
    // Replaced by an earlier event (a cycle would keep both from the chain for good): the trigger lets a waiting
    // event of its kind through, the CHECK refuses it.
    expect(sql(`UPDATE outbox SET state_code = ${OUTBOX_STATE.replaced}, replaced_by = ? WHERE id = ?`, a, b)).toThrow(/CHECK constraint failed: outbox_replaced_by_later/);
    expect(pendingIds()).toEqual([a, b]);
  });
});
