// Sealed terms: the partner opens them; anyone else (another key, another agreement id, a flipped byte) cannot.
import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { addressOfPublicKey, newSalt, openTerms, publicKeyBytes, SEALED_BYTES, sealTerms, termsCommitment, type SealedTerms } from './sealed-terms';
import { orgIdBytes } from './terms';

const terms = (): SealedTerms => ({ salt: newSalt(), scope: 0x0301n, orgA: orgIdBytes('GENHOSP').toLowerCase(), orgB: orgIdBytes('STMARY').toLowerCase(), validFrom: 1_767_225_600, validUntil: 1_798_761_600, documentHash: `0x${'ab'.repeat(32)}` });
const id = `0x${'cd'.repeat(32)}`;

describe('sealed agreement terms', () => {
  it('open with the partner key only, for this agreement only, and not after tampering', () => {
    const partner = Wallet.createRandom();
    const t = terms();
    const sealed = sealTerms(t, id, partner.signingKey.compressedPublicKey);
    expect((sealed.length - 2) / 2).toBe(SEALED_BYTES);
    expect(openTerms(sealed, id, partner.privateKey)).toEqual(t);
    expect(openTerms(sealed, id, Wallet.createRandom().privateKey)).toBeNull();
    expect(openTerms(sealed, `0x${'ce'.repeat(32)}`, partner.privateKey)).toBeNull();
    const flipped = `${sealed.slice(0, 120)}${sealed[120] === '0' ? '1' : '0'}${sealed.slice(121)}`;
    expect(openTerms(flipped, id, partner.privateKey)).toBeNull();
  });

  it('salts the commitment: the same terms commit differently, and sealing is randomised', () => {
    const partner = Wallet.createRandom();
    const t = terms();
    expect(termsCommitment(t)).not.toBe(termsCommitment({ ...t, salt: newSalt() }));
    expect(sealTerms(t, id, partner.publicKey)).not.toBe(sealTerms(t, id, partner.publicKey));
  });

  it('checks public keys and derives the address from one', () => {
    const w = Wallet.createRandom();
    expect(addressOfPublicKey(w.signingKey.compressedPublicKey)).toBe(w.address);
    expect(publicKeyBytes(`0x02${'00'.repeat(32)}`)).toBeNull();
    expect(publicKeyBytes(w.address)).toBeNull();
  });
});
