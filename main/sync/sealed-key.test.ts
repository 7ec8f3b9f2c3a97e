// The signing key sealed by the OS keychain: sealed once from the keystore, then used by loadSigner without a
// passphrase; refused on a keyring-less Linux; tampering and a foreign keychain give clear errors, never key bytes.
import fs from 'node:fs';
import path from 'node:path';
import { encryptKeystoreJson, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { tempDir } from './fixtures/chain';
import { standInKeychain } from '../db/test-keychain';
import { SealedSigningKey, sealerReadiness } from './sealed-key';
import { loadSigner } from './signer';
import { createSignerHandlers } from './signer-handlers';

const keychain = standInKeychain;

const contracts = { ConsentLedger: `0x${'11'.repeat(20)}`, AuditAnchor: `0x${'22'.repeat(20)}`, CredentialRegistry: `0x${'33'.repeat(20)}` };

async function externalChain(dir: string, wallet: Wallet | ReturnType<typeof Wallet.createRandom>, passphrase: string) {
  const keystorePath = path.join(dir, 'keystore.json');
  fs.writeFileSync(keystorePath, await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, passphrase, { scrypt: { N: 1 << 10 } }));
  return { mode: 'external' as const, rpcUrl: 'http://127.0.0.1:1', chainId: 5, contracts, confirmations: 1, finality: 'finalized-if-supported' as const, startBlock: 0, keystorePath };
}

const audits: unknown[] = [];
// The dispatcher's context without a database: commit runs the write (the handlers' entry facts go to `audits`).
const ctx = { audit: (f: unknown) => audits.push(f), commit: <T>(write: () => T): T => write() } as never;

describe('sealerReadiness', () => {
  it.each([
    ['no keychain (browser mode, CLI)', null, false, /Only the desktop app/],
    ['encryption unavailable', keychain('gnome_libsecret', false), false, /not available/],
    ['Linux without a keyring (basic_text)', keychain('basic_text'), false, /fixed, public key/],
    ['libsecret', keychain('gnome_libsecret'), true, null],
  ] as const)('%s', (_name, sealer, ready, reason) => {
    const r = sealerReadiness(sealer);
    expect(r.ready).toBe(ready);
    if (reason) expect(r.reason).toMatch(reason);
    else expect(r.reason).toBeNull();
  });
});

describe('SealedSigningKey with loadSigner', () => {
  it('seals the keystore key once; loadSigner then needs no passphrase, and the file holds no key bytes', async () => {
    const dir = tempDir('sealed');
    const wallet = Wallet.createRandom();
    const chain = await externalChain(dir, wallet, 'pass phrase 1');
    const sealer = keychain();
    const sealed = new SealedSigningKey(dir, sealer);
    const handlers = createSignerHandlers({ chain, sealed, env: {} });

    expect(await handlers['signer.status']({}, ctx)).toMatchObject({ source: 'none', canSeal: true, sealed: null });
    await expect(loadSigner(chain, () => null, {}, sealed)).rejects.toThrow(/CUSTODIAN_KEYSTORE_PASSPHRASE .*Settings/);

    await expect(handlers['signer.seal']({ passphrase: 'wrong' }, ctx)).rejects.toMatchObject({ code: 'SYNC_SIGNER_UNAVAILABLE' });
    expect(sealed.exists()).toBe(false);

    expect(await handlers['signer.seal']({ passphrase: 'pass phrase 1' }, ctx)).toEqual({ address: wallet.address, backend: 'gnome_libsecret' });
    const text = fs.readFileSync(sealed.file, 'utf8');
    expect(text).not.toContain(wallet.privateKey.slice(2));
    expect(JSON.stringify(audits)).not.toContain(wallet.privateKey.slice(2));
    expect(JSON.stringify(audits)).not.toContain('pass phrase 1');
    expect(fs.statSync(sealed.file).mode & 0o077).toBe(0);

    expect((await loadSigner(chain, () => null, {}, sealed)).address).toBe(wallet.address);
    expect(await handlers['signer.status']({}, ctx)).toMatchObject({ source: 'sealed', sealed: { address: wallet.address } });

    // Another OS user's keychain cannot unseal it, and says so.
    await expect(loadSigner(chain, () => null, {}, new SealedSigningKey(dir, keychain()))).rejects.toThrow(/could not unseal/);
    // Browser mode / CLI on the same folder: no keychain, a clear message.
    await expect(loadSigner(chain, () => null, {}, new SealedSigningKey(dir, null))).rejects.toThrow(/only the desktop app can unseal/);

    expect(await handlers['signer.forget']({}, ctx)).toEqual({ removed: true });
    expect(sealed.exists()).toBe(false);
    expect(await handlers['signer.forget']({}, ctx)).toEqual({ removed: false });
  });

  it('refuses a sealed key whose recorded address does not match, and an unreadable file', async () => {
    const dir = tempDir('sealed-tamper');
    const wallet = Wallet.createRandom();
    const chain = await externalChain(dir, wallet, 'p');
    const sealer = keychain();
    const sealed = new SealedSigningKey(dir, sealer);
    sealed.seal(wallet.privateKey);
    const record = JSON.parse(fs.readFileSync(sealed.file, 'utf8'));
    fs.writeFileSync(sealed.file, JSON.stringify({ ...record, address: Wallet.createRandom().address }));
    await expect(loadSigner(chain, () => null, {}, sealed)).rejects.toThrow(/does not match the address/);
    fs.writeFileSync(sealed.file, 'not json');
    await expect(loadSigner(chain, () => null, {}, sealed)).rejects.toThrow(/unreadable or not a Custodian sealed key/);
  });

  it('will not seal on a keyring-less Linux, nor for the embedded chain', async () => {
    const dir = tempDir('sealed-refuse');
    const wallet = Wallet.createRandom();
    const chain = await externalChain(dir, wallet, 'p');
    const weak = createSignerHandlers({ chain, sealed: new SealedSigningKey(dir, keychain('basic_text')), env: {} });
    await expect(weak['signer.seal']({ passphrase: 'p' }, ctx)).rejects.toMatchObject({ code: 'SIGNER_SEAL_UNAVAILABLE' });
    expect(fs.existsSync(path.join(dir, 'secrets', 'signing-key.sealed'))).toBe(false);
    const embedded = createSignerHandlers({ chain: { mode: 'embedded' }, sealed: new SealedSigningKey(dir, keychain()), env: {} });
    expect(await embedded['signer.status']({}, ctx)).toMatchObject({ source: 'devnet', canSeal: false });
    await expect(embedded['signer.seal']({ passphrase: 'p' }, ctx)).rejects.toMatchObject({ code: 'SIGNER_SEAL_UNAVAILABLE' });
  });
});
