// The job_error_code migration alone (found by name, not number): seed jobs at the version before it with errors
// stored as "CODE: message" text, migrate, and read each back as {code, message}.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';

const NAME = /_job_error_code\.sql$/;
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-job-error-code-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('migration job_error_code', () => {
  it('splits "CODE: message" errors into a code and a message, and gives every other stored error a code', () => {
    const version = readMigrationFiles(defaultMigrationsDir()).find((m) => NAME.test(m.name))!.version;
    const db = openDatabase(path.join(dir, 'custodian.sqlite'));
    try {
      migrate(db, { migrationsDir: migrationsDirUpTo(dir, version - 1) });
      expect(schemaVersion(db)).toBe(version - 1);
      const insert = db.prepare(`INSERT INTO jobs (id, kind, state, error) VALUES (?, 'import.consents', ?, ?)`);
      const rows: [string, string, string | null][] = [
        ['a', 'failed', 'IMPORT_HEADER_MISSING: The header has no patient_mrn column: add it'],
        ['b', 'failed', 'JOB_FAILED: line 4: unclosed quote'],
        ['c', 'interrupted', 'The app stopped while this job ran'],
        ['d', 'failed', 'Something broke: no code here'],
        ['e', 'failed', 'SQLITE_BUSY: database is locked'],
        ['f', 'succeeded', null],
        ['g', 'failed', 'X1: too short to be a code? still capitals'],
      ];
      for (const r of rows) insert.run(...r);

      migrate(db, { migrationsDir: migrationsDirUpTo(dir, version, 'migrations-now') });
      expect(schemaVersion(db)).toBe(version);
      expect(db.prepare('SELECT id, error_code AS code, error AS message FROM jobs ORDER BY id').all()).toEqual([
        { id: 'a', code: 'IMPORT_HEADER_MISSING', message: 'The header has no patient_mrn column: add it' },
        { id: 'b', code: 'JOB_FAILED', message: 'line 4: unclosed quote' },
        { id: 'c', code: 'JOB_INTERRUPTED', message: 'The app stopped while this job ran' },
        { id: 'd', code: 'JOB_FAILED', message: 'Something broke: no code here' },
        { id: 'e', code: 'SQLITE_BUSY', message: 'database is locked' },
        { id: 'f', code: null, message: null },
        { id: 'g', code: 'X1', message: 'too short to be a code? still capitals' },
      ]);
    } finally {
      db.close();
    }
  });
});
