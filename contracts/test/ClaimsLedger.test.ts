// ClaimsLedger against a real anvil: roles, batch replay, duplicate claims skipped, malformed entries, payer
// decisions (once, only for recorded claims, denial needs a reason), packed state, events and gas per claim.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { id, toUtf8Bytes, hexlify, zeroPadBytes, type Contract } from 'ethers';
import { call, eventsOf, expectRevert, randomBytes32, startTestChain, type TestChain } from './harness';

let chain: TestChain;
let ledger: Contract;

const RECORDED = 1;
const ACCEPTED = 2;
const DENIED = 3;
const reason = (text: string) => zeroPadBytes(hexlify(toUtf8Bytes(text)), 8);
const NO_REASON = `0x${'00'.repeat(8)}`;

/** Payer A answers as the admin account; payer B is the stranger, registered for its own claims only. */
const PAYER_A = id('payer:PAYER-A');
const PAYER_B = id('payer:PAYER-B');

function record(serviceDay = 20_000, payerHash = PAYER_A) {
  return { claimHash: randomBytes32(), payerHash, serviceDay };
}

beforeAll(async () => {
  chain = await startTestChain();
  ledger = await chain.deploy('ClaimsLedger');
  // Governance registers each payer's address; the admin doubles as payer A in most cases.
  await call(chain.admin, ledger, 'registerPayer', [PAYER_A, chain.admin.address]);
});
afterAll(async () => {
  await chain?.stop();
});

const recordBatch = (batchId: string, records: ReturnType<typeof record>[]) => call(chain.admin, ledger, 'recordBatch', [batchId, records]);
const claimOf = async (hash: string) => {
  const c = await ledger.getFunction('claimOf')(hash);
  return { status: Number(c.status), serviceDay: Number(c.serviceDay), reasonCode: String(c.reasonCode), recordedAt: Number(c.recordedAt), decidedAt: Number(c.decidedAt) };
};

