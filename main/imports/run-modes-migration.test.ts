// The import-run-modes migration alone (found by name, so a renumbering at merge needs no change here): seed
// roster and claim runs at the version before it, migrate, and check that they read as real (not dry) runs of the
// import framework with their counts intact, and that the new columns refuse anything but 0 and 1.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';
import { tempDir } from '../consents/test-support';

const version = readMigrationFiles(defaultMigrationsDir()).find((f) => /_import_run_modes\.sql$/.test(f.name))!.version;

let dir: string;
beforeEach(() => {
  dir = tempDir('custodian-run-modes-migration-');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('import run modes migration', () => {
  it('keeps existing roster and claim runs readable and resumable as real runs, and adds dry_run and the claims file hash', () => {
    const db = openDatabase(path.join(dir, 'db.sqlite'));
    try {
      migrate(db, { migrationsDir: migrationsDirUpTo(dir, version - 1) });
      db.prepare(
        `INSERT INTO roster_import_runs (id, job_id, file_name, file_path, file_size, rows_read, providers_added, rejected, started_by, created_at)
         VALUES (4, 'job-r', 'roster.csv', '/x/roster.csv', 99, 7, 5, 2, 'staff-1', '2026-01-01T00:00:00Z')`,
      ).run();
      db.prepare(
        `INSERT INTO claim_import_runs (id, job_id, file_name, file_path, file_size, rows_read, passed, failed, rejected, duplicate, started_by, created_at)
         VALUES (9, 'job-c', 'claims.csv', '/x/claims.csv', 120, 6, 3, 1, 1, 1, 'staff-2', '2026-01-01T00:00:00Z')`,
      ).run();
      migrate(db, { migrationsDir: migrationsDirUpTo(dir, version, `migrations-${version}-full`) });
      expect(schemaVersion(db)).toBe(version);
      // Read as the tables stood at this version (0020 folds them into one runs table, tested on its own).
      expect(db.prepare('SELECT dry_run, rows_read, providers_added, rejected FROM roster_import_runs WHERE id = 4').get()).toEqual({ dry_run: 0, rows_read: 7, providers_added: 5, rejected: 2 });
      expect(db.prepare('SELECT dry_run, rows_read, passed, failed, rejected, duplicate FROM claim_import_runs WHERE id = 9').get()).toEqual({ dry_run: 0, rows_read: 6, passed: 3, failed: 1, rejected: 1, duplicate: 1 });
      expect(db.prepare('SELECT job_id, file_hash FROM claim_import_runs WHERE id = 9').get()).toEqual({ job_id: 'job-c', file_hash: null });
      expect(() => db.prepare('UPDATE roster_import_runs SET dry_run = 2 WHERE id = 4').run()).toThrow(/CHECK constraint/);
      expect(() => db.prepare('UPDATE claim_import_runs SET dry_run = -1 WHERE id = 9').run()).toThrow(/CHECK constraint/);
    } finally {
      db.close();
    }
  });
});
