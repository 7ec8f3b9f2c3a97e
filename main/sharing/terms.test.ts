// Terms packing: scope word round trip, commitment sensitivity to every term, org id bytes, malformed scopes refused.
import { describe, expect, it } from 'vitest';
import { termsCommitment } from './sealed-terms';
import { flipDirection, orgIdBytes, orgIdOfBytes, packScope, scopePartsOf, termsFromChain, unpackScope, type ChainTerms } from './terms';

const SALT = `0x${'5a'.repeat(32)}`;
const termsHash = (t: ChainTerms, period = { validFrom: 1, validUntil: 2, documentHash: `0x${'dd'.repeat(32)}` }) =>
  termsCommitment({ salt: SALT, scope: packScope(scopePartsOf(t)), orgA: orgIdBytes(t.orgA), orgB: orgIdBytes(t.orgB), ...period });

const T: ChainTerms = { direction: 'outbound', purposes: ['TREAT', 'HRESCH'], categories: ['general', 'genetic'], orgA: 'GENHOSP', orgB: 'STMARY' };

describe('sharing terms', () => {
  it('round-trips through the scope word and org id bytes', () => {
    const scope = packScope(scopePartsOf(T));
    expect(unpackScope(scope)).toEqual(scopePartsOf(T));
    expect(termsFromChain(scope, orgIdBytes('GENHOSP'), orgIdBytes('STMARY'))).toEqual(T);
  });

  it('changes the commitment with every term', () => {
    const hashes = new Set([
      termsHash(T),
      termsHash({ ...T, direction: 'both' }),
      termsHash({ ...T, purposes: ['TREAT'] }),
      termsHash({ ...T, categories: ['general'] }),
      termsHash({ ...T, orgA: 'OTHER' }),
      termsHash({ ...T, orgB: 'OTHER' }),
      termsHash(T, { validFrom: 1, validUntil: 3, documentHash: `0x${'dd'.repeat(32)}` }),
      termsHash(T, { validFrom: 0, validUntil: 2, documentHash: `0x${'dd'.repeat(32)}` }),
      termsHash(T, { validFrom: 1, validUntil: 2, documentHash: `0x${'de'.repeat(32)}` }),
    ]);
    expect(hashes.size).toBe(9);
  });

  it('refuses malformed scopes and org ids', () => {
    const a = orgIdBytes('GENHOSP');
    expect(termsFromChain(0n, a, a)).toBeNull();
    expect(termsFromChain(packScope({ direction: 1, purposesMask: 0, categoriesMask: 1 }), a, a)).toBeNull();
    expect(termsFromChain(packScope(scopePartsOf(T)) | (1n << 80n), a, a)).toBeNull();
    expect(orgIdOfBytes(`0x${'ff'.repeat(32)}`)).toBeNull();
    expect(flipDirection('outbound')).toBe('inbound');
    expect(flipDirection('both')).toBe('both');
  });
});
