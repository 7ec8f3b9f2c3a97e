// The sender's pure rules, table-driven: nonce reconciliation, consumed-nonce outcomes, fee bumps,
// confirmations, backoff and the fork point of a reorg.
import { describe, expect, it } from 'vitest';
import { backoffDelay, bumpFees, confirmationsOf, consumedNonceOutcome, forkPoint, reconcileNonce, type NonceReading } from './rules';

describe('reconcileNonce', () => {
  const cases: Array<[string, NonceReading, number, 'gap' | 'foreign' | null]> = [
    ['first use takes the node count', { stored: null, nodeLatest: 4, nodePending: 4, inFlight: [] }, 4, null],
    ['in step with the node', { stored: 7, nodeLatest: 7, nodePending: 7, inFlight: [] }, 7, null],
    ['our tx waits in the pool', { stored: 8, nodeLatest: 7, nodePending: 8, inFlight: [7] }, 8, null],
    ['our tx lost by the node (restart) is rebroadcast, nonce kept', { stored: 8, nodeLatest: 7, nodePending: 7, inFlight: [7] }, 8, null],
    ['gap: stored ahead with nothing in between', { stored: 12, nodeLatest: 9, nodePending: 9, inFlight: [] }, 9, 'gap'],
    ['another process sent two', { stored: 5, nodeLatest: 7, nodePending: 7, inFlight: [] }, 7, 'foreign'],
    ['another process has one in the pool', { stored: 5, nodeLatest: 5, nodePending: 6, inFlight: [] }, 6, 'foreign'],
  ];
  it.each(cases)('%s', (_name, reading, next, notice) => {
    const d = reconcileNonce(reading);
    expect(d.next).toBe(next);
    expect(d.notice?.kind ?? null).toBe(notice);
  });
});

describe('consumedNonceOutcome', () => {
  it.each([
    [true, false, 'repriced'],
    [true, true, 'repriced'],
    [false, true, 'applied-elsewhere'],
    [false, false, 'replaced'],
  ] as const)('mined ours %s, applied %s -> %s', (mined, applied, outcome) => {
    expect(consumedNonceOutcome(mined, applied)).toBe(outcome);
  });
});

describe('bumpFees', () => {
  const gwei = 1_000_000_000n;
  it.each([
    ['market flat: +12.5%, rounded up', { maxFeePerGas: 100n * gwei, maxPriorityFeePerGas: 2n * gwei }, { maxFeePerGas: 90n * gwei, maxPriorityFeePerGas: gwei }, 12.5, 112_500_000_000n, 2_250_000_000n],
    ['market above: take the market', { maxFeePerGas: 10n, maxPriorityFeePerGas: 1n }, { maxFeePerGas: 1_000n, maxPriorityFeePerGas: 50n }, 10, 1_000n, 50n],
    ['tiny values still go up', { maxFeePerGas: 3n, maxPriorityFeePerGas: 1n }, { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }, 10, 4n, 2n],
  ] as const)('%s', (_n, old, market, pct, fee, tip) => {
    const b = bumpFees(old, market, pct);
    expect(b).toEqual({ maxFeePerGas: fee, maxPriorityFeePerGas: tip });
    expect(b.maxFeePerGas * 10n).toBeGreaterThanOrEqual(old.maxFeePerGas * 11n);
    expect(b.maxPriorityFeePerGas * 10n).toBeGreaterThanOrEqual(old.maxPriorityFeePerGas * 11n);
  });
  it('refuses less than 10%', () => expect(() => bumpFees({ maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }, { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }, 5)).toThrow(RangeError));
});

describe('confirmationsOf and backoffDelay', () => {
  it.each([
    [10, 10, 1],
    [10, 12, 3],
    [10, 9, 0],
  ])('block %i at head %i has %i confirmations', (b, h, c) => expect(confirmationsOf(b, h)).toBe(c));
  it.each([
    [1, 0, 500],
    [1, 1, 1000],
    [3, 1, 4000],
    [20, 1, 30_000],
  ])('failure %i with random %f waits %i ms', (f, r, ms) => expect(backoffDelay(f, 1000, 30_000, () => r)).toBe(ms));
});

describe('forkPoint', () => {
  const seen = [
    { number: 10, hash: '0xa10' },
    { number: 12, hash: '0xa12' },
    { number: 14, hash: '0xa14' },
  ];
  it.each([
    ['nothing changed', { 10: '0xa10', 12: '0xa12', 14: '0xa14' }, 14],
    ['the tip changed', { 10: '0xa10', 12: '0xa12', 14: '0xb14' }, 12],
    ['the chain got shorter', { 10: '0xa10' }, 10],
    ['everything changed', { 10: '0xb10', 12: '0xb12', 14: '0xb14' }, null],
  ] as const)('%s', (_n, chain, expected) => {
    expect(forkPoint(seen, (n) => (chain as Record<number, string>)[n] ?? null)).toBe(expected);
  });
});
