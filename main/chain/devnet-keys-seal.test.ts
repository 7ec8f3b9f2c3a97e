// As the attacker who copies the data folder: the embedded devnet's governance and operating keys are sealed under the
// folder's secret (its database key, unlocked by the OS keychain or the passphrase, never written in clear), so a copy
// without that secret holds no key, in any file. A tampered key file is refused by name (DEVNET_KEYS_TAMPERED), one
// sealed under another folder's secret too (DEVNET_KEYS_WRONG_SECRET); an older plain file is sealed in place at the
// first start and no plain copy is left behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDatabaseKey } from '../db/key-store';
import { devnetKeysFile, loadOrCreateDevnetKeys, readDevnetKeys } from './devnet-keys';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-devnet-keys-'));
  dirs.push(d);
  return d;
}

const PASSPHRASE = 'a long folder passphrase';

/** A data folder whose database key is wrapped under PASSPHRASE (as the CLI makes it), and that key's bytes. */
function folder(): { dir: string; secret: Buffer } {
  const dir = tempDir();
  const key = resolveDatabaseKey({ dataDir: dir, dbPath: path.join(dir, 'custodian.sqlite'), passphrase: PASSPHRASE });
  return { dir, secret: Buffer.from(key.hex, 'hex') };
}

/** Every file under `dir`, as text. */
function everyFile(dir: string): { file: string; text: string }[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      return { file, text: fs.readFileSync(file).toString('latin1').toLowerCase() };
    });
}

const hexOf = (w: { privateKey: string }) => w.privateKey.slice(2).toLowerCase();

describe('the devnet key file, sealed under the data folder secret', () => {
  it('a copy of the data folder without its secret holds no devnet key in any file, and opens to no key', () => {
    const { dir, secret } = folder();
    const keys = loadOrCreateDevnetKeys(dir, secret);
    expect(readDevnetKeys(devnetKeysFile(dir), secret).operating.address).toBe(keys.operating.address);

    const copy = tempDir();
    fs.cpSync(dir, copy, { recursive: true });
    for (const { file, text } of everyFile(copy)) {
      expect(text.includes(hexOf(keys.governance)), file).toBe(false);
      expect(text.includes(hexOf(keys.operating)), file).toBe(false);
    }
    // Without the passphrase (or the keychain) the copy yields no database key, so no devnet key either.
    expect(() => resolveDatabaseKey({ dataDir: copy, dbPath: path.join(copy, 'custodian.sqlite') })).toThrow(expect.objectContaining({ code: 'DB_KEY_MISSING' }));
    expect(() => resolveDatabaseKey({ dataDir: copy, dbPath: path.join(copy, 'custodian.sqlite'), passphrase: 'a guessed passphrase' })).toThrow(expect.objectContaining({ code: 'DB_KEY_WRONG' }));
    // Any other secret (another folder's, or a guess) is refused by name, without trying to decrypt with it.
    expect(() => readDevnetKeys(devnetKeysFile(copy), folder().secret)).toThrow(expect.objectContaining({ code: 'DEVNET_KEYS_WRONG_SECRET' }));
    expect(() => loadOrCreateDevnetKeys(copy, Buffer.alloc(32))).toThrow(expect.objectContaining({ code: 'DEVNET_KEYS_WRONG_SECRET' }));
    // With the folder's own secret (the passphrase unwraps it) the copy opens to the same keys.
    const unwrapped = resolveDatabaseKey({ dataDir: copy, dbPath: path.join(copy, 'custodian.sqlite'), passphrase: PASSPHRASE });
    expect(readDevnetKeys(devnetKeysFile(copy), Buffer.from(unwrapped.hex, 'hex')).governance.address).toBe(keys.governance.address);
  });

  it('a tampered file is refused by name: a changed byte of the seal, swapped addresses, a file that is not ours', () => {
    const { dir, secret } = folder();
    const keys = loadOrCreateDevnetKeys(dir, secret);
    const file = devnetKeysFile(dir);
    const original = fs.readFileSync(file, 'utf8');
    const record = JSON.parse(original) as Record<string, string>;
    const write = (r: Record<string, string>) => fs.writeFileSync(file, `${JSON.stringify(r)}\n`);

    const sealed = Buffer.from(record.sealed!, 'base64');
    sealed[0] = sealed[0]! ^ 1;
    write({ ...record, sealed: sealed.toString('base64') });
    expect(() => loadOrCreateDevnetKeys(dir, secret)).toThrow(expect.objectContaining({ code: 'DEVNET_KEYS_TAMPERED' }));
    // The addresses beside the seal are bound into it: swapping them (to make the operating key govern) is caught.
    write({ ...record, governance: record.operating!, operating: record.governance! });
    expect(() => readDevnetKeys(file, secret)).toThrow(expect.objectContaining({ code: 'DEVNET_KEYS_TAMPERED' }));
    write({ ...record, tag: Buffer.alloc(16).toString('base64') });
    expect(() => readDevnetKeys(file, secret)).toThrow(expect.objectContaining({ code: 'DEVNET_KEYS_TAMPERED' }));
    fs.writeFileSync(file, '{"format":"custodian-devnet-keys/2"}');
    expect(() => loadOrCreateDevnetKeys(dir, secret)).toThrow(expect.objectContaining({ code: 'DEVNET_KEYS_UNREADABLE' }));
    // Failing closed made no new keys: the original file, put back, still opens to the same keys.
    fs.writeFileSync(file, original);
    expect(loadOrCreateDevnetKeys(dir, secret).governance.address).toBe(keys.governance.address);
  });

  it('an older plain file is sealed in place at the first start, keeping its keys; no plain copy is left', () => {
    const { dir, secret } = folder();
    const governance = Wallet.createRandom();
    const operating = Wallet.createRandom();
    const file = devnetKeysFile(dir);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, `${JSON.stringify({ format: 'custodian-devnet-keys/1', governance: governance.privateKey, operating: operating.privateKey })}\n`, { mode: 0o600 });
    expect(() => readDevnetKeys(file, secret)).toThrow(expect.objectContaining({ code: 'DEVNET_KEYS_PLAIN' }));

    const keys = loadOrCreateDevnetKeys(dir, secret);
    expect([keys.governance.address, keys.operating.address]).toEqual([governance.address, operating.address]);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ format: 'custodian-devnet-keys/2', governance: governance.address, operating: operating.address });
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['devnet-keys.json']);
    for (const { file: f, text } of everyFile(dir)) {
      expect(text.includes(hexOf(governance)), f).toBe(false);
      expect(text.includes(hexOf(operating)), f).toBe(false);
    }
    // Twice is the same as once.
    expect(loadOrCreateDevnetKeys(dir, secret).operating.address).toBe(operating.address);
  });
});
