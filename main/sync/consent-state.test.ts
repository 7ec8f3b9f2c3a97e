// The packed ConsentLedger state word, table-driven against the contract's bit layout, and the ledger key.
// The contract test checks the same layout on chain.
import { describe, expect, it } from 'vitest';
import { consentKey } from '../chain/keys';
import { CATEGORIES, PURPOSES } from '../api/consents';
import { CATEGORY_HASHES, PURPOSE_HASHES } from '../consents/outbox-events';
import { categoryCodeOf, categoryHashOfCode, consentKeyOf, consentKeyOfOp, LEDGER_CATEGORIES, LEDGER_PURPOSES, packConsentState, purposeCodeOf, purposeHashOfCode, unpackConsentState, type ConsentState } from './consent-state';

const cases: Array<[string, ConsentState, bigint]> = [
  ['permit, open-ended, seq 1', { decision: 1, revoked: false, validFrom: 0, validUntil: 0, seq: 1, purpose: 0, category: 0 }, 1n | (1n << 144n)],
  ['deny revoked', { decision: 2, revoked: true, validFrom: 5, validUntil: 0, seq: 2, purpose: 7, category: 6 }, 2n | (1n << 8n) | (5n << 16n) | (2n << 144n) | (7n << 208n) | (6n << 216n)],
  ['window', { decision: 1, revoked: false, validFrom: 100, validUntil: 200, seq: 7, purpose: 1, category: 1 }, 1n | (100n << 16n) | (200n << 80n) | (7n << 144n) | (1n << 208n) | (1n << 216n)],
  ['max safe values', { decision: 1, revoked: false, validFrom: 2 ** 53 - 1, validUntil: 0, seq: 2 ** 53 - 1, purpose: 255, category: 255 }, (255n << 208n) | (255n << 216n) | 1n | ((2n ** 53n - 1n) << 16n) | ((2n ** 53n - 1n) << 144n)],
];

describe('packed consent state', () => {
  it.each(cases)('%s packs to the contract layout and back', (_name, state, word) => {
    expect(packConsentState(state)).toBe(word);
    expect(unpackConsentState(word)).toEqual(state);
    expect(word >> 224n).toBe(0n);
  });

  it('rejects negative or fractional fields', () => {
    expect(() => packConsentState({ decision: 1, revoked: false, validFrom: -1, validUntil: 0, seq: 1, purpose: 1, category: 1 })).toThrow(RangeError);
    expect(() => packConsentState({ decision: 1, revoked: false, validFrom: 0, validUntil: 0, seq: 1.5, purpose: 1, category: 1 })).toThrow(RangeError);
    expect(() => packConsentState({ decision: 1, revoked: false, validFrom: 0, validUntil: 0, seq: 1, purpose: 256, category: 1 })).toThrow(RangeError);
  });

  it('derives the same key as chain/keys.ts', () => {
    const ids = { patientPseudonym: `0x${'11'.repeat(32)}`, grantee: `0x${'22'.repeat(32)}`, purpose: `0x${'33'.repeat(32)}`, category: `0x${'44'.repeat(32)}` };
    expect(consentKeyOf(ids)).toBe(consentKey(ids.patientPseudonym, ids.grantee, ids.purpose, ids.category));
  });

  it('code tables agree with the hashes the consents domain puts in payloads, and give back the same key', () => {
    expect(LEDGER_PURPOSES).toEqual(PURPOSES);
    expect(LEDGER_CATEGORIES).toEqual(CATEGORIES);
    for (const p of PURPOSES) expect(purposeHashOfCode(purposeCodeOf(PURPOSE_HASHES[p])!)).toBe(PURPOSE_HASHES[p]);
    for (const c of CATEGORIES) expect(categoryHashOfCode(categoryCodeOf(CATEGORY_HASHES[c])!)).toBe(CATEGORY_HASHES[c]);
    expect(purposeCodeOf(`0x${'33'.repeat(32)}`)).toBeUndefined();
    const ids = { patientPseudonym: `0x${'11'.repeat(32)}`, grantee: `0x${'22'.repeat(32)}`, purpose: PURPOSE_HASHES.HRESCH, category: CATEGORY_HASHES.HIV };
    const state = packConsentState({ decision: 1, revoked: false, validFrom: 0, validUntil: 0, seq: 1, purpose: purposeCodeOf(ids.purpose)!, category: categoryCodeOf(ids.category)! });
    expect(consentKeyOfOp({ ...ids, state })).toBe(consentKey(ids.patientPseudonym, ids.grantee, ids.purpose, ids.category));
  });
});
