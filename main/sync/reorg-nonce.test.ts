// A reorg (or a node restarted from an older state) removes a block that held a confirmed batch of ours, and a new
// change is queued before the engine has noticed. Found by the convergence bench (issue #18): the engine reconciled
// its nonce from the node (the removed transaction's nonce is free again), signed the new batch with it, and the
// write-ahead hit the rule "two live batches never hold one nonce" (the confirmed row still held it): every cycle
// failed with UNIQUE constraint failed: sync_batches.chain_id, ... nonce, before checkReorgs could requeue the
// removed batch, so the workstation never synced again. Both batches must land.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Contract, Wallet } from 'ethers';
import { loadArtifact } from '../chain/artifacts';
import type { Db } from '../db/connection';
import { outboxStates, startTestChain, tempDir, workstationKey, type TestChain } from './fixtures/chain';
import { workstation, writeConsent } from './fixtures/workstation';
import { drainOnce } from './fixtures/drain';

let chain: TestChain;
let dir: string;
beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('sync-reorg-nonce');
});
afterAll(async () => {
  await chain?.stop();
});

const drain = (db: Db, key: string) => drainOnce(chain, db, key, { failureAllowed: true });

describe('a removed block under a confirmed batch, then a new change', () => {
  it('requeues the removed batch before signing with its nonce, and both land', async () => {
    const key = await workstationKey(chain);
    const db = workstation(dir, 'ws', [0, 1]);
    const base = { grantee: '1111111111', purpose: 'TREAT', category: 'general', decision: 'permit', revoked: false } as const;
    writeConsent(db, 'a', { ...base, patient: 0, seq: 1 });
    const snapshot = await chain.control.snapshot();
    expect((await drain(db, key)).failure).toBeUndefined();
    expect(outboxStates(db)).toEqual({ confirmed: 1 });

    // The block with the batch leaves the chain (its transaction with it); the chain grows past it.
    await chain.control.revert(snapshot);
    await chain.control.mine(3);
    writeConsent(db, 'a', { ...base, patient: 1, seq: 1 });

    const report = await drain(db, key);
    expect(report.failure?.message).toBeUndefined();
    expect(outboxStates(db)).toEqual({ confirmed: 2 });
    const ledger = new Contract(chain.contracts.ConsentLedger, loadArtifact('ConsentLedger').abi, chain.provider);
    const changed = await ledger.queryFilter(ledger.filters.ConsentChanged!(), 0, 'latest');
    const mine = new Wallet(key).address.toLowerCase();
    expect(changed.filter((l) => l.transactionHash && (l as unknown as { args: { state: bigint } }).args.state >> 80n === BigInt(mine))).toHaveLength(2);
    db.close();
  });
});
