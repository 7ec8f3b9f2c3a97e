// Batch ids as an attacker sees them: public once broadcast, so another account can land a transaction under a
// victim's id first. The engine must confirm a batch only from its own transaction's receipt, name the theft
// (batch-id-taken) and send the events again under a new id; every contract now binds ids to their sender, which
// makes the theft impossible, and these tests show the victim still confirms from its own receipt. Real anvil, real engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import path from 'node:path';
import { Contract, Wallet } from 'ethers';
import type { SyncState } from '../api/events';
import { loadArtifact } from '../chain/artifacts';
import { DEVNET_SIGNER_KEY } from '../chain/devnet';
import { TxSender } from '../chain/provider';
import { planBatches } from './batcher';
import { enqueue, enqueueConsents, openTestDb, registerConsentSigner, startTestChain, tempDir, testEngine, TEST_REGISTRY, type TestChain } from './fixtures/chain';
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
  // The attacker is a workstation with the writer role (a hostile or compromised one), not an outsider: a registered
  // consent signer of another facility, and a ClaimsLedger writer.
  await registerConsentSigner(chain, attacker.address, `0x${'ab'.repeat(32)}`);
  const claims = contract('ClaimsLedger');
  await new TxSender(victim).send({ to: chain.contracts.ClaimsLedger!, data: claims.interface.encodeFunctionData('grantRole', [await claims.getFunction('CUSTODIAN_ROLE')(), attacker.address]) });
});
afterAll(async () => {
  await chain?.stop();
});

function contract(name: 'ConsentLedger' | 'ClaimsLedger' | 'SharingAgreements'): Contract {
  return new Contract(chain.contracts[name]!, loadArtifact(name).abi, chain.provider);
}

/** Plans the pending events into batches as the engine would, without sending: the id is known before broadcast. */
function planNow(store: SyncStore): string[] {
  const plans = planBatches(store.origin(), store.pendingEvents(1000), { blockGasLimit: 30_000_000, models: TEST_REGISTRY.gasModels() });
  store.insertBatches(plans, (k) => TEST_REGISTRY.contractOf(k));
  return plans.map((p) => p.id);
}

function claimPayload(i: number): string {
  const h = (s: string) => `0x${crypto.createHash('sha256').update(s).digest('hex')}`;
  return JSON.stringify({ v: 2, claimRowId: i + 1, claimHash: h(`claim-${i}`), payerCommitment: h(`payer-${i}`) });
}

describe('batch id front-running', () => {
  it('ConsentLedger binds ids to their sender: another facility\u2019s signer landing the victim\u2019s id first neither blocks nor confirms it', async () => {
    const db = openTestDb(path.join(dir, 'consents.sqlite'));
    const store = new SyncStore(db, TEST_REGISTRY.kinds);
    enqueueConsents(db, 3, 70_000);
    const [id] = planNow(store);
    const ledger = contract('ConsentLedger');
    await new TxSender(attacker).send({ to: chain.contracts.ConsentLedger, data: ledger.interface.encodeFunctionData('applyBatch', [id, []]) });
    expect(await ledger.getFunction('batchApplied')(attacker.address, id)).toBe(true);
    expect(await ledger.getFunction('batchApplied')(victim.address, id)).toBe(false);

    const states: SyncState[] = [];
    const engine = testEngine(db, chain, { emit: (s) => states.push(s) });
    await engine.runUntilDrained();
    await engine.stop();

    // Confirmed only by the victim's own transaction, under the same id; the attacker's empty batch confirmed nothing.
    const batch = store.batch(id!)!;
    expect(batch.state).toBe('confirmed');
    expect(states.some((s) => s.state === 'failed' && s.batchId === id)).toBe(false);
    const tx = await chain.provider.getTransaction(batch.tx_hash!);
    expect(tx!.from).toBe(victim.address);
    const changed = await ledger.queryFilter(ledger.filters.ConsentChanged!(), batch.block_number!, batch.block_number!);
    expect(changed.filter((e) => e.transactionHash === batch.tx_hash)).toHaveLength(3);
    const rows = db.prepare(`SELECT state FROM outbox`).all() as { state: string }[];
    expect(rows.map((r) => r.state)).toEqual(['confirmed', 'confirmed', 'confirmed']);
    db.close();
  });

  it('on a contract that binds ids to the sender, the attacker’s use of the id is harmless: the victim confirms from its own receipt', async () => {
    const db = openTestDb(path.join(dir, 'claims.sqlite'));
    const store = new SyncStore(db, TEST_REGISTRY.kinds);
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
