// Migration *_audit_heads alone (found by name): seed at the version before it, migrate, and check the heads table only grows
// (no update, no delete, no head over entries that do not exist or smaller than the last).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';
import { recordAudit } from './trail';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-heads-migration-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the project migrations: audit heads', () => {
  it('adds an append-only, growing audit_heads table on top of an existing trail', () => {
    const file = readMigrationFiles(defaultMigrationsDir()).find((f) => f.name.endsWith('_audit_heads.sql'))!;
    const db = openDatabase(path.join(dir, 'db.sqlite'));
    migrate(db, { migrationsDir: migrationsDirUpTo(dir, file.version - 1, 'before') });
    for (let i = 0; i < 3; i++) recordAudit(db, { actor: null, action: 'test.seed', outcome: 'success' });
    migrate(db, { migrationsDir: migrationsDirUpTo(dir, file.version, 'after'), backupDir: path.join(dir, 'backups') });
    const insert = db.prepare(`INSERT INTO audit_heads (tree_size, root_hash, timestamp, trail_id, signer, signature) VALUES (?, ?, 1, ?, ?, '0x')`);
    const h = `0x${'11'.repeat(32)}`;
    const signer = `0x${'22'.repeat(20)}`;
    expect(() => insert.run(4, h, h, signer)).toThrow(/no more than exist/);
    insert.run(2, h, h, signer);
    expect(() => insert.run(2, h, h, signer)).toThrow(/more entries than the last/);
    expect(() => insert.run(1, h, h, signer)).toThrow(/more entries than the last/);
    insert.run(3, h, h, signer);
    expect(() => db.prepare('UPDATE audit_heads SET root_hash = ?').run(`0x${'33'.repeat(32)}`)).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_heads').run()).toThrow(/append-only/);
    db.close();
  });
});
