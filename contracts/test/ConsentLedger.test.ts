// ConsentLedger against a real anvil: roles, replay protection, sequence ordering, events and time windows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { id, type Contract } from 'ethers';
import { consentKey } from '../../main/chain/keys';
import { MAX_TX_GAS } from '../../main/chain/provider';
import { call, eventsOf, expectRevert, randomBytes32, startTestChain, type TestChain } from './harness';

const PERMIT = 1;
const DENY = 2;

interface Op {
  key: string;
  seq: bigint;
  decision: number;
  validFrom: bigint;
  validUntil: bigint;
  revoked: boolean;
  documentHash: string;
}

function op(key: string, seq: number, fields: Partial<Omit<Op, 'key' | 'seq'>> = {}): Op {
  return {
    key,
    seq: BigInt(seq),
    decision: PERMIT,
    validFrom: 0n,
    validUntil: 0n,
    revoked: false,
    documentHash: `0x${'00'.repeat(32)}`,
    ...fields,
  };
}

let chain: TestChain;
let ledger: Contract;

beforeAll(async () => {
  chain = await startTestChain();
  ledger = await chain.deploy('ConsentLedger');
});

afterAll(async () => {
  await chain?.stop();
});

const apply = (batchId: string, ops: Op[]) => call(chain.admin, ledger, 'applyBatch', [batchId, ops]);

