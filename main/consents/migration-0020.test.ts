// Migration 0020 alone: seeded at 0019 with patients on file, migrated to 0020: the name index is built for the
// patients already there (and kept in step after), and the bulk revoke tables refuse malformed rows.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';
import { matchPatientIds } from './search';
import { tempDir } from './test-support';

const NAME = '0020_bulk_undo_and_name_index.sql';
let dir: string;
beforeEach(() => {
  dir = tempDir('custodian-0020-');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe(`migration ${NAME}`, () => {
  it('is migration 20', () => {
    expect(readMigrationFiles(defaultMigrationsDir()).find((m) => m.name === NAME)?.version).toBe(20);
  });

  it('indexes the patients already on file, and adds the bulk revoke tables', () => {
    const db = openDatabase(path.join(dir, 'seeded.sqlite'));
    migrate(db, { migrationsDir: migrationsDirUpTo(dir, 19) });
    expect(schemaVersion(db)).toBe(19);
    const add = db.prepare(`INSERT INTO patients (facility, mrn, name, pseudonym, created_at) VALUES ('GH01', ?, ?, ?, '2026-01-01')`);
    const before = Number(add.run('OLD-1', 'Vandermeer, Ilse', 'p-old-1').lastInsertRowid);
    add.run('OLD-2', null, 'p-old-2');

    const report = migrate(db, { migrationsDir: migrationsDirUpTo(dir, 20), backupDir: path.join(dir, 'backups') });
    expect(report).toMatchObject({ fromVersion: 19, toVersion: 20, applied: [NAME] });
    expect(matchPatientIds(db, 'dermee', 10)).toEqual([before]);
    expect(matchPatientIds(db, 'LD-2', 10)).toHaveLength(1);
    const after = Number(add.run('NEW-1', 'Okonkwo, Ada', 'p-new-1').lastInsertRowid);
    expect(matchPatientIds(db, 'konkw', 10)).toEqual([after]);

    db.prepare(`INSERT INTO bulk_revokes (id, actor_id, reason, outbox_from, outbox_to, created_at, undo_until) VALUES (?, 'mgr-1', 'r', 1, 0, '2026-01-01', NULL)`).run(
      '00000000-0000-4000-8000-000000000000',
    );
    expect(() => db.prepare(`INSERT INTO bulk_revokes (id, actor_id, reason, outbox_from, outbox_to, created_at) VALUES ('short', 'a', 'r', 1, 0, 'x')`).run()).toThrow(/CHECK/);
    expect(() => db.prepare(`UPDATE bulk_revokes SET undone_at = 'x'`).run()).toThrow(/CHECK/);
    // A consent that is not on file, and a prior state other than active, are refused.
    expect(() => db.prepare(`INSERT INTO bulk_revoke_consents VALUES ('00000000-0000-4000-8000-000000000000', 999, 'active', 1, '0000000000000001')`).run()).toThrow(/FOREIGN KEY/);
    db.close();
  });
});
