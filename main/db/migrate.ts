// Forward-only schema migrations: numbered SQL files applied in order, each in its own transaction, recorded
// with a SHA-256 checksum. Refuses a database from a newer app or one whose applied migration was edited.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';
import type { Db } from './connection';

export interface MigrationFile {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  applied_at: string;
}

export interface MigrationReport {
  fromVersion: number;
  toVersion: number;
  applied: string[];
  backupPath: string | null;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function defaultMigrationsDir(): string {
  return process.env.CUSTODIAN_MIGRATIONS_DIR ?? path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../migrations');
}

export function checksumOf(sql: string): string {
  // Line endings are normalised so a checkout with CRLF does not look like an edit.
  return crypto.createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

export function readMigrationFiles(dir: string): MigrationFile[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const out: MigrationFile[] = [];
  for (const file of files) {
    const m = FILE_PATTERN.exec(file);
    if (!m) throw new AppError('DB_MIGRATION_FAILED', `Migration file ${file} does not match NNNN_description.sql`);
    const version = Number(m[1]);
    const prev = out[out.length - 1];
    if (version !== (prev ? prev.version + 1 : 1)) {
      throw new AppError('DB_MIGRATION_FAILED', `Migration ${file} breaks the sequence: expected version ${prev ? prev.version + 1 : 1}`);
    }
    const sql = fs.readFileSync(path.join(dir, file), 'utf8');
    out.push({ version, name: file, sql, checksum: checksumOf(sql) });
  }
  return out;
}

function ensureLedger(db: Db): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
}

export function appliedMigrations(db: Db): AppliedMigration[] {
  const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).get();
  if (!exists) return [];
  return db.prepare(`SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version`).all() as AppliedMigration[];
}

/**
 * Checks, without writing anything, that the applied migrations are a prefix of the files with equal checksums.
 * Returns the pending files.
 */
export function planMigrations(db: Db, files: MigrationFile[]): MigrationFile[] {
  const applied = appliedMigrations(db);
  const latestKnown = files.length ? files[files.length - 1]!.version : 0;
  const newest = applied.length ? applied[applied.length - 1]!.version : 0;
  if (newest > latestKnown) {
    throw new AppError(
      'DB_FROM_FUTURE',
      `The database is at schema version ${newest}, newer than this app knows (${latestKnown}). Update Custodian before opening it; the database was not changed.`,
      { databaseVersion: newest, appVersion: latestKnown },
    );
  }
  for (const row of applied) {
    const file = files[row.version - 1];
    if (!file || file.version !== row.version) {
      throw new AppError('DB_MIGRATION_EDITED', `Applied migration ${row.name} has no matching file; the database was not changed.`, {
        version: row.version,
      });
    }
    if (file.checksum !== row.checksum || file.name !== row.name) {
      throw new AppError(
        'DB_MIGRATION_EDITED',
        `Migration ${file.name} was edited after it was applied to this database (checksum ${row.checksum.slice(0, 12)}… now ${file.checksum.slice(0, 12)}…). Released migrations must never change: restore the file and add a new migration instead. The database was not changed.`,
        { version: row.version, file: file.name },
      );
    }
  }
  return files.slice(applied.length);
}

export interface MigrateOptions {
  migrationsDir?: string;
  /** Where to copy the database before applying migrations to one that already has a schema. */
  backupDir?: string;
  now?: () => Date;
}

export function migrate(db: Db, options: MigrateOptions = {}): MigrationReport {
  const files = readMigrationFiles(options.migrationsDir ?? defaultMigrationsDir());
  const pending = planMigrations(db, files);
  const fromVersion = files.length - pending.length;
  if (pending.length === 0) return { fromVersion, toVersion: fromVersion, applied: [], backupPath: null };

  let backupPath: string | null = null;
  if (fromVersion > 0 && options.backupDir) {
    fs.mkdirSync(options.backupDir, { recursive: true });
    const stamp = (options.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
    backupPath = path.join(options.backupDir, `custodian-v${fromVersion}-${stamp}.sqlite`);
    db.prepare('VACUUM INTO ?').run(backupPath);
  }

  ensureLedger(db);
  const record = db.prepare(`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`);
  for (const file of pending) {
    const apply = db.transaction(() => {
      db.exec(file.sql);
      record.run(file.version, file.name, file.checksum, (options.now?.() ?? new Date()).toISOString());
      db.pragma(`user_version = ${file.version}`);
    });
    try {
      apply();
    } catch (err) {
      throw new AppError('DB_MIGRATION_FAILED', `Migration ${file.name} failed and was rolled back: ${(err as Error).message}`, {
        file: file.name,
        backupPath,
      });
    }
  }
  return { fromVersion, toVersion: pending[pending.length - 1]!.version, applied: pending.map((f) => f.name), backupPath };
}

export function schemaVersion(db: Db): number {
  const applied = appliedMigrations(db);
  return applied.length ? applied[applied.length - 1]!.version : 0;
}
