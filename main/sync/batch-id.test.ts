// Batch ids as an attacker sees them: public once broadcast, so another account can land a transaction under a
// victim's id first. The engine must confirm a batch only from its own transaction's receipt, name the theft
// (batch-id-taken) and send the events again under a new id; contracts that bind ids to their sender make the
// theft impossible. Real anvil, real engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import path from 'node:path';
import { Contract, Wallet } from 'ethers';
import type { SyncState } from '../api/events';
import { loadArtifact } from '../chain/artifacts';
import { DEVNET_SIGNER_KEY } from '../chain/devnet';
import { TxSender } from '../chain/provider';
import { planBatches } from './batcher';
import { enqueue, enqueueConsents, openTestDb, startTestChain, tempDir, testEngine, type TestChain } from './fixtures/chain';
import { SyncStore } from './store';

/** anvil's public dev key #1: the hostile workstation (or anyone at all, for SharingAgreements). */
const ATTACKER_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

let chain: TestChain;
let dir: string;
let attacker: Wallet;
let victim: Wallet;

beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('batch-id');
  attacker = new Wallet(ATTACKER_KEY, chain.provider);
  victim = new Wallet(DEVNET_SIGNER_KEY, chain.provider);
  // The attacker is a workstation with the writer role (a hostile or compromised one), not an outsider.
  const admin = new TxSender(victim);
  for (const name of ['ConsentLedger', 'ClaimsLedger'] as const) {
    const c = contract(name);
    await admin.send({ to: chain.contracts[name]!, data: c.interface.encodeFunctionData('grantRole', [await c.getFunction('CUSTODIAN_ROLE')(), attacker.address]) });
  }
});
afterAll(async () => {
  await chain?.stop();
});

function contract(name: 'ConsentLedger' | 'ClaimsLedger' | 'SharingAgreements'): Contract {
  return new Contract(chain.contracts[name]!, loadArtifact(name).abi, chain.provider);
}

/** Plans the pending events into batches as the engine would, without sending: the id is known before broadcast. */
function planNow(store: SyncStore): string[] {
  const plans = planBatches(store.origin(), store.pendingEvents(1000), { blockGasLimit: 30_000_000 });
  store.insertBatches(plans);
  return plans.map((p) => p.id);
}

function claimPayload(i: number): string {
  const h = (s: string) => `0x${crypto.createHash('sha256').update(s).digest('hex')}`;
  return JSON.stringify({ v: 1, claimRowId: i + 1, claimHash: h(`claim-${i}`), payerHash: h(`payer-${i}`), serviceDay: 20_000 + i });
}

describe('batch id front-running', () => {
  it('an id another account used first is NOT confirmed: it fails as batch-id-taken and lands under a fresh id of ours', async () => {
    const db = openTestDb(path.join(dir, 'consents.sqlite'));
    const store = new SyncStore(db);
    enqueueConsents(db, 3, 70_000);
    const [stolen] = planNow(store);
    // The attacker lands an empty batch under the victim's id (ConsentLedger keeps ids global on this branch).
    const ledger = contract('ConsentLedger');
    await new TxSender(attacker).send({ to: chain.contracts.ConsentLedger, data: ledger.interface.encodeFunctionData('applyBatch', [stolen, []]) });

    const states: SyncState[] = [];
    const engine = testEngine(db, chain, { emit: (s) => states.push(s) });
    await engine.runUntilDrained();
    await engine.stop();

    const old = store.batch(stolen!)!;
    expect(old.state).toBe('failed');
    expect(old.last_error).toMatch(/^SYNC_BATCH_ID_TAKEN: /);
    expect(store.batchEvents(stolen!)).toHaveLength(0);
    expect(store.retry(stolen!)).toBe(false); // nothing left to resend under the stolen id
    const taken = states.find((s) => s.state === 'failed' && s.reason === 'batch-id-taken' && s.batchId === stolen);
    expect(taken).toBeDefined();
    expect(states.some((s) => s.state === 'confirmed' && s.batchId === stolen)).toBe(false);

    // The events went again under a new id, sent and confirmed by the victim's own transaction.
    const rows = db.prepare(`SELECT state, batch_id FROM outbox`).all() as { state: string; batch_id: string }[];
    expect(rows.map((r) => r.state)).toEqual(['confirmed', 'confirmed', 'confirmed']);
    const fresh = rows[0]!.batch_id;
    expect(fresh).not.toBe(stolen);
    const batch = store.batch(fresh)!;
    expect(batch.state).toBe('confirmed');
    const tx = await chain.provider.getTransaction(batch.tx_hash!);
    expect(tx!.from).toBe(victim.address);
    const changed = await ledger.queryFilter(ledger.filters.ConsentChanged!(), batch.block_number!, batch.block_number!);
    expect(changed.filter((e) => e.transactionHash === batch.tx_hash)).toHaveLength(3);
    db.close();
  });

  it('on a contract that binds ids to the sender, the attacker’s use of the id is harmless: the victim confirms from its own receipt', async () => {
    const db = openTestDb(path.join(dir, 'claims.sqlite'));
    const store = new SyncStore(db);
    enqueue(db, 'claim.record', [claimPayload(1), claimPayload(2)]);
    const [id] = planNow(store);
    const claims = contract('ClaimsLedger');
    await new TxSender(attacker).send({ to: chain.contracts.ClaimsLedger!, data: claims.interface.encodeFunctionData('recordBatch', [id, []]) });
    expect(await claims.getFunction('batchApplied')(attacker.address, id)).toBe(true);
    expect(await claims.getFunction('batchApplied')(victim.address, id)).toBe(false);

    const engine = testEngine(db, chain);
    await engine.runUntilDrained();
    await engine.stop();
    const batch = store.batch(id!)!;
    expect(batch.state).toBe('confirmed');
    const receipt = await chain.provider.getTransactionReceipt(batch.tx_hash!);
    expect(receipt!.status).toBe(1);
    expect((await chain.provider.getTransaction(batch.tx_hash!))!.from).toBe(victim.address);
    expect(await claims.getFunction('batchApplied')(victim.address, id)).toBe(true);
    const recorded = await claims.queryFilter(claims.filters.ClaimRecorded!(), receipt!.blockNumber, receipt!.blockNumber);
    expect(recorded).toHaveLength(2);
    db.close();
  });

  it('SharingAgreements: anyone’s terminateBatch(id, []) spends only their own id, never the victim’s', async () => {
    const sharing = contract('SharingAgreements');
    const id = `0x${crypto.randomBytes(32).toString('hex')}`;
    await new TxSender(attacker).send({ to: chain.contracts.SharingAgreements!, data: sharing.interface.encodeFunctionData('terminateBatch', [id, []]) });
    expect(await sharing.getFunction('batchApplied')(attacker.address, id)).toBe(true);
    expect(await sharing.getFunction('batchApplied')(victim.address, id)).toBe(false);
    const receipt = await new TxSender(victim).send({ to: chain.contracts.SharingAgreements!, data: sharing.interface.encodeFunctionData('terminateBatch', [id, []]) });
    expect(receipt.status).toBe(1);
    expect(await sharing.getFunction('batchApplied')(victim.address, id)).toBe(true);
    // The attacker replaying its own id is refused by name.
    await expect(new TxSender(attacker).send({ to: chain.contracts.SharingAgreements!, data: sharing.interface.encodeFunctionData('terminateBatch', [id, []]) }, { decodeErrorsWith: sharing.interface })).rejects.toThrow(/BatchAlreadyApplied/);
  });
});
