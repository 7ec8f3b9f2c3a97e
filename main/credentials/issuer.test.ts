// The issuer tool: keys from hex or an encrypted keystore (passphrase from the environment), signing refused for
// bad fields or an invalid NPI, and no key material in any message.
import fs from 'node:fs';
import path from 'node:path';
import { encryptKeystoreJson, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import { issueCommand } from './cli-commands';
import { parseCredentialDocument } from './document';
import { credentialDomain } from './eip712';
import { issueCredential, ISSUER_PASSPHRASE_ENV, loadIssuerKey } from './issuer';
import { offChainFinding } from './verdict';
import { tempDir } from './test-support';

const key = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const wallet = new Wallet(key);
const domain = credentialDomain(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
const fields = { npi: '1234567893', credentialType: 'license', jurisdiction: 'US-CA', number: 'A-1', validFrom: '2024-01-01', validUntil: '2027-12-31' };
let dir: string;
let keystore: string;

beforeAll(async () => {
  dir = tempDir();
  keystore = path.join(dir, 'issuer.json');
  fs.writeFileSync(keystore, await encryptKeystoreJson({ address: wallet.address, privateKey: key }, 'correct horse', { scrypt: { N: 1024 } }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function errorOf(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected an AppError');
}

describe('loadIssuerKey', () => {
  it('takes a hex key with or without 0x, or a keystore with its passphrase from the environment', async () => {
    expect((await loadIssuerKey(key)).address).toBe(wallet.address);
    expect((await loadIssuerKey(key.slice(2))).address).toBe(wallet.address);
    expect((await loadIssuerKey(keystore, { [ISSUER_PASSPHRASE_ENV]: 'correct horse' })).address).toBe(wallet.address);
  });

  it.each([
    ['a keystore without a passphrase', () => loadIssuerKey(keystore, {}), /set CUSTODIAN_ISSUER_PASSPHRASE/],
    ['a wrong passphrase', () => loadIssuerKey(keystore, { [ISSUER_PASSPHRASE_ENV]: 'wrong' }), /could not be decrypted/],
    ['neither a key nor a file', () => loadIssuerKey('not-a-key', {}), /32-byte hex private key or the path/],
    ['the zero key', () => loadIssuerKey(`0x${'0'.repeat(64)}`, {}), /not a valid secp256k1 private key/],
  ])('refuses %s without echoing it', async (_what, load, message) => {
    const err = await errorOf(load());
    expect(err.code).toBe('CREDENTIAL_ISSUER_KEY_INVALID');
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(key.slice(2, 20));
  });
});

describe('issueCredential', () => {
  it('signs a credential that verifies off-chain, with the issuer filled in from the key', async () => {
    const signed = await issueCredential(wallet, domain, { ...fields, credentialType: 'License' });
    expect(signed.fields).toMatchObject({ credentialType: 'license', issuer: wallet.address });
    expect(offChainFinding(signed, domain, new Date('2026-01-01T00:00:00Z'))).toBeNull();
  });

  it.each([
    [{ npi: '1234567890' }, 'CREDENTIAL_INVALID_NPI', /NPI 1234567890 is not valid \(NPI check digit is wrong\)/],
    [{ validUntil: '2027-13-01' }, 'CREDENTIAL_MALFORMED', /validUntil 2027-13-01 is not a calendar date/],
    [{ number: undefined }, 'CREDENTIAL_MALFORMED', /number is missing/],
    [{ issuer: Wallet.createRandom().address }, 'CREDENTIAL_MALFORMED', /the key given signs as/],
  ])('refuses %j', async (patch, code, message) => {
    const err = await errorOf(issueCredential(wallet, domain, { ...fields, ...patch }));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });
});

describe('issueCommand', () => {
  it('writes a document that parses back, never over an existing file, and prints no key', async () => {
    const out = path.join(dir, 'cred.json');
    const printed: string[] = [];
    const io = { out: (t: string) => printed.push(t), err: (t: string) => printed.push(t) };
    const args = { issuerKey: key, npi: fields.npi, type: 'board-certification', jurisdiction: 'ABIM', number: 'BC-7', validFrom: '2024-01-01', validUntil: '2034-01-01', out };
    expect(await issueCommand(args, domain, io)).toBe(0);
    const doc = parseCredentialDocument(fs.readFileSync(out, 'utf8'));
    expect(doc.fields).toMatchObject({ credentialType: 'board_certification', issuer: wallet.address });
    expect(printed.join('')).not.toContain(key.slice(2));
    await expect(issueCommand(args, domain, io)).rejects.toMatchObject({ code: 'EEXIST' });
  });
});
