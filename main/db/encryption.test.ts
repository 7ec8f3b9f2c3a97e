// The database at rest, tried as an attacker who copies the data folder: nothing readable without the key, a
// missing or wrong key refused by name (never a silent plain database), and a plain database from an earlier
// version encrypted in place with a backup first, surviving a crash at every step.
import Database from 'better-sqlite3-multiple-ciphers';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../runtime/log';
import { patientValues, PATIENT_STORED_COLUMNS } from '../consents/patient-columns';
import { startServices, type Services } from '../compose/services';
import { dbKeyFromBytes, isPlainDatabaseFile, openDatabase } from './connection';
import { encryptDatabaseInPlace, type EncryptStep } from './encrypt-in-place';
import { databaseKeyFiles, openDataFolderDatabase, resolveDatabaseKey } from './key-store';
import { migrate } from './migrate';
import { standInKeychain } from './test-keychain';

const PASSPHRASE = 'vitest database passphrase';
const NAME = 'Zebediah Quillfeather';
const dirs: string[] = [];
const running: Services[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-rest-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function start(dataDir: string, extra: Partial<Parameters<typeof startServices>[0]> = {}): Promise<Services> {
  const s = await startServices({ dataDir, runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } }, sync: 'manual', ...extra });
  running.push(s);
  return s;
}

function seedPatient(db: Database.Database, mrn = 'MRN-4471'): void {
  db.prepare(`INSERT INTO patients (facility, mrn, name, ${PATIENT_STORED_COLUMNS}) VALUES ('GH01', ?, ?, ?, ?, ?)`).run(mrn, NAME, ...patientValues(`0x${crypto.createHash('sha256').update(mrn).digest('hex')}`, new Date().toISOString()));
}

/** A data folder as an earlier (plain) Custodian left it: migrated, a patient in the WAL not yet checkpointed. */
function plainFolder(): { dataDir: string; dbPath: string } {
  const dataDir = tempDir();
  const dbPath = path.join(dataDir, 'custodian.sqlite');
  const db = openDatabase(dbPath);
  migrate(db);
  db.pragma('wal_autocheckpoint = 0');
  seedPatient(db);
  // Closing checkpoints; copy the files first so the WAL still holds the patient, as after a crash.
  for (const s of ['', '-wal', '-shm']) if (fs.existsSync(dbPath + s)) fs.copyFileSync(dbPath + s, `${dbPath}${s}.crash`);
  db.close();
  for (const s of ['', '-wal', '-shm']) if (fs.existsSync(`${dbPath}${s}.crash`)) fs.renameSync(`${dbPath}${s}.crash`, dbPath + s);
  return { dataDir, dbPath };
}

function rawBytesOf(dir: string): Buffer {
  return Buffer.concat(fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => fs.readFileSync(path.join(e.parentPath, e.name))));
}

describe('the database key', () => {
  it('is random per folder, wrapped under the passphrase, never in clear, and refused by name when missing or wrong', () => {
    const dataDir = tempDir();
    const dbPath = path.join(dataDir, 'custodian.sqlite');
    const key = resolveDatabaseKey({ dataDir, dbPath, passphrase: PASSPHRASE });
    expect(resolveDatabaseKey({ dataDir, dbPath, passphrase: PASSPHRASE }).hex).toBe(key.hex);
    expect(resolveDatabaseKey({ dataDir: tempDir(), dbPath, passphrase: PASSPHRASE }).hex).not.toBe(key.hex);
    const stored = rawBytesOf(dataDir);
    expect(stored.includes(key.hex)).toBe(false);
    expect(stored.includes(Buffer.from(key.hex, 'hex'))).toBe(false);
    expect(() => resolveDatabaseKey({ dataDir, dbPath, passphrase: 'not the passphrase at all' })).toThrow(expect.objectContaining({ code: 'DB_KEY_WRONG' }));
    expect(() => resolveDatabaseKey({ dataDir, dbPath })).toThrow(expect.objectContaining({ code: 'DB_KEY_MISSING' }));
    expect(() => resolveDatabaseKey({ dataDir: tempDir(), dbPath: path.join(tempDir(), 'x.sqlite') })).toThrow(expect.objectContaining({ code: 'DB_KEY_MISSING' }));
  });

  it('is sealed by the keychain in the desktop app; another OS user cannot unseal it; a passphrase adds a second, wrapped copy', () => {
    const dataDir = tempDir();
    const dbPath = path.join(dataDir, 'custodian.sqlite');
    const keychain = standInKeychain();
    const key = resolveDatabaseKey({ dataDir, dbPath, sealer: keychain });
    const files = databaseKeyFiles(dataDir);
    expect(fs.existsSync(files.sealed)).toBe(true);
    expect(fs.existsSync(files.wrapped)).toBe(false);
    expect(resolveDatabaseKey({ dataDir, dbPath, sealer: keychain }).hex).toBe(key.hex);
    expect(() => resolveDatabaseKey({ dataDir, dbPath, sealer: standInKeychain() })).toThrow(expect.objectContaining({ code: 'DB_KEY_WRONG' }));
    // The CLI (no keychain) cannot open a folder sealed only by the desktop app...
    expect(() => resolveDatabaseKey({ dataDir, dbPath, passphrase: PASSPHRASE })).toThrow(expect.objectContaining({ code: 'DB_KEY_MISSING' }));
    // ...until the desktop app runs once with a passphrase, which wraps the same key.
    expect(resolveDatabaseKey({ dataDir, dbPath, sealer: keychain, passphrase: PASSPHRASE }).hex).toBe(key.hex);
    expect(resolveDatabaseKey({ dataDir, dbPath, passphrase: PASSPHRASE }).hex).toBe(key.hex);
    // A keyring-less Linux (basic_text) is no keychain: without a passphrase the folder does not open.
    expect(() => resolveDatabaseKey({ dataDir: tempDir(), dbPath, sealer: standInKeychain('basic_text') })).toThrow(expect.objectContaining({ code: 'DB_KEY_MISSING' }));
  });

  it('an encrypted database whose key files are gone is DB_KEY_MISSING, not a fresh key over it', async () => {
    const dataDir = tempDir();
    await (await start(dataDir)).stop();
    running.length = 0;
    fs.rmSync(path.join(dataDir, 'secrets'), { recursive: true });
    expect(() => resolveDatabaseKey({ dataDir, dbPath: path.join(dataDir, 'custodian.sqlite'), passphrase: PASSPHRASE })).toThrow(expect.objectContaining({ code: 'DB_KEY_MISSING' }));
  });
});