describe('ConsentLedger', () => {
  it('grants the admin and custodian roles to the constructor admin only', async () => {
    const custodian = id('CUSTODIAN_ROLE');
    expect(await ledger.getFunction('CUSTODIAN_ROLE')()).toBe(custodian);
    expect(await ledger.getFunction('hasRole')(custodian, chain.admin.address)).toBe(true);
    expect(await ledger.getFunction('hasRole')(`0x${'00'.repeat(32)}`, chain.admin.address)).toBe(true);
    expect(await ledger.getFunction('hasRole')(custodian, chain.stranger.address)).toBe(false);
  });

  it('rejects a batch from an account without CUSTODIAN_ROLE', async () => {
    const args = await expectRevert(
      call(chain.stranger, ledger, 'applyBatch', [randomBytes32(), [op(randomBytes32(), 1)]]),
      ledger.interface,
      'AccessControlUnauthorizedAccount',
    );
    expect(args[0]).toBe(chain.stranger.address);
    expect(args[1]).toBe(id('CUSTODIAN_ROLE'));
  });

  it('applies ops, stores the packed state and emits one ConsentChanged per change', async () => {
    const key = consentKey(randomBytes32(), randomBytes32(), id('treatment'), id('lab-results'));
    const doc = randomBytes32();
    const batchId = randomBytes32();
    const receipt = await apply(batchId, [op(key, 1, { validFrom: 100n, validUntil: 200n, documentHash: doc })]);

    const changed = eventsOf(receipt, ledger, 'ConsentChanged');
    expect(changed).toHaveLength(1);
    expect(changed[0]?.args.toArray()).toEqual([key, batchId, 1n, BigInt(PERMIT), 100n, 200n, false, doc]);
    const applied = eventsOf(receipt, ledger, 'BatchApplied');
    expect(applied.map((e) => e.args.toArray())).toEqual([[batchId, 1n]]);

    const stored = await ledger.getFunction('consentOf')(key);
    expect(stored.decision).toBe(BigInt(PERMIT));
    expect(stored.revoked).toBe(false);
    expect(stored.validFrom).toBe(100n);
    expect(stored.validUntil).toBe(200n);
    expect(stored.seq).toBe(1n);
    expect(stored.documentHash).toBe(doc);
    expect(await ledger.getFunction('batchApplied')(batchId)).toBe(true);
    expect(await ledger.getFunction('batchApplied')(randomBytes32())).toBe(false);
  });

  it('reverts a replayed batch id with BatchAlreadyApplied', async () => {
    const batchId = randomBytes32();
    await apply(batchId, [op(randomBytes32(), 1)]);
    const args = await expectRevert(apply(batchId, [op(randomBytes32(), 1)]), ledger.interface, 'BatchAlreadyApplied');
    expect(args[0]).toBe(batchId);
  });

  it('lets a later revoke win over an earlier grant that lands afterwards', async () => {
    const key = randomBytes32();
    await apply(randomBytes32(), [op(key, 2, { revoked: true })]);
    const late = await apply(randomBytes32(), [op(key, 1)]);

    expect(eventsOf(late, ledger, 'ConsentChanged')).toHaveLength(0);
    const skipped = eventsOf(late, ledger, 'ConsentOpSkipped');
    expect(skipped.map((e) => e.args.toArray())).toEqual([[key, 1n, 2n]]);
    const stored = await ledger.getFunction('consentOf')(key);
    expect(stored.revoked).toBe(true);
    expect(stored.seq).toBe(2n);
    expect(await ledger.getFunction('isPermitted')(key, 1_000n)).toBe(false);
  });

  it('skips an equal or older sequence inside one batch and applies a newer one', async () => {
    const key = randomBytes32();
    const receipt = await apply(randomBytes32(), [
      op(key, 5, { decision: DENY }),
      op(key, 5),
      op(key, 3),
      op(key, 7, { validFrom: 10n }),
    ]);
    expect(eventsOf(receipt, ledger, 'ConsentChanged').map((e) => e.args.seq)).toEqual([5n, 7n]);
    expect(eventsOf(receipt, ledger, 'ConsentOpSkipped').map((e) => e.args.toArray())).toEqual([
      [key, 5n, 5n],
      [key, 3n, 5n],
    ]);
    expect(eventsOf(receipt, ledger, 'BatchApplied')[0]?.args.opCount).toBe(4n);
    const stored = await ledger.getFunction('consentOf')(key);
    expect([stored.seq, stored.decision, stored.validFrom]).toEqual([7n, BigInt(PERMIT), 10n]);
  });

  it('answers isPermitted over the window [validFrom, validUntil) and for deny, revoke and unknown keys', async () => {
    const windowed = randomBytes32();
    const open = randomBytes32();
    const denied = randomBytes32();
    const revoked = randomBytes32();
    await apply(randomBytes32(), [
      op(windowed, 1, { validFrom: 100n, validUntil: 200n }),
      op(open, 1, { validFrom: 50n }),
      op(denied, 1, { decision: DENY, validFrom: 0n }),
      op(revoked, 1, { revoked: true }),
    ]);
    const cases: Array<[string, bigint, boolean]> = [
      [windowed, 99n, false],
      [windowed, 100n, true],
      [windowed, 199n, true],
      [windowed, 200n, false],
      [open, 49n, false],
      [open, 50n, true],
      [open, 4_000_000_000n, true],
      [denied, 100n, false],
      [revoked, 100n, false],
      [randomBytes32(), 100n, false],
    ];
    for (const [key, at, expected] of cases) {
      expect({ key, at, permitted: await ledger.getFunction('isPermitted')(key, at) }).toEqual({ key, at, permitted: expected });
    }

    // A newer op re-grants a revoked consent; an older one cannot.
    await apply(randomBytes32(), [op(revoked, 2)]);
    expect(await ledger.getFunction('isPermitted')(revoked, 100n)).toBe(true);
  });

  it('reverts the whole batch on a malformed op and leaves the batch id unused', async () => {
    const batchId = randomBytes32();
    const good = randomBytes32();
    const bad = randomBytes32();
    const decisionArgs = await expectRevert(
      apply(batchId, [op(good, 1), op(bad, 1, { decision: 0 })]),
      ledger.interface,
      'InvalidDecision',
    );
    expect(decisionArgs.toArray()).toEqual([bad, 0n]);
    await expectRevert(
      apply(batchId, [op(bad, 1, { validFrom: 200n, validUntil: 200n })]),
      ledger.interface,
      'InvalidValidity',
    );
    expect(await ledger.getFunction('batchApplied')(batchId)).toBe(false);
    expect((await ledger.getFunction('consentOf')(good)).seq).toBe(0n);
    await apply(batchId, [op(good, 1)]);
    expect(await ledger.getFunction('batchApplied')(batchId)).toBe(true);
  });

  it('keeps a batch of 200 new keys under the per-transaction gas cap', async () => {
    const ops = Array.from({ length: 200 }, () => op(randomBytes32(), 1, { documentHash: randomBytes32() }));
    const receipt = await apply(randomBytes32(), ops);
    expect(eventsOf(receipt, ledger, 'ConsentChanged')).toHaveLength(200);
    expect(receipt.gasUsed).toBeLessThan(MAX_TX_GAS);
    console.log(`ConsentLedger.applyBatch: ${receipt.gasUsed / 200n} gas per new-key op (200 ops: ${receipt.gasUsed})`);
  });
});
