// ClaimsLedger against a real anvil: roles, batch replay, duplicate claims skipped, malformed entries, payer
// decisions (once, only by the registered payer that opens the claim's payer commitment, denial needs a reason),
// packed state, events that carry commitments only, and gas per claim.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbiCoder, id, keccak256, toUtf8Bytes, hexlify, zeroPadBytes, type Contract } from 'ethers';
import { call, eventsOf, expectRevert, randomBytes32, startTestChain, type TestChain } from './harness';

let chain: TestChain;
let ledger: Contract;

const RECORDED = 1;
const ACCEPTED = 2;
const DENIED = 3;
const reason = (text: string) => zeroPadBytes(hexlify(toUtf8Bytes(text)), 8);
const NO_REASON = `0x${'00'.repeat(8)}`;
const commit = (account: string, nonce: string) => keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'bytes32'], [account, nonce]));

/** A claim addressed to `payer` (payer A, the admin, by default), with the nonce that opens its payer commitment. */
function record(payer = chain.admin.address) {
  const payerNonce = randomBytes32();
  return { claimHash: randomBytes32(), payerCommitment: commit(payer, payerNonce), payerNonce };
}
const onChain = (r: ReturnType<typeof record>) => ({ claimHash: r.claimHash, payerCommitment: r.payerCommitment });

beforeAll(async () => {
  chain = await startTestChain();
  ledger = await chain.deploy('ClaimsLedger');
  // Governance registers payer accounts; the admin doubles as payer A in most cases.
  await call(chain.admin, ledger, 'registerPayer', [chain.admin.address, true]);
});
afterAll(async () => {
  await chain?.stop();
});

const recordBatch = (batchId: string, records: ReturnType<typeof record>[]) => call(chain.admin, ledger, 'recordBatch', [batchId, records.map(onChain)]);
const claimOf = async (hash: string) => {
  const c = await ledger.getFunction('claimOf')(hash);
  return { status: Number(c.status), sealedReason: String(c.sealedReason), recordedAt: Number(c.recordedAt), decidedAt: Number(c.decidedAt) };
};

