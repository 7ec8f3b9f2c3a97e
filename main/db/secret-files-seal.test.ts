// As the attacker who copies the data folder: the organisation key and the facility secret are sealed under the
// folder's secret (its database key, unlocked by the OS keychain or the passphrase, never written in clear), so a copy
// without that secret holds neither, in any file. A tampered file is refused by name (<kind>_TAMPERED), one swapped for
// another sealed secret file too (the purpose is bound into the seal), one sealed under another folder's secret as
// <kind>_WRONG_SECRET; an older plain file is sealed in place at the first start and no plain copy is left behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { facilitySecretPath, loadOrCreateFacilitySecret, readFacilitySecret, replaceFacilitySecret } from '../consents/pseudonym';
import { loadOrCreateOrgWallet, orgKeyPath } from '../sharing/identity';
import { resolveDatabaseKey } from './key-store';
import { lockSecretFiles, unlockSecretFiles } from './secret-files';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) {
    lockSecretFiles(d);
    fs.rmSync(d, { recursive: true, force: true });
  }
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-secret-files-'));
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

/** Every file under `dir`, as lower-case text. */
function everyFile(dir: string): { file: string; text: string }[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      return { file, text: fs.readFileSync(file).toString('latin1').toLowerCase() };
    });
}

function expectNoneHold(dir: string, secrets: string[]): void {
  for (const { file, text } of everyFile(dir)) {
    for (const s of secrets) expect(text.includes(s), file).toBe(false);
  }
}

const code = (c: string) => expect.objectContaining({ code: c });

