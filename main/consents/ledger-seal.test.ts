// The facility's keyed op keys and sealed terms: round trip, and the attacker's view (another facility, an altered
// blob, a blob moved to another key or order, a dictionary over the fields) gets nothing.
import { describe, expect, it } from 'vitest';
import { ConsentSealer, openSealedTerms, opKeyOf, SEALED_BYTES, type ConsentTerms } from './ledger-seal';
import { granteeHashOf } from './outbox-events';

const A = new ConsentSealer(Buffer.alloc(32, 1));
const B = new ConsentSealer(Buffer.alloc(32, 2));
const terms: ConsentTerms = {
  patientPseudonym: `0x${'ab'.repeat(32)}`,
  granteeKind: 'npi',
  grantee: '1234567893',
  purposeCode: 1,
  categoryCode: 3,
  validFrom: 1_700_000_000,
  validUntil: 1_800_000_000,
  decision: 1,
  revoked: false,
  documentHash: `0x${'cd'.repeat(32)}`,
  prevHlc: 12_345n,
};

describe('ConsentSealer', () => {
  it('opens what it sealed, for the same op key and order only', () => {
    const key = A.opKey(terms);
    const sealed = A.seal(terms, key, 77n);
    expect((sealed.length - 2) / 2).toBe(SEALED_BYTES);
    expect(A.open(sealed, key, 77n)).toEqual(terms);
    expect(A.open(sealed, key, 78n)).toBeNull();
    expect(A.open(sealed, A.opKey({ ...terms, categoryCode: 4 }), 77n)).toBeNull();
    // Random nonces: the same terms seal differently every time.
    expect(A.seal(terms, key, 77n)).not.toBe(sealed);
  });

  it('attacker: another facility neither opens the terms nor finds the key; an altered byte is refused', () => {
    const key = A.opKey(terms);
    const sealed = A.seal(terms, key, 5n);
    expect(B.open(sealed, key, 5n)).toBeNull();
    expect(B.opKey(terms)).not.toBe(key);
    expect(A.facilityId).not.toBe(B.facilityId);
    const flipped = `${sealed.slice(0, 40)}${sealed[40] === '0' ? '1' : '0'}${sealed.slice(41)}`;
    expect(A.open(flipped, key, 5n)).toBeNull();
  });

  it('attacker: a dictionary over every field value of the key, without the secret, never produces the op key', () => {
    const key = A.opKey(terms);
    let hits = 0;
    for (let purpose = 1; purpose <= 7; purpose++) {
      for (let category = 1; category <= 6; category++) {
        const guess = { ...terms, purposeCode: purpose, categoryCode: category };
        // Unsalted, or salted with public values: what an observer could compute.
        for (const salt of [`0x${'00'.repeat(32)}`, terms.patientPseudonym, granteeHashOf('npi', terms.grantee)]) if (opKeyOf(salt, guess) === key) hits++;
      }
    }
    expect(hits).toBe(0);
    // The opening of this one key proves it, and nothing else.
    const salt = A.keySalt(terms);
    expect(opKeyOf(salt, terms)).toBe(key);
    expect(opKeyOf(salt, { ...terms, grantee: '1234567894' })).not.toBe(A.opKey({ ...terms, grantee: '1234567894' }));
  });

  it('pads a long organisation grantee id to the long size and round-trips it', () => {
    const org = { ...terms, granteeKind: 'org' as const, grantee: 'Regional Health Information Exchange of the Northern Counties' };
    const key = A.opKey(org);
    const sealed = A.seal(org, key, 9n);
    expect((sealed.length - 2) / 2).toBe(SEALED_BYTES + 128);
    expect(A.open(sealed, key, 9n)).toEqual(org);
  });

  it('attacker: the terms key of one sealed change (what a proof bundle reveals) opens that change and no other', () => {
    const key = A.opKey(terms);
    const sealed = A.seal(terms, key, 77n);
    const termsKey = A.termsKeyOf(sealed, key, 77n)!;
    expect(termsKey).toMatch(/^0x[0-9a-f]{64}$/);
    expect(openSealedTerms(sealed, termsKey, key, 77n)).toEqual(terms);
    // Not for another order word or op key (authenticated), not for the next sealing of the same terms, key and order.
    expect(openSealedTerms(sealed, termsKey, key, 78n)).toBeNull();
    expect(openSealedTerms(A.seal(terms, key, 77n), termsKey, key, 77n)).toBeNull();
    const other = { ...terms, categoryCode: 4 };
    const otherKey = A.opKey(other);
    expect(openSealedTerms(A.seal(other, otherKey, 77n), termsKey, otherKey, 77n)).toBeNull();
    // Another facility's blob yields no terms key; the key is neither the secret nor the facility id.
    expect(B.termsKeyOf(sealed, key, 77n)).toBeNull();
    expect(termsKey).not.toBe(`0x${Buffer.alloc(32, 1).toString('hex')}`);
    expect(termsKey).not.toBe(A.facilityId);
    expect(openSealedTerms(sealed, `0x${'00'.repeat(32)}`, key, 77n)).toBeNull();
    expect(openSealedTerms('0x1234', termsKey, key, 77n)).toBeNull();
  });
});
