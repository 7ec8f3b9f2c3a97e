// Terms packing: scope word round trip, terms hash sensitivity, org id bytes, malformed scopes refused.
import { describe, expect, it } from 'vitest';
import { flipDirection, orgIdBytes, orgIdOfBytes, packScope, scopePartsOf, termsFromChain, termsHash, termsHashOf, unpackScope, type ChainTerms } from './terms';

const T: ChainTerms = { direction: 'outbound', purposes: ['TREAT', 'HRESCH'], categories: ['general', 'genetic'], orgA: 'GENHOSP', orgB: 'STMARY' };

describe('sharing terms', () => {
  it('round-trips through the scope word and org id bytes', () => {
    const scope = packScope(scopePartsOf(T));
    expect(unpackScope(scope)).toEqual(scopePartsOf(T));
    expect(termsFromChain(scope, orgIdBytes('GENHOSP'), orgIdBytes('STMARY'))).toEqual(T);
    expect(termsHashOf(scope, orgIdBytes('GENHOSP'), orgIdBytes('STMARY'))).toBe(termsHash(T));
  });

  it('changes the terms hash with every term', () => {
    const hashes = new Set([
      termsHash(T),
      termsHash({ ...T, direction: 'both' }),
      termsHash({ ...T, purposes: ['TREAT'] }),
      termsHash({ ...T, categories: ['general'] }),
      termsHash({ ...T, orgA: 'OTHER' }),
      termsHash({ ...T, orgB: 'OTHER' }),
    ]);
    expect(hashes.size).toBe(6);
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
