// The ConsentLedger v2 words and the ordering rule, table-driven against the contract's layout (the contract test
// checks the same on chain), and the hybrid logical clock.
import { describe, expect, it } from 'vitest';
import { CATEGORIES, PURPOSES } from '../api/consents';
import { CATEGORY_HASHES, PURPOSE_HASHES } from './outbox-events';
import {
  categoryCodeOf,
  categoryHashOfCode,
  hlcOfText,
  hlcText,
  isFuture,
  LEDGER_CATEGORIES,
  LEDGER_PURPOSES,
  MAX_CLOCK_SKEW_MS,
  nextHlc,
  orderKeyOf,
  orderText,
  packOrder,
  purposeCodeOf,
  purposeHashOfCode,
  stateWordOf,
  unpackState,
  wins,
  type LedgerState,
} from './consent-state';

const A = '0x00000000000000000000000000000000000000aa';
const B = '0x00000000000000000000000000000000000000bb';
const st = (hlc: bigint, writer: string, o: Partial<LedgerState> = {}): LedgerState => ({ decision: 1, revoked: false, hlc, writer, ...o });

describe('order and state words', () => {
  it.each([
    ['permit', { decision: 1, revoked: false, hlc: 1n }, 1n | (1n << 16n)],
    ['deny revoked', { decision: 2, revoked: true, hlc: 5n }, 2n | (1n << 8n) | (5n << 16n)],
    ['max hlc', { decision: 1, revoked: false, hlc: (1n << 64n) - 1n }, 1n | (((1n << 64n) - 1n) << 16n)],
  ] as const)('%s packs to the contract layout and back with its writer', (_n, order, word) => {
    expect(packOrder(order)).toBe(word);
    expect(unpackState(stateWordOf(word, A))).toEqual({ ...order, writer: A });
    expect(stateWordOf(word, A) >> 240n).toBe(0n);
  });

  it('refuses an hlc of 0 or above 2^64-1 and an unknown decision; reads 0 as never written', () => {
    expect(() => packOrder({ decision: 1, revoked: false, hlc: 0n })).toThrow(RangeError);
    expect(() => packOrder({ decision: 1, revoked: false, hlc: 1n << 64n })).toThrow(RangeError);
    expect(() => packOrder({ decision: 3 as 1, revoked: false, hlc: 1n })).toThrow(RangeError);
    expect(unpackState(0n)).toBeNull();
  });
});

describe('the ordering rule: the greatest (hlc, rank, writer) wins', () => {
  it.each([
    ['a later stamp wins whatever it says', st(10n, A, { decision: 1 }), st(9n, B, { revoked: true }), true],
    ['an earlier stamp loses even as a revoke', st(9n, B, { revoked: true }), st(10n, A), false],
    ['on a tie of stamps a revoke beats a permit', st(10n, A, { revoked: true }), st(10n, B), true],
    ['on a tie of stamps a deny beats a permit', st(10n, A, { decision: 2 }), st(10n, B), true],
    ['on a tie of stamp and rank the greater writer wins', st(10n, B), st(10n, A), true],
    ['the same change does not win over itself', st(10n, A), st(10n, A), false],
    ['anything beats a key never written', st(1n, A), null, true],
  ] as const)('%s', (_n, a, b, expected) => {
    expect(wins(a, b)).toBe(expected);
    if (b) expect(orderText(a) > orderText(b)).toBe(expected);
  });

  it('orders texts and integers the same way over random states', () => {
    const rnd = (n: number) => Math.floor(Math.random() * n);
    for (let i = 0; i < 500; i++) {
      const x = st(BigInt(rnd(4)), [A, B][rnd(2)]!, { decision: rnd(2) ? 1 : 2, revoked: rnd(2) === 1 });
      const y = st(BigInt(rnd(4)), [A, B][rnd(2)]!, { decision: rnd(2) ? 1 : 2, revoked: rnd(2) === 1 });
      expect(Math.sign(Number(orderKeyOf(x) - orderKeyOf(y)))).toBe(orderText(x) === orderText(y) ? 0 : orderText(x) > orderText(y) ? 1 : -1);
    }
  });
});

describe('hybrid logical clock', () => {
  it('stamps max(now << 16, seen + 1): the clock when ahead, the counter when behind or equal', () => {
    expect(nextHlc(1_000, null)).toBe(1_000n << 16n);
    expect(nextHlc(1_000, (999n << 16n) | 7n)).toBe(1_000n << 16n);
    expect(nextHlc(1_000, (1_000n << 16n) | 7n)).toBe((1_000n << 16n) | 8n);
    expect(nextHlc(1_000, (5_000n << 16n) | 1n)).toBe((5_000n << 16n) | 2n);
  });

  it('round-trips 16-hex text whose order is numeric order, and knows the FUTURE bound', () => {
    const h = (1_765_000_000_000n << 16n) | 3n;
    expect(hlcOfText(hlcText(h))).toBe(h);
    expect(hlcText(2n) < hlcText(10n)).toBe(true);
    expect(() => hlcOfText('12')).toThrow(RangeError);
    expect(isFuture(BigInt(1_000_000 + MAX_CLOCK_SKEW_MS) << 16n, 1_000)).toBe(false);
    expect(isFuture(BigInt(1_000_000 + MAX_CLOCK_SKEW_MS + 1) << 16n, 1_000)).toBe(true);
  });
});

describe('code tables', () => {
  it('agree with the hashes the consents domain puts in payloads', () => {
    expect(LEDGER_PURPOSES).toEqual(PURPOSES);
    expect(LEDGER_CATEGORIES).toEqual(CATEGORIES);
    for (const p of PURPOSES) expect(purposeHashOfCode(purposeCodeOf(PURPOSE_HASHES[p])!)).toBe(PURPOSE_HASHES[p]);
    for (const c of CATEGORIES) expect(categoryHashOfCode(categoryCodeOf(CATEGORY_HASHES[c])!)).toBe(CATEGORY_HASHES[c]);
    expect(purposeCodeOf(`0x${'33'.repeat(32)}`)).toBeUndefined();
  });
});
