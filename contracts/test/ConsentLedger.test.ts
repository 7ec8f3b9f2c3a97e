// ConsentLedger against a real anvil: roles, replay protection, sequence ordering, packed state, events, windows, gas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbiCoder, id, keccak256, type Contract } from 'ethers';
import { MAX_TX_GAS } from '../../main/chain/provider';
import {
  categoryCodeOf,
  categoryHashOfCode,
  consentKeyOf,
  consentKeyOfOp,
  LEDGER_CATEGORIES,
  LEDGER_PURPOSES,
  packConsentState,
  purposeCodeOf,
  purposeHashOfCode,
  unpackConsentState,
  type ConsentOp,
  type ConsentState,
} from '../../main/sync/consent-state';
import { call, eventsOf, expectRevert, randomBytes32, startTestChain, type TestChain } from './harness';

const PERMIT = 1;
const DENY = 2;

interface Ids {
  patientPseudonym: string;
  grantee: string;
  purpose: string;
  category: string;
}

let nth = 0;
/** A fresh key; purpose and category cycle through the ledger's code tables. */
function ids(): Ids {
  nth++;
  return { patientPseudonym: randomBytes32(), grantee: randomBytes32(), purpose: id(LEDGER_PURPOSES[nth % 7]!), category: id(LEDGER_CATEGORIES[nth % 6]!) };
}