describe('connections', () => {
  it('every way in needs the key: services, a wrong passphrase, a worker job and the backup job', async () => {
    const dataDir = tempDir();
    const s = await start(dataDir);
    seedPatient(s.db);
    expect(isPlainDatabaseFile(s.dbPath)).toBe(false);
    // A backup job runs in a worker thread with its own connection: it opens (so it had the key) and the copy is encrypted.
    const destination = path.join(tempDir(), 'backup.sqlite');
    const job = s.jobs.start('db.backup', { destination });
    expect(await s.jobs.waitFor(job.id)).toMatchObject({ state: 'succeeded' });
    expect(isPlainDatabaseFile(destination)).toBe(false);
    expect(fs.readFileSync(destination).includes(NAME)).toBe(false);
    const copy = openDatabase(destination, { readonly: true, key: s.dbKey });
    expect(copy.prepare('SELECT name FROM patients').get()).toEqual({ name: NAME });
    copy.close();
    await s.stop();
    running.length = 0;
    await expect(start(dataDir, { dbPassphrase: 'a wrong passphrase here' })).rejects.toMatchObject({ code: 'DB_KEY_WRONG' });
    const saved = process.env.CUSTODIAN_DB_PASSPHRASE;
    delete process.env.CUSTODIAN_DB_PASSPHRASE;
    try {
      await expect(start(dataDir)).rejects.toMatchObject({ code: 'DB_KEY_MISSING' });
    } finally {
      process.env.CUSTODIAN_DB_PASSPHRASE = saved;
    }
    expect(() => openDatabase(path.join(dataDir, 'custodian.sqlite'))).toThrow(expect.objectContaining({ code: 'DB_KEY_MISSING' }));
    expect(() => openDatabase(path.join(dataDir, 'custodian.sqlite'), { key: dbKeyFromBytes(Buffer.alloc(32, 7)) })).toThrow(expect.objectContaining({ code: 'DB_KEY_WRONG' }));
  });

  it('the CLI (and so browser mode) fails closed without the passphrase or with a wrong one, and opens with it', async () => {
    const dataDir = tempDir();
    await (await start(dataDir)).stop();
    running.length = 0;
    const bin = path.resolve(import.meta.dirname, '../../bin/custodian.mjs');
    const { CUSTODIAN_DB_PASSPHRASE: _passphrase, ...env } = process.env;
    const cli = (extra: Record<string, string>) =>
      spawnSync(process.execPath, [bin, 'status', '--data-dir', dataDir], { encoding: 'utf8', env: { ...env, CUSTODIAN_CHAIN: 'none', CUSTODIAN_RPC_URL: '', ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    const missing = cli({});
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('DB_KEY_MISSING');
    const wrong = cli({ CUSTODIAN_DB_PASSPHRASE: 'a wrong passphrase here' });
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain('DB_KEY_WRONG');
    const right = cli({ CUSTODIAN_DB_PASSPHRASE: PASSPHRASE });
    expect(right.status, right.stderr).toBe(0);
    expect(right.stdout).toContain('Database:');
  });

  it('attacker: a copy of the running folder (db, wal, shm) gives no patient name to grep, the sqlite3 CLI or the driver', async () => {
    const dataDir = tempDir();
    const s = await start(dataDir);
    s.db.pragma('wal_autocheckpoint = 0');
    seedPatient(s.db, 'MRN-1');
    s.db.pragma('wal_checkpoint(PASSIVE)');
    seedPatient(s.db, 'MRN-2'); // this one only in the WAL
    const stolen = tempDir();
    fs.cpSync(dataDir, stolen, { recursive: true });
    expect(fs.existsSync(path.join(stolen, 'custodian.sqlite-wal'))).toBe(true);
    const bytes = rawBytesOf(stolen);
    expect(bytes.includes(NAME)).toBe(false);
    expect(bytes.includes('MRN-2')).toBe(false);
    expect(bytes.includes(Buffer.from(NAME, 'utf16le'))).toBe(false);
    const dbFile = path.join(stolen, 'custodian.sqlite');
    const cli = spawnSync('sqlite3', [dbFile, 'SELECT name FROM patients;'], { encoding: 'utf8' });
    if (!cli.error) {
      expect(cli.stdout).not.toContain(NAME);
      expect(cli.stderr).toMatch(/not a database/);
    }
    expect(() => openDatabase(dbFile, { readonly: true })).toThrow(expect.objectContaining({ code: 'DB_KEY_MISSING' }));
    const raw = new Database(dbFile, { readonly: true });
    expect(() => raw.prepare('SELECT name FROM patients').all()).toThrow(/not a database/);
    raw.close();
    // The owner, with the passphrase, reads both patients from the same copy.
    const owner = openDataFolderDatabase(stolen, { readonly: true });
    expect(owner.prepare('SELECT mrn FROM patients ORDER BY mrn').all()).toEqual([{ mrn: 'MRN-1' }, { mrn: 'MRN-2' }]);
    owner.close();
  });
});

describe('a plain database from an earlier version', () => {
  it('is encrypted in place on start, with a backup first that is encrypted too', async () => {
    const { dataDir, dbPath } = plainFolder();
    expect(isPlainDatabaseFile(dbPath)).toBe(true);
    const s = await start(dataDir);
    expect(s.encryption).toMatchObject({ encrypted: true });
    expect(isPlainDatabaseFile(dbPath)).toBe(false);
    expect(s.db.prepare('SELECT name FROM patients').get()).toEqual({ name: NAME });
    const backup = s.encryption.backupPath!;
    expect(isPlainDatabaseFile(backup)).toBe(false);
    const b = openDatabase(backup, { readonly: true, key: s.dbKey });
    expect(b.prepare('SELECT name FROM patients').get()).toEqual({ name: NAME });
    b.close();
    await s.stop();
    running.length = 0;
    expect(rawBytesOf(dataDir).includes(NAME)).toBe(false);
  });

  const steps: EncryptStep[] = ['checkpointed', 'backed-up', 'copied', 'rekeyed', 'verified', 'renamed'];
  it.each(steps)('a crash after "%s" leaves the plain database (and its backup) or the encrypted one; the next start finishes', (crashAt) => {
    const { dataDir, dbPath } = plainFolder();
    const key = resolveDatabaseKey({ dataDir, dbPath, passphrase: PASSPHRASE });
    const backupDir = path.join(dataDir, 'backups');
    expect(() =>
      encryptDatabaseInPlace(dbPath, key, {
        backupDir,
        afterStep: (step) => {
          if (step === crashAt) throw new Error(`crash after ${step}`);
        },
      }),
    ).toThrow(`crash after ${crashAt}`);
    const readable = isPlainDatabaseFile(dbPath) ? openDatabase(dbPath, { readonly: true }) : openDatabase(dbPath, { readonly: true, key });
    expect(readable.prepare('SELECT name FROM patients').get()).toEqual({ name: NAME });
    readable.close();
    if (isPlainDatabaseFile(dbPath) && crashAt !== 'checkpointed') expect(fs.readdirSync(backupDir).some((f) => f.startsWith('custodian-plain-'))).toBe(true);
    expect(crashAt === 'renamed' ? !isPlainDatabaseFile(dbPath) : isPlainDatabaseFile(dbPath)).toBe(true);

    const report = encryptDatabaseInPlace(dbPath, key, { backupDir });
    expect(isPlainDatabaseFile(dbPath)).toBe(false);
    expect(fs.existsSync(`${dbPath}.encrypting`)).toBe(false);
    for (const f of fs.readdirSync(backupDir)) expect(isPlainDatabaseFile(path.join(backupDir, f)), f).toBe(false);
    expect(report.encrypted).toBe(crashAt !== 'renamed');
    const db = openDatabase(dbPath, { key });
    expect(db.prepare('SELECT name FROM patients').get()).toEqual({ name: NAME });
    db.close();
  });
});
