// STALE is the readers' fold now (ConsentLedger v3 keeps no state per key): a change recorded on chain under an
// earlier change that outranks it never held its key. Written as the attacker of issue #12: another workstation,
// offline for days, whose change lands between two of ours; the writer must be told, by name, from its own pull
// (its receipt cannot say: the ledger no longer compares), and a reorg that removes the verdict's transaction
// withdraws the verdict until the change lands again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wallet } from 'ethers';
import type { Db } from '../db/connection';
import { startTestChain, tempDir, workstationKey, type TestChain } from './fixtures/chain';
import { currentConsents, workstation, writeConsent } from './fixtures/workstation';
import { drainOnce } from './fixtures/drain';

let chain: TestChain;
let dir: string;
beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('sync-fold-stale');
});
afterAll(async () => {
  await chain?.stop();
});

const sync = (db: Db, key: string) => drainOnce(chain, db, key);

const conflicts = (db: Db) =>
  db.prepare(`SELECT outbox_id AS outboxId, reason, substr(my_order, 1, 16) AS mine, substr(winning_order, 1, 16) AS winner, winning_writer AS writer, batch_id AS batchId, tx_hash AS txHash FROM consent_conflicts WHERE resolution IS NULL ORDER BY outbox_id`).all() as {
    outboxId: number;
    reason: string;
    mine: string;
    winner: string;
    writer: string;
    batchId: string | null;
    txHash: string | null;
  }[];

describe('a change of ours recorded under an earlier change that outranks it (the fold: STALE)', () => {
  it("is named STALE at its writer by its own pull, naming the change that stayed, with our batch and transaction; the mirror keeps the winner", async () => {
    const [ka, kb] = [await workstationKey(chain), await workstationKey(chain)];
    const a = workstation(dir, 'ws-a', [0]);
    const b = workstation(dir, 'ws-b', [0]);
    const key = { patient: 0, grantee: '1212121212', purpose: 'TREAT', category: 'general', revoked: false } as const;
    // A, offline, edits the key at 10 and revokes at 40; B (never saw either) denies at 30 and lands first.
    writeConsent(a, 'a', { ...key, decision: 'permit', seq: 10 });
    writeConsent(a, 'a', { ...key, decision: 'permit', seq: 40, revoked: true });
    writeConsent(b, 'b', { ...key, decision: 'deny', seq: 30 });
    await sync(b, kb);
    await sync(a, ka);

    const batch = a.prepare(`SELECT id, tx_hash AS txHash FROM sync_batches WHERE state = 'confirmed'`).get() as { id: string; txHash: string };
    expect(conflicts(a)).toEqual([
      { outboxId: 1, reason: 'STALE', mine: '000000000000000a', winner: '000000000000001e', writer: new Wallet(kb).address.toLowerCase(), batchId: batch.id, txHash: batch.txHash.toLowerCase() },
    ]);
    // The mirror recorded A's 10 as stale (never the key's state) and holds A's 40, which outranks B's 30.
    const names = a.prepare(`SELECT name FROM sync_chain_events WHERE contract = 'ConsentLedger' AND name LIKE 'ConsentChanged%' ORDER BY block_number, log_index`).pluck().all();
    expect(names).toEqual(['ConsentChanged', 'ConsentChanged:stale', 'ConsentChanged']);
    expect(a.prepare(`SELECT substr(order_key, 1, 16) FROM sync_chain_consents`).pluck().all()).toEqual(['0000000000000028']);
    expect(currentConsents(a)[0]).toMatchObject({ status: 'revoked', hlc: '0000000000000028' });

    // B pulls: A's 40 replaces its 30 (A had not seen it): B is told; A's 10 is nothing to B.
    await sync(b, kb);
    expect(currentConsents(b)[0]).toMatchObject({ status: 'revoked', hlc: '0000000000000028' });
    expect(conflicts(b).map((c) => [c.reason, c.winner])).toEqual([['OVERRIDDEN', '0000000000000028']]);
    // Pulling again raises nothing more at either.
    await sync(a, ka);
    expect(conflicts(a)).toHaveLength(1);
    a.close();
    b.close();
  });

  it('a reorg that removes the change that stayed withdraws the STALE verdict it caused; the fold then decides again', async () => {
    const [ka, kb] = [await workstationKey(chain), await workstationKey(chain)];
    const a = workstation(dir, 'ws-a2', [0]);
    const b = workstation(dir, 'ws-b2', [0]);
    const key = { patient: 0, grantee: '3434343434', purpose: 'TREAT', category: 'general', revoked: false } as const;
    writeConsent(a, 'a', { ...key, decision: 'permit', seq: 10 });
    writeConsent(a, 'a', { ...key, decision: 'permit', seq: 40, revoked: true });
    writeConsent(b, 'b', { ...key, decision: 'deny', seq: 30 });
    const snapshot = await chain.control.snapshot();
    const forkBlock = await chain.provider.getBlockNumber();
    await sync(b, kb);
    await sync(a, ka);
    expect(conflicts(a).map((c) => c.reason)).toEqual(['STALE']);

    // The reorg removes both batches. A's pull rolls back and its batch lands again, now first: its 10 held the key
    // before its own 40 (succession), so the verdict that named B's 30 goes.
    await chain.control.revert(snapshot);
    await chain.control.mine(3);
    await sync(a, ka);
    expect(conflicts(a)).toEqual([]);
    // (The chain is shared with the first test, whose stale change is below the fork.)
    expect(a.prepare(`SELECT count(*) FROM sync_chain_events WHERE name = 'ConsentChanged:stale' AND block_number > ?`).pluck().get(forkBlock)).toBe(0);

    // B's 30 lands again, now after A's 40: STALE at B, naming A's 40; nothing at A.
    await sync(b, kb);
    expect(conflicts(b).map((c) => [c.reason, c.winner])).toEqual([[expect.stringMatching(/^(STALE|OVERRIDDEN)$/), '0000000000000028']]);
    await sync(a, ka);
    expect(conflicts(a)).toEqual([]);
    a.close();
    b.close();
  });
});