function op(who: Ids, seq: number, fields: Partial<Omit<ConsentState, 'seq'>> = {}, documentHash = `0x${'00'.repeat(32)}`): ConsentOp {
  const state: ConsentState = { decision: PERMIT, revoked: false, validFrom: 0, validUntil: 0, seq, purpose: purposeCodeOf(who.purpose)!, category: categoryCodeOf(who.category)!, ...fields };
  return { patientPseudonym: who.patientPseudonym, grantee: who.grantee, documentHash, state: packConsentState(state) };
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

const apply = (batchId: string, ops: ConsentOp[]) => call(chain.admin, ledger, 'applyBatch', [batchId, ops]);
const stateOf = async (who: Ids) => unpackConsentState(await ledger.getFunction('packedStateOf')(consentKeyOf(who)));

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
      call(chain.stranger, ledger, 'applyBatch', [randomBytes32(), [op(ids(), 1)]]),
      ledger.interface,
      'AccessControlUnauthorizedAccount',
    );
    expect(args[0]).toBe(chain.stranger.address);
    expect(args[1]).toBe(id('CUSTODIAN_ROLE'));
  });

  it('applies ops, stores the packed state in one slot and emits a self-describing ConsentChanged per change', async () => {
    const who = ids();
    const key = consentKeyOf(who);
    const doc = randomBytes32();
    const batchId = randomBytes32();
    const sent = op(who, 1, { validFrom: 100, validUntil: 200 }, doc);
    const receipt = await apply(batchId, [sent]);

    const changed = eventsOf(receipt, ledger, 'ConsentChanged');
    expect(changed).toHaveLength(1);
    expect(changed[0]?.args.toArray()).toEqual([who.patientPseudonym, who.grantee, doc, sent.state]);
    // A puller rebuilds the key from the event alone: the codes in the state word stand for the hashes.
    expect(consentKeyOfOp(changed[0]!.args as unknown as ConsentOp)).toBe(key);
    expect(eventsOf(receipt, ledger, 'BatchApplied').map((e) => e.args.toArray())).toEqual([[batchId, 1n]]);

    const stored = await ledger.getFunction('consentOf')(key);
    expect([stored.decision, stored.revoked, stored.validFrom, stored.validUntil, stored.seq]).toEqual([BigInt(PERMIT), false, 100n, 200n, 1n]);
    expect(await ledger.getFunction('packedStateOf')(key)).toBe(sent.state);
    // One slot: _states is storage slot 1 (AccessControl's _roles is slot 0); the word sits at keccak(key . 1)
    // and the slot after it stays empty (the document hash is not stored).
    const slot = BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(['bytes32', 'uint256'], [key, 1n])));
    expect(BigInt(await chain.provider.getStorage(ledger.target as string, slot))).toBe(sent.state);
    expect(BigInt(await chain.provider.getStorage(ledger.target as string, slot + 1n))).toBe(0n);
    expect(await ledger.getFunction('batchApplied')(batchId)).toBe(true);
    expect(await ledger.getFunction('batchApplied')(randomBytes32())).toBe(false);
  });

  it('reverts a replayed batch id with BatchAlreadyApplied', async () => {
    const batchId = randomBytes32();
    await apply(batchId, [op(ids(), 1)]);
    const args = await expectRevert(apply(batchId, [op(ids(), 1)]), ledger.interface, 'BatchAlreadyApplied');
    expect(args[0]).toBe(batchId);
  });

  it('lets a later revoke win over an earlier grant that lands afterwards', async () => {
    const who = ids();
    await apply(randomBytes32(), [op(who, 2, { revoked: true })]);
    const late = await apply(randomBytes32(), [op(who, 1)]);

    expect(eventsOf(late, ledger, 'ConsentChanged')).toHaveLength(0);
    const skipped = eventsOf(late, ledger, 'ConsentOpSkipped');
    expect(skipped.map((e) => e.args.toArray())).toEqual([[consentKeyOf(who), 1n, 2n]]);
    expect(await stateOf(who)).toMatchObject({ revoked: true, seq: 2 });
    expect(await ledger.getFunction('isPermitted')(consentKeyOf(who), 1_000n)).toBe(false);
  });

  it('skips an equal or older sequence inside one batch and applies a newer one', async () => {
    const who = ids();
    const key = consentKeyOf(who);
    const receipt = await apply(randomBytes32(), [op(who, 5, { decision: DENY }), op(who, 5), op(who, 3), op(who, 7, { validFrom: 10 })]);
    expect(eventsOf(receipt, ledger, 'ConsentChanged').map((e) => unpackConsentState(e.args.state as bigint).seq)).toEqual([5, 7]);
    expect(eventsOf(receipt, ledger, 'ConsentOpSkipped').map((e) => e.args.toArray())).toEqual([
      [key, 5n, 5n],
      [key, 3n, 5n],
    ]);
    expect(eventsOf(receipt, ledger, 'BatchApplied')[0]?.args.opCount).toBe(4n);
    expect(await stateOf(who)).toMatchObject({ seq: 7, decision: PERMIT, validFrom: 10 });
  });

  it('answers isPermitted over the window [validFrom, validUntil) and for deny, revoke and unknown keys', async () => {
    const [windowed, open, denied, revoked] = [ids(), ids(), ids(), ids()];
    await apply(randomBytes32(), [
      op(windowed, 1, { validFrom: 100, validUntil: 200 }),
      op(open, 1, { validFrom: 50 }),
      op(denied, 1, { decision: DENY }),
      op(revoked, 1, { revoked: true }),
    ]);
    const cases: Array<[Ids, bigint, boolean]> = [
      [windowed, 99n, false],
      [windowed, 100n, true],
      [windowed, 199n, true],
      [windowed, 200n, false],
      [open, 49n, false],
      [open, 50n, true],
      [open, 4_000_000_000n, true],
      [denied, 100n, false],
      [revoked, 100n, false],
      [ids(), 100n, false],
    ];
    for (const [who, at, expected] of cases) {
      const key = consentKeyOf(who);
      expect({ key, at, permitted: await ledger.getFunction('isPermitted')(key, at) }).toEqual({ key, at, permitted: expected });
    }
    // A newer op re-grants a revoked consent; an older one cannot.
    await apply(randomBytes32(), [op(revoked, 2)]);
    expect(await ledger.getFunction('isPermitted')(consentKeyOf(revoked), 100n)).toBe(true);
  });

  it('reverts the whole batch on a malformed op and leaves the batch id unused', async () => {
    const batchId = randomBytes32();
    const good = ids();
    const bad = ids();
    const decisionArgs = await expectRevert(apply(batchId, [op(good, 1), op(bad, 1, { decision: 0 as 1 })]), ledger.interface, 'InvalidDecision');
    expect(decisionArgs.toArray()).toEqual([consentKeyOf(bad), 0n]);
    await expectRevert(apply(batchId, [op(bad, 1, { validFrom: 200, validUntil: 200 })]), ledger.interface, 'InvalidValidity');
    const malformed: Array<[string, bigint]> = [
      ['bits above 224', op(bad, 1).state | (1n << 230n)],
      ['revoked flag 2', op(bad, 1).state | (2n << 8n)],
      ['seq 0', op(bad, 1).state & ~(((1n << 64n) - 1n) << 144n)],
    ];
    for (const [, state] of malformed) {
      await expectRevert(apply(batchId, [{ ...op(bad, 1), state }]), ledger.interface, 'InvalidState');
    }
    const codeless = await expectRevert(apply(batchId, [{ ...op(bad, 1), state: op(bad, 1).state & ~(0xffn << 208n) }]), ledger.interface, 'UnknownCode');
    expect(codeless.toArray()).toEqual([0n, 0n]);
    await expectRevert(apply(batchId, [{ ...op(bad, 1), state: op(bad, 1).state | (0xffn << 216n) }]), ledger.interface, 'UnknownCode');
    expect(await ledger.getFunction('batchApplied')(batchId)).toBe(false);
    expect((await stateOf(good)).seq).toBe(0);
    await apply(batchId, [op(good, 1)]);
    expect(await ledger.getFunction('batchApplied')(batchId)).toBe(true);
  });

  it('holds the same purpose and category code tables as the sync engine', async () => {
    for (let code = 1; code <= LEDGER_PURPOSES.length; code++) expect(await ledger.getFunction('purposeHash')(code)).toBe(purposeHashOfCode(code));
    for (let code = 1; code <= LEDGER_CATEGORIES.length; code++) expect(await ledger.getFunction('categoryHash')(code)).toBe(categoryHashOfCode(code));
    for (const code of [0, LEDGER_PURPOSES.length + 1]) await expect(ledger.getFunction('purposeHash')(code)).rejects.toThrow();
    for (const code of [0, LEDGER_CATEGORIES.length + 1]) await expect(ledger.getFunction('categoryHash')(code)).rejects.toThrow();
  });

  it('measures gas per op for new and existing keys, and fits 500 new keys under the per-transaction cap', async () => {
    const n = 500;
    const people = Array.from({ length: n }, ids);
    const fresh = await apply(randomBytes32(), people.map((p) => op(p, 1, { validFrom: 1_700_000_000 }, randomBytes32())));
    const again = await apply(randomBytes32(), people.map((p) => op(p, 2, { validFrom: 1_700_000_000, revoked: true }, randomBytes32())));
    expect(eventsOf(fresh, ledger, 'ConsentChanged')).toHaveLength(n);
    expect(fresh.gasUsed).toBeLessThan(MAX_TX_GAS);
    const perNew = Number(fresh.gasUsed) / n;
    const perExisting = Number(again.gasUsed) / n;
    console.log(`ConsentLedger.applyBatch (${n} ops): ${perNew.toFixed(0)} gas per new-key op, ${perExisting.toFixed(0)} per existing-key op`);
    // Guards against a regression to two slots per key (53k per new-key op before packing) or to purpose and
    // category as calldata words again (28.5k before they became codes in the state word).
    expect(perNew).toBeLessThan(27_500);
    expect(perExisting).toBeLessThan(10_500);
  });
});
