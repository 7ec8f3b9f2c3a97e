// The project migration 0004_audit alone: seed a database at the version before it, migrate, and check what it
// adds: the append-only trail, batches, reviews, their indexes and the triggers that guard them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { GENESIS_HASH, recordAudit } from './trail';
import { migrationsDirUpTo } from '../db/migration-test-support';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-audit-migration-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const migrationsUpTo = (name: string, version: number): string => migrationsDirUpTo(dir, version, name);

describe('the project migrations: 0004_audit', () => {
  it('is the fourth migration and applies on top of 0003, keeping earlier data', () => {
    const audit = readMigrationFiles(defaultMigrationsDir()).find((f) => f.name.endsWith('_audit.sql'));
    expect(audit?.name).toBe('0004_audit.sql');
    const file = path.join(dir, 'db.sqlite');
    const db = openDatabase(file);
    migrate(db, { migrationsDir: migrationsUpTo('before', 3) });
    expect(schemaVersion(db)).toBe(3);
    db.prepare(`INSERT INTO outbox (kind, payload) VALUES ('credential.status', '{}')`).run();

    const report = migrate(db, { migrationsDir: migrationsUpTo('after', 4), backupDir: path.join(dir, 'backups') });
    expect(report).toMatchObject({ fromVersion: 3, toVersion: 4, applied: ['0004_audit.sql'] });
    expect(report.backupPath).toBeTruthy();
    expect(db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 1 });

    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type IN ('table', 'index', 'trigger') ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'audit_log',
        'audit_batches',
        'audit_reviews',
        'audit_by_patient',
        'audit_by_actor',
        'audit_by_action',
        'audit_by_time',
        'audit_break_glass',
        'audit_batches_by_range',
        'audit_log_no_update',
        'audit_log_no_delete',
        'audit_log_append_only',
        'audit_batches_no_update',
        'audit_batches_no_delete',
        'audit_batches_contiguous',
        'audit_reviews_no_update',
        'audit_reviews_no_delete',
      ]),
    );
    db.close();
  });

  it('accepts only the next link and refuses changes and deletions through SQL', () => {
    const db = openDatabase(path.join(dir, 'db2.sqlite'));
    migrate(db, { migrationsDir: migrationsUpTo('all', 4) });
    const first = recordAudit(db, { actor: null, action: 'system.start', outcome: 'success' });
    const row = { at: 'x', workstation: 'w', action: 'a', outcome: 'success', hash: 'e'.repeat(64) };
    const insert = db.prepare('INSERT INTO audit_log (id, at, workstation, action, outcome, prev_hash, hash) VALUES (@id, @at, @workstation, @action, @outcome, @prev_hash, @hash)');
    expect(() => insert.run({ ...row, id: 5, prev_hash: first.hash })).toThrow(/append-only/);
    expect(() => insert.run({ ...row, id: 2, prev_hash: GENESIS_HASH })).toThrow(/append-only/);
    expect(() => insert.run({ ...row, id: 2, prev_hash: first.hash, outcome: 'maybe' })).toThrow(/CHECK/);
    expect(() => db.prepare(`UPDATE audit_log SET action = 'x' WHERE id = 1`).run()).toThrow(/entries cannot be changed/);
    expect(() => db.prepare('DELETE FROM audit_log WHERE id = 1').run()).toThrow(/entries cannot be deleted/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/entries cannot be deleted/);
    const batch = db.prepare(
      `INSERT INTO audit_batches (batch_id, first_id, last_id, leaf_count, merkle_root, previous_root, last_leaf_proof) VALUES (@b, @first, @last, @count, @root, @prev, '[]')`,
    );
    const hex = (c: string) => `0x${c.repeat(64)}`;
    expect(() => batch.run({ b: hex('1'), first: 2, last: 2, count: 1, root: hex('2'), prev: hex('0') })).toThrow(/must start after the last one/);
    expect(() => batch.run({ b: hex('1'), first: 1, last: 1, count: 1, root: hex('2'), prev: hex('3') })).toThrow(/must start after the last one/);
    expect(() => batch.run({ b: hex('1'), first: 1, last: 2, count: 2, root: hex('2'), prev: hex('0') })).toThrow(/cover existing entries/);
    batch.run({ b: hex('1'), first: 1, last: 1, count: 1, root: hex('2'), prev: hex('0') });
    expect(() => db.prepare('UPDATE audit_batches SET leaf_count = 1').run()).toThrow(/cannot be changed/);
    expect(() => db.prepare('DELETE FROM audit_batches').run()).toThrow(/cannot be deleted/);
    db.close();
  });
});
