// Opens the local SQLite cache with the settings every connection needs (the at-rest key, WAL, foreign keys, busy
// timeout). Used by the main process and by each worker thread, which opens its own connection with the same key.
import Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';

export type Db = Database.Database;

/**
 * The database's 256-bit key as 64 hex digits (never the passphrase): SQLCipher 4's raw-key form, so no KDF runs
 * per connection (the key is random; the passphrase KDF ran once, when the key was unwrapped).
 */
export type DbKey = { readonly hex: string; readonly __brand: 'DbKey' };

export function dbKeyFromBytes(bytes: Uint8Array): DbKey {
  if (bytes.length !== 32) throw new AppError('DB_KEY_WRONG', 'A database key is 32 bytes.');
  return { hex: Buffer.from(bytes).toString('hex') } as DbKey;
}

export function dbKeyFromHex(hex: string): DbKey {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new AppError('DB_KEY_WRONG', 'A database key is 64 lowercase hex digits.');
  return { hex } as DbKey;
}

export interface OpenOptions {
  /**
   * Path to another better_sqlite3.node. Normally unset: the package's N-API prebuild for this platform loads in
   * Node and Electron alike.
   */
  nativeBinding?: string;
  readonly?: boolean;
  /** Milliseconds a writer waits for the lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** The at-rest key (SQLCipher 4 format). Absent: a plain database (unit tests); an encrypted file then fails with DB_KEY_MISSING. */
  key?: DbKey | null;
  /**
   * Page cache in KiB. Default: KEYED_CACHE_KIB on an encrypted connection, the library's own (16,000 KiB in this
   * build) on a plain one; null keeps the library's. The decide bench passes null to measure the encrypted database
   * with the library's cache beside the console's.
   */
  cacheKiB?: number | null;
}

/**
 * The page cache of an encrypted connection: a miss there costs a read plus a page decryption and HMAC check, so the
 * pages decide() walks (its index over a million consents) are kept decrypted in memory. A ceiling, not an
 * allocation: the cache grows only with pages read. (Memory-mapped I/O does not help: encrypted pages go through the
 * codec, and SQLite3MultipleCiphers does not map an encrypted database.)
 */
export const KEYED_CACHE_KIB = 65_536;

/** Applies the cipher settings and key; must run before the first read of the connection. */
export function applyKey(db: Db, key: DbKey): void {
  db.pragma(`cipher = 'sqlcipher'`);
  db.pragma('legacy = 4');
  // hex checked by dbKeyFromHex/dbKeyFromBytes, so this cannot carry anything but 64 hex digits.
  db.pragma(`key = "x'${dbKeyFromHex(key.hex).hex}'"`);
}

/** Encrypts a plain database in place under `key` (the connection must not be in WAL mode: sqlite3mc refuses). */
export function rekeyPlainDatabase(db: Db, key: DbKey): void {
  db.pragma(`cipher = 'sqlcipher'`);
  db.pragma('legacy = 4');
  db.pragma(`rekey = "x'${dbKeyFromHex(key.hex).hex}'"`);
}

/** Whether `file` is a plain (unencrypted) SQLite database: its first 16 bytes are SQLite's magic header. */
export function isPlainDatabaseFile(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(16);
    return fs.readSync(fd, head, 0, 16, 0) === 16 && head.toString('latin1') === 'SQLite format 3\0';
  } finally {
    fs.closeSync(fd);
  }
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  if (!options.readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
  });
  try {
    if (options.key) applyKey(db, options.key);
    // The first read decrypts page 1: a wrong key (or none, on an encrypted file) fails here, by name.
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_NOTADB') throw err;
    throw options.key
      ? new AppError('DB_KEY_WRONG', `The database ${path.basename(file)} does not open with this key (a wrong passphrase or keychain, or not a Custodian database).`)
      : new AppError('DB_KEY_MISSING', `The database ${path.basename(file)} is encrypted and no key was given.`);
  }
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  const cacheKiB = options.cacheKiB === undefined ? (options.key ? KEYED_CACHE_KIB : null) : options.cacheKiB;
  if (cacheKiB !== null) db.pragma(`cache_size = -${Math.max(1, Math.trunc(cacheKiB))}`);
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = ON');
  return db;
}
