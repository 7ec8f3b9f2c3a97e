// The bulk signature checker gives ethers' answer for every credential, good or bad: the same EIP-712 digest and the
// same recovered signer (or null), whether the issuer's key table settles it or ethers has to.
import { Signature, Wallet } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { credentialDigest, credentialDomain, recoverSigner, signCredentialFields, type CredentialFields } from './eip712';
import { createSignatureChecker } from './fast-recover';

const N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
const domain = credentialDomain(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
const alice = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const bob = new Wallet('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');

const fieldsOf = (issuer: string, over: Partial<CredentialFields> = {}): CredentialFields => ({
  npi: '1234567893',
  credentialType: 'license',
  jurisdiction: 'US-CA',
  number: 'A-1',
  validFrom: '2024-01-01',
  validUntil: '2030-12-31',
  issuer,
  ...over,
});

const hex32 = (v: bigint) => v.toString(16).padStart(64, '0');
/** The same signature with other parts: r, s as numbers, v as a byte. */
function rebuilt(signature: string, parts: { r?: bigint; s?: bigint; v?: number }): string {
  const sig = Signature.from(signature);
  const r = parts.r ?? BigInt(sig.r);
  const s = parts.s ?? BigInt(sig.s);
  const v = parts.v ?? sig.v;
  return `0x${hex32(r)}${hex32(s)}${v.toString(16).padStart(2, '0')}`;
}

const ethersAnswer = (fields: CredentialFields, signature: string) => {
  const digest = credentialDigest(domain, fields);
  return { digest, signer: recoverSigner(digest, signature) };
};

let good: { fields: CredentialFields; signature: string };

beforeAll(async () => {
  const fields = fieldsOf(alice.address);
  good = { fields, signature: await signCredentialFields(alice, domain, fields) };
});

describe('createSignatureChecker', () => {
  it('computes the digest ethers computes, for plain and non-ASCII fields', () => {
    const checker = createSignatureChecker();
    const cases: Partial<CredentialFields>[] = [{}, { jurisdiction: 'DE-BY', number: 'Ärztekammer №42' }, { number: 'é (NFC) e\u0301 (NFD) 🩺' }, { number: '' }, { issuer: alice.address.toLowerCase() }];
    for (const over of cases) {
      const fields = fieldsOf(alice.address, over);
      expect(checker.recover(domain, fields, good.signature).digest, JSON.stringify(over)).toBe(credentialDigest(domain, fields));
    }
  });

  it('refuses what ethers refuses: a lone surrogate, a mis-checksummed issuer', () => {
    const checker = createSignatureChecker();
    for (const fields of [fieldsOf(alice.address, { number: 'A\uD800' }), fieldsOf(alice.address.replace(/[a-f]/, (c) => c.toUpperCase()).replace(/[A-F](?=[^A-F]*$)/, (c) => c.toLowerCase()))]) {
      let ethersError: unknown = null;
      try {
        credentialDigest(domain, fields);
      } catch (err) {
        ethersError = err;
      }
      if (ethersError) expect(() => checker.recover(domain, fields, good.signature)).toThrow();
      else expect(checker.recover(domain, fields, good.signature)).toEqual(ethersAnswer(fields, good.signature));
    }
  });

  it('settles good signatures with the issuer key table once the issuer has been seen', async () => {
    const checker = createSignatureChecker({ tableAfter: 2 });
    const signed = [];
    for (let i = 0; i < 6; i++) {
      const w = i % 2 ? bob : alice;
      const fields = fieldsOf(w.address, { number: `N-${i}` });
      signed.push({ fields, signature: await signCredentialFields(w, domain, fields) });
    }
    for (const c of [...signed, ...signed]) expect(checker.recover(domain, c.fields, c.signature)).toEqual(ethersAnswer(c.fields, c.signature));
    // Two recoveries each for alice and bob build their tables; the other eight checks use them.
    expect(checker.fastChecks).toBe(8);
    expect(createSignatureChecker({ fast: false }).fastChecks).toBe(0);
  });

  // Each tampered signature is checked after the issuer's table exists, so the fast path is the one tried first.
  const tampered: [string, () => { fields: CredentialFields; signature: string }][] = [
    ['v flipped (the other candidate key)', () => ({ ...good, signature: rebuilt(good.signature, { v: Signature.from(good.signature).v === 27 ? 28 : 27 }) })],
    ['high-s twin (ethers refuses non-canonical s)', () => ({ ...good, signature: rebuilt(good.signature, { s: N - BigInt(Signature.from(good.signature).s), v: Signature.from(good.signature).v === 27 ? 28 : 27 }) })],
    ['v as 0/1 (ethers normalises it)', () => ({ ...good, signature: rebuilt(good.signature, { v: Signature.from(good.signature).v - 27 }) })],
    ['v = 29', () => ({ ...good, signature: rebuilt(good.signature, { v: 29 }) })],
    ['r = 0', () => ({ ...good, signature: rebuilt(good.signature, { r: 0n }) })],
    ['s = 0', () => ({ ...good, signature: rebuilt(good.signature, { s: 0n }) })],
    ['r = n', () => ({ ...good, signature: rebuilt(good.signature, { r: N }) })],
    ['r + 1', () => ({ ...good, signature: rebuilt(good.signature, { r: BigInt(Signature.from(good.signature).r) + 1n }) })],
    ['compact 64-byte form (EIP-2098)', () => ({ ...good, signature: Signature.from(good.signature).compactSerialized })],
    ['upper-case hex', () => ({ ...good, signature: `0x${good.signature.slice(2).toUpperCase()}` })],
    ['garbage', () => ({ ...good, signature: `0x${'11'.repeat(64)}ff` })],
    ['not hex', () => ({ ...good, signature: 'signature' })],
    ['a field changed after signing', () => ({ ...good, fields: { ...good.fields, validUntil: '2099-12-31' } })],
  ];

  it.each(tampered)('%s: the same answer as ethers', async (_name, make) => {
    const checker = createSignatureChecker({ tableAfter: 1 });
    expect(checker.recover(domain, good.fields, good.signature)).toEqual(ethersAnswer(good.fields, good.signature));
    const c = make();
    expect(checker.recover(domain, c.fields, c.signature)).toEqual(ethersAnswer(c.fields, c.signature));
    // The good one still passes through the table afterwards.
    expect(checker.recover(domain, good.fields, good.signature).signer).toBe(alice.address);
    expect(checker.fastChecks).toBeGreaterThanOrEqual(1);
  });

  it('a key signing in another issuer\u2019s name is never confirmed by that issuer\u2019s table', async () => {
    const checker = createSignatureChecker({ tableAfter: 1 });
    checker.recover(domain, good.fields, good.signature);
    const forged = await signCredentialFields(bob, domain, good.fields);
    expect(checker.recover(domain, good.fields, forged)).toEqual({ digest: credentialDigest(domain, good.fields), signer: bob.address });
  });

  it('stays exact when more issuers are seen than tables are kept', async () => {
    const checker = createSignatureChecker({ tableAfter: 1, maxTables: 1 });
    for (let round = 0; round < 2; round++) {
      for (const w of [alice, bob]) {
        const fields = fieldsOf(w.address, { number: `R-${round}` });
        const signature = await signCredentialFields(w, domain, fields);
        expect(checker.recover(domain, fields, signature)).toEqual(ethersAnswer(fields, signature));
      }
    }
  });
});
