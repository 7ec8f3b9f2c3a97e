// Fixed test vectors for credential signatures: EIP-712 domain separator and digest (ethers' TypedDataEncoder and
// the fast checker's own words), a deterministic (RFC 6979) signature from a fixed key, and its recovery through
// ethers and through @noble/curves. Literals computed once; a change in ethers, @noble/hashes or @noble/curves
// that alters any of them fails here, because credentials issued before the change would stop verifying.
import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { credentialDigest, credentialDomain, domainSeparator, recoverSigner, signCredentialFields, type CredentialFields } from './eip712';
import { createSignatureChecker } from './fast-recover';

const key = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const domain = credentialDomain(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
const fields: CredentialFields = {
  npi: '1234567893',
  credentialType: 'license',
  jurisdiction: 'US-CA',
  number: 'A-1 №42',
  validFrom: '2024-01-01',
  validUntil: '2030-12-31',
  issuer: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
};
const DIGEST = '0xd0cfea7acb67868bcd5be52fe3a0c0ef729d9b8571dac93377284d40e8c8cd80';
const SIGNATURE = '0x3859584ebb38cdb847920f3aa6c5465d2816e96970f1449e5196defd5c3f90b162229acc129d84e3106cc83fcac0f78375b17a4a53ca8d094503cd2323d539191b';

describe('fixed vectors: credentials', () => {
  it('EIP-712 domain separator and credential digest', () => {
    expect(key.address).toBe(fields.issuer);
    expect(domainSeparator(domain)).toBe('0x71edb0c6626d637a20e6e6fc5b845f017d97a4c492ee1bd12ed68367aa10c22b');
    expect(credentialDigest(domain, fields)).toBe(DIGEST);
  });

  it('a deterministic signature, recovered by ethers and by the fast checker (table path included)', async () => {
    expect(await signCredentialFields(key, domain, fields)).toBe(SIGNATURE);
    expect(recoverSigner(DIGEST, SIGNATURE)).toBe(fields.issuer);
    const checker = createSignatureChecker({ tableAfter: 1 });
    expect(checker.recover(domain, fields, SIGNATURE)).toEqual({ digest: DIGEST, signer: fields.issuer });
    expect(checker.recover(domain, fields, SIGNATURE)).toEqual({ digest: DIGEST, signer: fields.issuer });
    expect(checker.fastChecks).toBe(1);
  });
});
