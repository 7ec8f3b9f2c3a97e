// The packed ConsentLedger state word, table-driven against the contract's bit layout, and the ledger key.
// The contract test checks the same layout on chain.
import { describe, expect, it } from 'vitest';
import { consentKey } from '../chain/keys';
import { consentKeyOf, packConsentState, unpackConsentState, type ConsentState } from './consent-state';

const cases: Array<[string, ConsentState, bigint]> = [
  ['permit, open-ended, seq 1', { decision: 1, revoked: false, validFrom: 0, validUntil: 0, seq: 1 }, 1n | (1n << 144n)],
  ['deny revoked', { decision: 2, revoked: true, validFrom: 5, validUntil: 0, seq: 2 }, 2n | (1n << 8n) | (5n << 16n) | (2n << 144n)],
  ['window', { decision: 1, revoked: false, validFrom: 100, validUntil: 200, seq: 7 }, 1n | (100n << 16n) | (200n << 80n) | (7n << 144n)],
  ['max safe values', { decision: 1, revoked: false, validFrom: 2 ** 53 - 1, validUntil: 0, seq: 2 ** 53 - 1 }, 1n | ((2n ** 53n - 1n) << 16n) | ((2n ** 53n - 1n) << 144n)],
];

describe('packed consent state', () => {
  it.each(cases)('%s packs to the contract layout and back', (_name, state, word) => {
    expect(packConsentState(state)).toBe(word);
    expect(unpackConsentState(word)).toEqual(state);
    expect(word >> 208n).toBe(0n);
  });

  it('rejects negative or fractional fields', () => {
    expect(() => packConsentState({ decision: 1, revoked: false, validFrom: -1, validUntil: 0, seq: 1 })).toThrow(RangeError);
    expect(() => packConsentState({ decision: 1, revoked: false, validFrom: 0, validUntil: 0, seq: 1.5 })).toThrow(RangeError);
  });

  it('derives the same key as chain/keys.ts', () => {
    const ids = { patientPseudonym: `0x${'11'.repeat(32)}`, grantee: `0x${'22'.repeat(32)}`, purpose: `0x${'33'.repeat(32)}`, category: `0x${'44'.repeat(32)}` };
    expect(consentKeyOf(ids)).toBe(consentKey(ids.patientPseudonym, ids.grantee, ids.purpose, ids.category));
  });
});
