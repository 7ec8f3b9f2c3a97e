// The sync engine against a real node (anvil, and EDR as the 'edr' project) never sends a replaced outbox event
// (migration 0025): not in its first run, not after the workstation restarts, and not after the data-folder holder
// tries to requeue every unconfirmed event by hand (refused: OUTBOX_REPLACED_FINAL). What reached the chain is read
// back from the chain itself (the audit-root mirror is pulled from its logs).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRootPayload, enqueue, openTestDb, outboxStates, startTestChain, tempDir, testEngine, TEST_REGISTRY, type TestChain } from './fixtures/chain';
import { replaceEvent } from './outbox';
import { OUTBOX_STATE } from '../db/outbox-columns';

let chain: TestChain;
let dir: string;
beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('sync-replaced');
});
afterAll(async () => {
  await chain?.stop();
});

describe('a replaced outbox event and the sync engine', () => {
  it('is never sent: not in the first run, not after a restart, not after a hand requeue', async () => {
    const file = path.join(dir, 'replaced.sqlite');
    let db = openTestDb(file);
    const [old] = enqueue(db, 'audit.root', [auditRootPayload(1).json]);
    const next = replaceEvent(db, old!, TEST_REGISTRY.plugin('audit.root'), auditRootPayload(2).json);
    enqueue(db, 'audit.root', [auditRootPayload(3).json]);

    const onChain = () => db.prepare(`SELECT merkle_root FROM sync_chain_audit_roots ORDER BY anchor_index`).pluck().all();
    const sentEvents = () => db.prepare(`SELECT coalesce(sum(event_count), 0) FROM sync_batches`).pluck().get();
    let engine = testEngine(db, chain);
    expect((await engine.runUntilDrained(120_000)).failure).toBeUndefined();
    await engine.stop();
    expect(outboxStates(db)).toEqual({ confirmed: 2, replaced: 1 });
    expect(onChain()).toEqual([auditRootPayload(2).root, auditRootPayload(3).root]);
    expect(sentEvents()).toBe(2);
    db.close();

    // The workstation restarts; the holder of its data folder tries to send the old event after all.
    db = openTestDb(file);
    // Asserted after the engine ran: were the requeue let through, the chain would show what it did.
    const refusals = [
      `UPDATE outbox SET state_code = ${OUTBOX_STATE.pending}, batch_id = NULL, replaced_by = NULL, last_error = NULL WHERE state_code <> ${OUTBOX_STATE.confirmed}`,
      `UPDATE outbox SET state_code = ${OUTBOX_STATE.pending}, replaced_by = NULL WHERE id = ${old}`,
    ].map((text) => {
      try {
        db.prepare(text).run();
        return 'done';
      } catch (err) {
        return (err as Error).message;
      }
    });
    engine = testEngine(db, chain);
    expect((await engine.runUntilDrained(120_000)).failure).toBeUndefined();
    await engine.stop();
    expect(db.prepare(`SELECT state, replaced_by AS replacedBy, batch_id AS batchId FROM outbox WHERE id = ?`).get(old)).toEqual({ state: 'replaced', replacedBy: next, batchId: null });
    expect(outboxStates(db)).toEqual({ confirmed: 2, replaced: 1 });
    expect(onChain()).toEqual([auditRootPayload(2).root, auditRootPayload(3).root]);
    expect(sentEvents()).toBe(2);
    expect(refusals).toEqual([expect.stringMatching(/^OUTBOX_REPLACED_FINAL: /), expect.stringMatching(/^OUTBOX_REPLACED_FINAL: /)]);
    db.close();
  });
});
