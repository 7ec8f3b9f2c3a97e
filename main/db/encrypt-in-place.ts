// Turns a plain database left by an earlier Custodian into an encrypted one, in place, before anything opens it:
// a backup first, the encrypted copy built and checked beside it, then one rename. A crash at any point leaves
// either the plain database (with its backup) or the encrypted one, never half of each.
import Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';
import { isPlainDatabaseFile, rekeyPlainDatabase, openDatabase, type DbKey } from './connection';

/** The steps, named so a test can stop the migration at each one as a crash would. */
export type EncryptStep = 'checkpointed' | 'backed-up' | 'copied' | 'rekeyed' | 'verified' | 'renamed';

export interface EncryptOptions {
  backupDir: string;
  nativeBinding?: string;
  /** Test hook: called after each step; throwing there is a crash at that point. */
  afterStep?: (step: EncryptStep) => void;
}

export interface EncryptReport {
  /** True when a plain database was found and encrypted. */
  encrypted: boolean;
  backupPath: string | null;
  /** Plain backups (this one and older migration backups) encrypted under the same key. */
  backupsEncrypted: number;
}

const work = (file: string) => `${file}.encrypting`;

export function encryptDatabaseInPlace(file: string, key: DbKey, options: EncryptOptions): EncryptReport {
  const step = options.afterStep ?? (() => {});
  const binding = options.nativeBinding ? { nativeBinding: options.nativeBinding } : {};
  // A copy a crash left behind is never trusted: it is rebuilt from the plain database.
  fs.rmSync(work(file), { force: true });
  fs.rmSync(`${work(file)}-journal`, { force: true });
  let backupPath: string | null = null;
  if (isPlainDatabaseFile(file)) {
    // Fold the WAL into the file and leave WAL mode (sqlite3mc cannot rekey a plain database in WAL mode).
    const plain = new Database(file, binding);
    try {
      plain.pragma('wal_checkpoint(TRUNCATE)');
      plain.pragma('journal_mode = DELETE');
    } finally {
      plain.close();
    }
    step('checkpointed');

    fs.mkdirSync(options.backupDir, { recursive: true, mode: 0o700 });
    backupPath = path.join(options.backupDir, `custodian-plain-${new Date().toISOString().replace(/[:.]/g, '-')}.sqlite`);
    copyDurably(file, backupPath);
    step('backed-up');

    copyDurably(file, work(file));
    step('copied');
    const copy = new Database(work(file), binding);
    try {
      copy.pragma('journal_mode = DELETE');
      rekeyPlainDatabase(copy, key);
    } finally {
      copy.close();
    }
    step('rekeyed');
    verifyEncryptedCopy(file, work(file), key, options.nativeBinding);
    step('verified');
    fs.renameSync(work(file), file);
    fsyncDir(path.dirname(file));
    step('renamed');
  }
  return { encrypted: backupPath !== null, backupPath, backupsEncrypted: encryptPlainBackups(options.backupDir, key, options.nativeBinding) };
}

/**
 * Backups are PHI too: once the live database is encrypted, every plain `*.sqlite` in the backup folder (the one
 * just made, and migration backups from the plain era) is encrypted the same crash-safe way.
 */
export function encryptPlainBackups(backupDir: string, key: DbKey, nativeBinding?: string): number {
  if (!fs.existsSync(backupDir)) return 0;
  let n = 0;
  for (const name of fs.readdirSync(backupDir)) {
    const file = path.join(backupDir, name);
    if (name.endsWith('.encrypting')) fs.rmSync(file, { force: true });
    if (!name.endsWith('.sqlite') || !isPlainDatabaseFile(file)) continue;
    const tmp = work(file);
    copyDurably(file, tmp);
    const copy = new Database(tmp, nativeBinding ? { nativeBinding } : {});
    try {
      copy.pragma('journal_mode = DELETE');
      rekeyPlainDatabase(copy, key);
    } finally {
      copy.close();
    }
    verifyEncryptedCopy(file, tmp, key, nativeBinding);
    fs.renameSync(tmp, file);
    n++;
  }
  fsyncDir(backupDir);
  return n;
}

/** The copy opens with the key, passes quick_check, and holds the same schema, version and row counts as the plain file. */
function verifyEncryptedCopy(plainFile: string, encryptedFile: string, key: DbKey, nativeBinding?: string): void {
  if (isPlainDatabaseFile(encryptedFile)) throw new AppError('DB_ENCRYPTION_FAILED', 'The rekeyed copy is still plain; the plain database was kept.');
  const binding = nativeBinding ? { nativeBinding } : {};
  const plain = new Database(plainFile, { ...binding, readonly: true });
  const enc = openDatabase(encryptedFile, { ...binding, readonly: true, key });
  try {
    const quick = enc.pragma('quick_check', { simple: true });
    const shape = (db: Database.Database) => {
      const tables = db.prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string; sql: string }[];
      // Table names come from sqlite_schema itself, quoted as identifiers.
      const counts = tables.map((t) => (db.prepare(`SELECT count(*) AS n FROM "${t.name.replaceAll('"', '""')}"`).get() as { n: number }).n);
      return JSON.stringify({ tables, counts, version: db.pragma('user_version', { simple: true }) });
    };
    if (quick !== 'ok' || shape(plain) !== shape(enc)) throw new AppError('DB_ENCRYPTION_FAILED', 'The encrypted copy does not match the plain database; the plain database was kept.');
  } finally {
    plain.close();
    enc.close();
  }
}

function copyDurably(from: string, to: string): void {
  fs.copyFileSync(from, to);
  fs.chmodSync(to, 0o600);
  const fd = fs.openSync(to, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Not every platform can fsync a directory (Windows); the rename itself is still atomic.
  }
}