describe('ClaimsLedger', () => {
  it('gives the constructor admin the admin and custodian roles; payers exist only once governance registers them', async () => {
    const fresh = await chain.deploy('ClaimsLedger');
    expect(await fresh.getFunction('hasRole')(id('CUSTODIAN_ROLE'), chain.admin.address)).toBe(true);
    expect(await fresh.getFunction('isPayer')(chain.admin.address)).toBe(false);
    const args = await expectRevert(call(chain.stranger, fresh, 'registerPayer', [chain.stranger.address, true]), fresh.interface, 'AccessControlUnauthorizedAccount');
    expect(args[1]).toBe(`0x${'00'.repeat(32)}`);
    await expectRevert(call(chain.admin, fresh, 'registerPayer', ['0x0000000000000000000000000000000000000000', true]), fresh.interface, 'InvalidPayer');
    expect(await fresh.getFunction('payerCommitmentOf')(chain.admin.address, id('n'))).toBe(commit(chain.admin.address, id('n')));
    // Governance rules (AccessControlDefaultAdminRules): no second admin by grantRole, a transfer waits two days.
    await expectRevert(call(chain.admin, fresh, 'grantRole', [`0x${'00'.repeat(32)}`, chain.stranger.address]), fresh.interface, 'AccessControlEnforcedDefaultAdminRules');
    expect(await fresh.getFunction('defaultAdminDelay')()).toBe(2n * 24n * 3600n);
    await call(chain.admin, fresh, 'beginDefaultAdminTransfer', [chain.stranger.address]);
    await expectRevert(call(chain.stranger, fresh, 'acceptDefaultAdminTransfer', []), fresh.interface, 'AccessControlEnforcedDefaultAdminDelay');
  });

  it('refuses batches from accounts without the custodian role, and decisions from anyone but the claim’s payer', async () => {
    const r = record();
    const args = await expectRevert(call(chain.stranger, ledger, 'recordBatch', [randomBytes32(), [onChain(r)]]), ledger.interface, 'AccessControlUnauthorizedAccount');
    expect(args[1]).toBe(id('CUSTODIAN_ROLE'));
    await recordBatch(randomBytes32(), [r]);
    expect((await expectRevert(call(chain.stranger, ledger, 'setStatus', [r.claimHash, ACCEPTED, NO_REASON, r.payerNonce]), ledger.interface, 'NotClaimPayer')).toArray()).toEqual([r.claimHash, chain.stranger.address]);
  });

  it('attacker: payer B, registered and holding payer A’s nonce (copied from A’s pending transaction), cannot decide A’s claim', async () => {
    await call(chain.admin, ledger, 'registerPayer', [chain.stranger.address, true]);
    const [forA, forB] = [record(chain.admin.address), record(chain.stranger.address)];
    await recordBatch(randomBytes32(), [forA, forB]);
    for (const status of [ACCEPTED, DENIED]) {
      const args = await expectRevert(call(chain.stranger, ledger, 'setStatus', [forA.claimHash, status, reason('CO-16'), forA.payerNonce]), ledger.interface, 'NotClaimPayer');
      expect(args.toArray()).toEqual([forA.claimHash, chain.stranger.address]);
    }
    expect((await claimOf(forA.claimHash)).status).toBe(RECORDED);
    // Payer A with a wrong nonce opens nothing either.
    await expectRevert(call(chain.admin, ledger, 'setStatus', [forA.claimHash, ACCEPTED, NO_REASON, forB.payerNonce]), ledger.interface, 'NotClaimPayer');
    await call(chain.stranger, ledger, 'setStatus', [forB.claimHash, DENIED, reason('CO-16'), forB.payerNonce]); // its own: fine
    await expectRevert(call(chain.admin, ledger, 'setStatus', [forB.claimHash, ACCEPTED, NO_REASON, forB.payerNonce]), ledger.interface, 'NotClaimPayer');
    await call(chain.admin, ledger, 'setStatus', [forA.claimHash, ACCEPTED, NO_REASON, forA.payerNonce]);
    expect([(await claimOf(forA.claimHash)).status, (await claimOf(forB.claimHash)).status]).toEqual([ACCEPTED, DENIED]);
    // A payer removed by governance decides nothing more.
    const later = record(chain.stranger.address);
    await recordBatch(randomBytes32(), [later]);
    await call(chain.admin, ledger, 'registerPayer', [chain.stranger.address, false]);
    await expectRevert(call(chain.stranger, ledger, 'setStatus', [later.claimHash, ACCEPTED, NO_REASON, later.payerNonce]), ledger.interface, 'NotClaimPayer');
  });

  it('records claims in one packed slot, emits ClaimRecorded with the commitment alone, and guards the batch id', async () => {
    const [a, b] = [record(), record()];
    const batchId = randomBytes32();
    const receipt = await recordBatch(batchId, [a, b]);
    const recorded = eventsOf(receipt, ledger, 'ClaimRecorded');
    expect(recorded.map((e) => e.args.toArray())).toEqual([[a.claimHash], [b.claimHash]]);
    // Nothing but the commitment in the event: no payer, no day (one topic, no data).
    for (const log of receipt.logs.filter((l) => l.topics[0] === ledger.interface.getEvent('ClaimRecorded')!.topicHash)) expect([log.topics.length, log.data]).toEqual([2, '0x']);
    expect(eventsOf(receipt, ledger, 'BatchApplied').map((e) => e.args.toArray())).toEqual([[batchId, 2n]]);
    const stored = await claimOf(a.claimHash);
    const block = await chain.provider.getBlock(receipt.blockNumber);
    expect(stored).toEqual({ status: RECORDED, sealedReason: NO_REASON, recordedAt: block!.timestamp, decidedAt: 0 });
    const packed = BigInt(await ledger.getFunction('packedStateOf')(a.claimHash));
    expect(packed).toBe(BigInt(RECORDED) | (BigInt(block!.timestamp) << 72n));
    expect(await ledger.getFunction('batchApplied')(chain.admin.address, batchId)).toBe(true);

    const again = await expectRevert(recordBatch(batchId, [record()]), ledger.interface, 'BatchAlreadyApplied');
    expect(again[0]).toBe(batchId);
  });

  it('skips a claim hash recorded before with another payer, keeps its payer; the same record again only re-announces it', async () => {
    const a = record();
    await recordBatch(randomBytes32(), [a]);
    const other = record();
    const hijack = { ...record(chain.stranger.address), claimHash: a.claimHash };
    const before = BigInt(await ledger.getFunction('packedStateOf')(a.claimHash));
    const receipt = await recordBatch(randomBytes32(), [hijack, other, other, a]);
    expect(eventsOf(receipt, ledger, 'ClaimRecordSkipped').map((e) => e.args.claimHash)).toEqual([a.claimHash]);
    // The very record again (same payer commitment, undecided): announced again (a torn node state lost its event),
    // its state unchanged (recordedAt is the first record's).
    expect(eventsOf(receipt, ledger, 'ClaimRecorded').map((e) => e.args.claimHash)).toEqual([other.claimHash, other.claimHash, a.claimHash]);
    expect(BigInt(await ledger.getFunction('packedStateOf')(a.claimHash))).toBe(before);
    await call(chain.admin, ledger, 'registerPayer', [chain.stranger.address, true]);
    await expectRevert(call(chain.stranger, ledger, 'setStatus', [a.claimHash, ACCEPTED, NO_REASON, hijack.payerNonce]), ledger.interface, 'NotClaimPayer');
  });

  it('reverts a whole batch with a malformed entry and leaves its batch id unused', async () => {
    const good = record();
    const batchId = randomBytes32();
    for (const bad of [{ ...record(), claimHash: `0x${'00'.repeat(32)}` }, { ...record(), payerCommitment: `0x${'00'.repeat(32)}` }]) {
      const args = await expectRevert(recordBatch(batchId, [good, bad]), ledger.interface, 'InvalidClaimRecord');
      expect(args[0]).toBe(1n);
    }
    expect(await ledger.getFunction('batchApplied')(chain.admin.address, batchId)).toBe(false);
    expect((await claimOf(good.claimHash)).status).toBe(0);
  });

  it('lets the payer accept or deny a recorded claim once, with a (masked) reason code, and emits ClaimStatusChanged', async () => {
    const [a, d] = [record(), record()];
    await recordBatch(randomBytes32(), [a, d]);
    const accepted = await call(chain.admin, ledger, 'setStatus', [a.claimHash, ACCEPTED, NO_REASON, a.payerNonce]);
    expect(eventsOf(accepted, ledger, 'ClaimStatusChanged').map((e) => e.args.toArray())).toEqual([[a.claimHash, BigInt(ACCEPTED), NO_REASON, chain.admin.address]]);
    const sealed = '0x1122334455667788';
    const denied = await call(chain.admin, ledger, 'setStatus', [d.claimHash, DENIED, sealed, d.payerNonce]);
    expect(eventsOf(denied, ledger, 'ClaimStatusChanged')[0]?.args.sealedReason).toBe(sealed);
    const block = await chain.provider.getBlock(denied.blockNumber);
    expect(await claimOf(d.claimHash)).toMatchObject({ status: DENIED, sealedReason: sealed, decidedAt: block!.timestamp });
    expect((await claimOf(a.claimHash)).status).toBe(ACCEPTED);

    const twice = await expectRevert(call(chain.admin, ledger, 'setStatus', [a.claimHash, DENIED, reason('CO-16'), a.payerNonce]), ledger.interface, 'ClaimAlreadyDecided');
    expect(twice.toArray()).toEqual([a.claimHash, BigInt(ACCEPTED)]);
  });

  it('refuses decisions on unrecorded claims, unknown statuses and denials without a reason', async () => {
    const unknown = randomBytes32();
    expect((await expectRevert(call(chain.admin, ledger, 'setStatus', [unknown, ACCEPTED, NO_REASON, randomBytes32()]), ledger.interface, 'ClaimNotRecorded'))[0]).toBe(unknown);
    const r = record();
    await recordBatch(randomBytes32(), [r]);
    for (const status of [0, RECORDED, 4]) {
      expect((await expectRevert(call(chain.admin, ledger, 'setStatus', [r.claimHash, status, NO_REASON, r.payerNonce]), ledger.interface, 'InvalidStatus'))[0]).toBe(BigInt(status));
    }
    expect((await expectRevert(call(chain.admin, ledger, 'setStatus', [r.claimHash, DENIED, NO_REASON, r.payerNonce]), ledger.interface, 'MissingReasonCode'))[0]).toBe(r.claimHash);
    expect((await claimOf(r.claimHash)).status).toBe(RECORDED);
  });

  it('costs under the sync gas model per new claim (GAS_MODELS claim.record: 56,000)', async () => {
    const one = await recordBatch(randomBytes32(), [record()]);
    const many = await recordBatch(randomBytes32(), Array.from({ length: 21 }, () => record()));
    const perClaim = Number(many.gasUsed - one.gasUsed) / 20;
    process.stdout.write(`ClaimsLedger.recordBatch: ${Number(one.gasUsed)} gas for 1 claim, ~${Math.round(perClaim)} per further claim\n`);
    expect(perClaim).toBeLessThan(56_000);
    expect(Number(one.gasUsed)).toBeLessThan(80_000 + 56_000);
  });
});
