// The staff-passwords migration alone: seeded at the version before it, migrated, existing accounts keep working
// (no forced change for passwords their owners chose) and the alerts table guards its kinds. Found by name.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../consents/test-support';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';

let dir: string;
beforeEach(() => {
  dir = tempDir('custodian-staff-mig-');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const passwords = readMigrationFiles(defaultMigrationsDir()).find((m) => m.name.endsWith('_staff_passwords.sql'))!;

describe('migration NNNN_staff_passwords', () => {
  it('keeps existing accounts usable without a forced change and adds the alerts table', () => {
    expect(passwords).toBeDefined();
    const db = openDatabase(path.join(dir, 'seeded.sqlite'));
    migrate(db, { migrationsDir: migrationsDirUpTo(dir, passwords.version - 1) });
    expect(schemaVersion(db)).toBe(passwords.version - 1);
    db.prepare(`INSERT INTO staff (id, username, display_name, role, password_hash) VALUES ('s1', 'cleo', 'Cleo', 'records_clerk', 'scrypt$x')`).run();

    const report = migrate(db, { migrationsDir: migrationsDirUpTo(dir, passwords.version, 'all'), backupDir: path.join(dir, 'backups') });
    expect(report.applied).toEqual([passwords.name]);
    expect(db.prepare('SELECT username, must_change_password FROM staff').all()).toEqual([{ username: 'cleo', must_change_password: 0 }]);
    const alert = db.prepare(`INSERT INTO staff_alerts (kind, actor_id, actor_name, target_staff_id, target_username, role) VALUES (?, 'a', 'A', 's1', 'cleo', 'records_clerk')`);
    alert.run('clinical-account-created');
    expect(() => alert.run('made-up-kind')).toThrow(/CHECK/);
    expect(() => db.prepare(`UPDATE staff SET must_change_password = 2`).run()).toThrow(/CHECK/);
    db.close();
  });
});
