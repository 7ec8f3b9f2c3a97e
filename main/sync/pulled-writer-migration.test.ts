// *_pulled_writer_check alone (found by name): seed the version before it with kept pulled changes, migrate, and
// check the rows survive and the new reason UNREGISTERED_WRITER is accepted (and an unknown one still refused).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';
import { tempDir } from './fixtures/chain';

let dir: string;
beforeEach(() => {
  dir = tempDir('pulled-writer-migration');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const insert = `INSERT INTO sync_pending_consent_changes (chain_id, block_number, block_hash, log_index, tx_hash, op_key, reason, patient_pseudonym, change_json, first_seen)
  VALUES (31337, ?, '0xb', 0, '0xt', '0xk', ?, NULL, '{}', '2026-01-01T00:00:00Z')`;

describe('the project migrations: pulled_writer_check', () => {
  it('keeps the kept pulled changes and accepts UNREGISTERED_WRITER', () => {
    const db = openDatabase(path.join(dir, 'a.sqlite'));
    const version = readMigrationFiles(defaultMigrationsDir()).find((f) => f.name.endsWith('_pulled_writer_check.sql'))!.version;
    migrate(db, { migrationsDir: migrationsDirUpTo(dir, version - 1) });
    db.prepare(insert).run(1, 'UNKNOWN_PATIENT');
    db.prepare(insert).run(2, 'UNOPENABLE');
    expect(() => db.prepare(insert).run(3, 'UNREGISTERED_WRITER')).toThrow(/CHECK/);

    migrate(db, { migrationsDir: migrationsDirUpTo(dir, version, 'migrations-new') });
    expect(db.prepare(`SELECT block_number, reason FROM sync_pending_consent_changes ORDER BY id`).all()).toEqual([
      { block_number: 1, reason: 'UNKNOWN_PATIENT' },
      { block_number: 2, reason: 'UNOPENABLE' },
    ]);
    db.prepare(insert).run(3, 'UNREGISTERED_WRITER');
    expect(() => db.prepare(insert).run(4, 'SOMETHING_ELSE')).toThrow(/CHECK/);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sync_pending_consent_changes' AND sql IS NOT NULL`).pluck().all()).toEqual(['sync_pending_consent_changes_by_patient']);
    db.close();
  });
});
