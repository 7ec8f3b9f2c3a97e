// Opens the local SQLite cache with the settings every connection needs (WAL, foreign keys, busy timeout).
// Used by the main process and by each worker thread, which opens its own connection.
import Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import path from 'node:path';

export type Db = Database.Database;

export interface OpenOptions {
  /**
   * Path to another better_sqlite3.node. Normally unset: the package's N-API prebuild for this platform loads in
   * Node and Electron alike.
   */
  nativeBinding?: string;
  readonly?: boolean;
  /** Milliseconds a writer waits for the lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  if (!options.readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
  });
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = ON');
  return db;
}