describe('the organisation key and the facility secret, sealed under the data folder secret', () => {
  it('a copy of the data folder without its secret holds neither secret in any file, and opens to neither', () => {
    const { dir, secret } = folder();
    unlockSecretFiles(dir, secret);
    const facility = loadOrCreateFacilitySecret(dir);
    const org = loadOrCreateOrgWallet(dir);
    expect(loadOrCreateFacilitySecret(dir).equals(facility)).toBe(true);
    expect(loadOrCreateOrgWallet(dir).address).toBe(org.address);

    const copy = tempDir();
    fs.cpSync(dir, copy, { recursive: true });
    expectNoneHold(copy, [facility.toString('hex'), org.privateKey.slice(2).toLowerCase()]);
    // Without the passphrase (or the keychain) the copy yields no database key, so no secret either.
    expect(() => resolveDatabaseKey({ dataDir: copy, dbPath: path.join(copy, 'custodian.sqlite'), passphrase: 'a guessed passphrase' })).toThrow(code('DB_KEY_WRONG'));
    expect(() => readFacilitySecret(copy)).toThrow(code('FACILITY_SECRET_WRONG_SECRET'));
    expect(() => loadOrCreateOrgWallet(copy)).toThrow(code('ORG_KEY_WRONG_SECRET'));
    // Any other secret (another folder's, or a guess) is refused by name, and no new secret is made in its place.
    unlockSecretFiles(copy, folder().secret);
    expect(() => loadOrCreateFacilitySecret(copy)).toThrow(code('FACILITY_SECRET_WRONG_SECRET'));
    unlockSecretFiles(copy, Buffer.alloc(32));
    expect(() => loadOrCreateOrgWallet(copy)).toThrow(code('ORG_KEY_WRONG_SECRET'));
    // With the folder's own secret (the passphrase unwraps it) the copy opens to the same secrets.
    const unwrapped = resolveDatabaseKey({ dataDir: copy, dbPath: path.join(copy, 'custodian.sqlite'), passphrase: PASSPHRASE });
    unlockSecretFiles(copy, Buffer.from(unwrapped.hex, 'hex'));
    expect(readFacilitySecret(copy)!.equals(facility)).toBe(true);
    expect(loadOrCreateOrgWallet(copy).address).toBe(org.address);
  });

  it('a tampered or swapped file is refused by name, and failing closed makes no new secret', () => {
    const { dir, secret } = folder();
    unlockSecretFiles(dir, secret);
    const facility = loadOrCreateFacilitySecret(dir);
    const org = loadOrCreateOrgWallet(dir);
    const facilityFile = facilitySecretPath(dir);
    const original = fs.readFileSync(facilityFile, 'utf8');
    const record = JSON.parse(original) as Record<string, string>;
    const write = (text: string) => fs.writeFileSync(facilityFile, text);

    const sealed = Buffer.from(record.sealed!, 'base64');
    sealed[0] = sealed[0]! ^ 1;
    write(JSON.stringify({ ...record, sealed: sealed.toString('base64') }));
    expect(() => loadOrCreateFacilitySecret(dir)).toThrow(code('FACILITY_SECRET_TAMPERED'));
    write(JSON.stringify({ ...record, tag: Buffer.alloc(16).toString('base64') }));
    expect(() => readFacilitySecret(dir)).toThrow(code('FACILITY_SECRET_TAMPERED'));
    // The organisation key's sealed file put where the facility secret belongs (same folder secret): refused, as is
    // the same file with its clear purpose edited to match (the purpose is bound into the seal).
    const orgRecord = JSON.parse(fs.readFileSync(orgKeyPath(dir), 'utf8')) as Record<string, string>;
    write(JSON.stringify(orgRecord));
    expect(() => readFacilitySecret(dir)).toThrow(code('FACILITY_SECRET_TAMPERED'));
    write(JSON.stringify({ ...orgRecord, purpose: 'facility secret' }));
    expect(() => loadOrCreateFacilitySecret(dir)).toThrow(code('FACILITY_SECRET_TAMPERED'));
    fs.writeFileSync(orgKeyPath(dir), original);
    expect(() => loadOrCreateOrgWallet(dir)).toThrow(code('ORG_KEY_TAMPERED'));
    // Another folder's sealed facility secret swapped in: sealed under another folder secret.
    const other = folder();
    unlockSecretFiles(other.dir, other.secret);
    loadOrCreateFacilitySecret(other.dir);
    write(fs.readFileSync(facilitySecretPath(other.dir), 'utf8'));
    expect(() => readFacilitySecret(dir)).toThrow(code('FACILITY_SECRET_WRONG_SECRET'));
    write('not a secret at all\n');
    expect(() => loadOrCreateFacilitySecret(dir)).toThrow(code('FACILITY_SECRET_INVALID'));
    // The originals, put back, still open to the same secrets.
    write(original);
    fs.writeFileSync(orgKeyPath(dir), `${JSON.stringify(orgRecord)}\n`);
    expect(loadOrCreateFacilitySecret(dir).equals(facility)).toBe(true);
    expect(loadOrCreateOrgWallet(dir).address).toBe(org.address);
  });

  it('older plain files are sealed in place at the first start, keeping their secrets; no plain copy is left', () => {
    const { dir, secret } = folder();
    const facility = Buffer.alloc(32, 7);
    const org = Wallet.createRandom();
    fs.mkdirSync(path.join(dir, 'secrets'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(facilitySecretPath(dir), `${facility.toString('hex')}\n`, { mode: 0o600 });
    fs.writeFileSync(orgKeyPath(dir), `${org.privateKey}\n`, { mode: 0o600 });

    unlockSecretFiles(dir, secret);
    expect(loadOrCreateFacilitySecret(dir).equals(facility)).toBe(true);
    expect(loadOrCreateOrgWallet(dir).address).toBe(org.address);
    for (const file of [facilitySecretPath(dir), orgKeyPath(dir)]) {
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ format: 'custodian-sealed-secret/1' });
      if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    }
    expect(fs.readdirSync(path.join(dir, 'secrets')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expectNoneHold(dir, [facility.toString('hex'), org.privateKey.slice(2).toLowerCase()]);
    // Twice is the same as once; an installed secret (from another workstation) is sealed too.
    expect(readFacilitySecret(dir)!.equals(facility)).toBe(true);
    const installed = Buffer.alloc(32, 9);
    replaceFacilitySecret(dir, installed);
    expectNoneHold(dir, [installed.toString('hex')]);
    expect(readFacilitySecret(dir)!.equals(installed)).toBe(true);
  });
});