describe('ClaimsLedger', () => {
  it('gives the constructor admin the admin and custodian roles; payers exist only once governance registers them', async () => {
    const fresh = await chain.deploy('ClaimsLedger');
    expect(await fresh.getFunction('hasRole')(id('CUSTODIAN_ROLE'), chain.admin.address)).toBe(true);
    expect(await fresh.getFunction('payerAccountOf')(PAYER_A)).toBe('0x0000000000000000000000000000000000000000');
    const args = await expectRevert(call(chain.stranger, fresh, 'registerPayer', [PAYER_B, chain.stranger.address]), fresh.interface, 'AccessControlUnauthorizedAccount');
    expect(args[1]).toBe(`0x${'00'.repeat(32)}`);
    await expectRevert(call(chain.admin, fresh, 'registerPayer', [PAYER_B, '0x0000000000000000000000000000000000000000']), fresh.interface, 'InvalidPayer');
    // Governance rules (AccessControlDefaultAdminRules): no second admin by grantRole, a transfer waits two days.
    await expectRevert(call(chain.admin, fresh, 'grantRole', [`0x${'00'.repeat(32)}`, chain.stranger.address]), fresh.interface, 'AccessControlEnforcedDefaultAdminRules');
    expect(await fresh.getFunction('defaultAdminDelay')()).toBe(2n * 24n * 3600n);
    await call(chain.admin, fresh, 'beginDefaultAdminTransfer', [chain.stranger.address]);
    await expectRevert(call(chain.stranger, fresh, 'acceptDefaultAdminTransfer', []), fresh.interface, 'AccessControlEnforcedDefaultAdminDelay');
  });

  it('refuses batches from accounts without the custodian role, and decisions from anyone but the claim’s payer', async () => {
    const r = record();
    const args = await expectRevert(call(chain.stranger, ledger, 'recordBatch', [randomBytes32(), [r]]), ledger.interface, 'AccessControlUnauthorizedAccount');
    expect(args[1]).toBe(id('CUSTODIAN_ROLE'));
    await recordBatch(randomBytes32(), [r]);
    expect((await expectRevert(call(chain.stranger, ledger, 'setStatus', [r.claimHash, ACCEPTED, NO_REASON]), ledger.interface, 'NotClaimPayer')).toArray()).toEqual([r.claimHash, chain.stranger.address]);
  });

  it('attacker: payer B, registered for its own claims, cannot decide payer A’s claim (NotClaimPayer)', async () => {
    await call(chain.admin, ledger, 'registerPayer', [PAYER_B, chain.stranger.address]);
    const [forA, forB] = [record(20_200, PAYER_A), record(20_201, PAYER_B)];
    await recordBatch(randomBytes32(), [forA, forB]);
    for (const status of [ACCEPTED, DENIED]) {
      const args = await expectRevert(call(chain.stranger, ledger, 'setStatus', [forA.claimHash, status, reason('CO-16')]), ledger.interface, 'NotClaimPayer');
      expect(args.toArray()).toEqual([forA.claimHash, chain.stranger.address]);
    }
    expect((await claimOf(forA.claimHash)).status).toBe(RECORDED);
    await call(chain.stranger, ledger, 'setStatus', [forB.claimHash, DENIED, reason('CO-16')]); // its own: fine
    await expectRevert(call(chain.admin, ledger, 'setStatus', [forB.claimHash, ACCEPTED, NO_REASON]), ledger.interface, 'NotClaimPayer');
    await call(chain.admin, ledger, 'setStatus', [forA.claimHash, ACCEPTED, NO_REASON]);
    expect([(await claimOf(forA.claimHash)).status, (await claimOf(forB.claimHash)).status]).toEqual([ACCEPTED, DENIED]);
  });

  it('records claims in one packed slot, emits ClaimRecorded and BatchApplied, and guards the batch id', async () => {
    const [a, b] = [record(20_100), record(20_101)];
    const batchId = randomBytes32();
    const receipt = await recordBatch(batchId, [a, b]);
    expect(eventsOf(receipt, ledger, 'ClaimRecorded').map((e) => e.args.toArray())).toEqual([
      [a.claimHash, a.payerHash, 20_100n],
      [b.claimHash, b.payerHash, 20_101n],
    ]);
    expect(eventsOf(receipt, ledger, 'BatchApplied').map((e) => e.args.toArray())).toEqual([[batchId, 2n]]);
    const stored = await claimOf(a.claimHash);
    const block = await chain.provider.getBlock(receipt.blockNumber);
    expect(stored).toEqual({ status: RECORDED, serviceDay: 20_100, reasonCode: NO_REASON, recordedAt: block!.timestamp, decidedAt: 0 });
    const packed = BigInt(await ledger.getFunction('packedStateOf')(a.claimHash));
    expect(packed).toBe(BigInt(RECORDED) | (20_100n << 8n) | (BigInt(block!.timestamp) << 104n));
    expect(await ledger.getFunction('batchApplied')(chain.admin.address, batchId)).toBe(true);

    const again = await expectRevert(recordBatch(batchId, [record()]), ledger.interface, 'BatchAlreadyApplied');
    expect(again[0]).toBe(batchId);
  });

  it('skips a claim hash recorded before (in another batch or the same one) and keeps its state', async () => {
    const a = record(20_200);
    await recordBatch(randomBytes32(), [a]);
    const other = record();
    const receipt = await recordBatch(randomBytes32(), [{ ...a, serviceDay: 1 }, other, other]);
    expect(eventsOf(receipt, ledger, 'ClaimRecordSkipped').map((e) => e.args.claimHash)).toEqual([a.claimHash, other.claimHash]);
    expect(eventsOf(receipt, ledger, 'ClaimRecorded').map((e) => e.args.claimHash)).toEqual([other.claimHash]);
    expect((await claimOf(a.claimHash)).serviceDay).toBe(20_200);
  });

  it('reverts a whole batch with a malformed entry and leaves its batch id unused', async () => {
    const good = record();
    const batchId = randomBytes32();
    for (const bad of [{ ...record(), claimHash: `0x${'00'.repeat(32)}` }, { ...record(), payerHash: `0x${'00'.repeat(32)}` }, record(0)]) {
      const args = await expectRevert(recordBatch(batchId, [good, bad]), ledger.interface, 'InvalidClaimRecord');
      expect(args[0]).toBe(1n);
    }
    expect(await ledger.getFunction('batchApplied')(chain.admin.address, batchId)).toBe(false);
    expect((await claimOf(good.claimHash)).status).toBe(0);
  });

  it('lets the payer accept or deny a recorded claim once, with a reason code, and emits ClaimStatusChanged', async () => {
    const [a, d] = [record(20_300), record(20_301)];
    await recordBatch(randomBytes32(), [a, d]);
    const accepted = await call(chain.admin, ledger, 'setStatus', [a.claimHash, ACCEPTED, NO_REASON]);
    expect(eventsOf(accepted, ledger, 'ClaimStatusChanged').map((e) => e.args.toArray())).toEqual([[a.claimHash, BigInt(ACCEPTED), NO_REASON, chain.admin.address]]);
    const denied = await call(chain.admin, ledger, 'setStatus', [d.claimHash, DENIED, reason('CO-16')]);
    expect(eventsOf(denied, ledger, 'ClaimStatusChanged')[0]?.args.reasonCode).toBe(reason('CO-16'));
    const block = await chain.provider.getBlock(denied.blockNumber);
    expect(await claimOf(d.claimHash)).toMatchObject({ status: DENIED, serviceDay: 20_301, reasonCode: reason('CO-16'), decidedAt: block!.timestamp });
    expect((await claimOf(a.claimHash)).status).toBe(ACCEPTED);

    const twice = await expectRevert(call(chain.admin, ledger, 'setStatus', [a.claimHash, DENIED, reason('CO-16')]), ledger.interface, 'ClaimAlreadyDecided');
    expect(twice.toArray()).toEqual([a.claimHash, BigInt(ACCEPTED)]);
  });

  it('refuses decisions on unrecorded claims, unknown statuses and denials without a reason', async () => {
    const unknown = randomBytes32();
    expect((await expectRevert(call(chain.admin, ledger, 'setStatus', [unknown, ACCEPTED, NO_REASON]), ledger.interface, 'ClaimNotRecorded'))[0]).toBe(unknown);
    const r = record();
    await recordBatch(randomBytes32(), [r]);
    for (const status of [0, RECORDED, 4]) {
      expect((await expectRevert(call(chain.admin, ledger, 'setStatus', [r.claimHash, status, NO_REASON]), ledger.interface, 'InvalidStatus'))[0]).toBe(BigInt(status));
    }
    expect((await expectRevert(call(chain.admin, ledger, 'setStatus', [r.claimHash, DENIED, NO_REASON]), ledger.interface, 'MissingReasonCode'))[0]).toBe(r.claimHash);
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
