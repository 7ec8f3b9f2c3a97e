// The signature checker as the desktop app runs it: main/credentials/fast-recover.ts bundled exactly as main.cjs
// and job-worker.cjs are (CommonJS, import.meta.url undefined), loaded in plain Node. Before @noble/curves was a
// direct dependency the bundle could not reach ethers' private copy and silently took the slow path every time.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialDigest, credentialDomain, recoverSigner, signCredentialFields, type CredentialFields } from '../main/credentials/eip712';
import type { createSignatureChecker as CreateChecker } from '../main/credentials/fast-recover';

const root = path.resolve(import.meta.dirname, '..');
const { buildNodeBundle } = (await import(path.join(root, 'scripts', 'build-electron.mjs'))) as {
  buildNodeBundle(options: { entryPoints: Record<string, string>; outdir: string }): Promise<string[]>;
};

let outdir: string;
let bundled: { createSignatureChecker: typeof CreateChecker };
let text: string;
beforeAll(async () => {
  fs.mkdirSync(path.join(root, 'build'), { recursive: true });
  outdir = fs.mkdtempSync(path.join(root, 'build', 'bundled-recover-test-'));
  const [file] = await buildNodeBundle({ entryPoints: { 'fast-recover': 'main/credentials/fast-recover.ts' }, outdir });
  text = fs.readFileSync(file!, 'utf8');
  bundled = createRequire(import.meta.url)(file!) as typeof bundled;
});
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

describe('the bundled signature checker', () => {
  it('is a CommonJS bundle with no import.meta and @noble/curves inside it', () => {
    expect(text).not.toContain('import.meta');
    expect(text).toMatch(/noble\/curves/);
  });

  it('takes the precomputed-key path and gives ethers\u2019 answers, good and bad', async () => {
    const domain = credentialDomain(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
    const issuer = Wallet.createRandom();
    const other = Wallet.createRandom();
    const checker = bundled.createSignatureChecker({ tableAfter: 1 });
    const cases: { fields: CredentialFields; signature: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const fields: CredentialFields = { npi: '1234567893', credentialType: 'license', jurisdiction: 'US-CA', number: `B-${i}`, validFrom: '2024-01-01', validUntil: '2030-12-31', issuer: issuer.address };
      cases.push({ fields, signature: await signCredentialFields(issuer, domain, fields) });
    }
    cases.push({ fields: cases[0]!.fields, signature: await signCredentialFields(other, domain, cases[0]!.fields) });
    cases.push({ fields: { ...cases[1]!.fields, number: 'changed' }, signature: cases[1]!.signature });
    for (const c of cases) {
      const digest = credentialDigest(domain, c.fields);
      expect(checker.recover(domain, c.fields, c.signature)).toEqual({ digest, signer: recoverSigner(digest, c.signature) });
    }
    // The first check learns the key; the next three good ones are settled by its table.
    expect(checker.fastChecks).toBe(3);
  });
});
