import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import { openDatabase } from './connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from './migrate';

let dir: string;
let migrationsDir: string;

function writeMigration(name: string, sql: string) {
  fs.writeFileSync(path.join(migrationsDir, name), sql);
}
const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-migrate-'));
  migrationsDir = path.join(dir, 'migrations');
  fs.mkdirSync(migrationsDir);
  writeMigration('0001_people.sql', 'CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function expectAppError(fn: () => unknown, code: string): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(code);
    return err as AppError;
  }
  throw new Error(`expected ${code}`);
}

describe('migrate', () => {
  it('applies pending migrations in order, records checksums and is a no-op the second time', () => {
    writeMigration('0002_pets.sql', 'CREATE TABLE pets (id INTEGER PRIMARY KEY, owner INTEGER REFERENCES people(id));');
    const db = openDatabase(path.join(dir, 'a.sqlite'));
    const first = migrate(db, { migrationsDir });
    expect(first).toMatchObject({ fromVersion: 0, toVersion: 2, applied: ['0001_people.sql', '0002_pets.sql'], backupPath: null });
    expect(schemaVersion(db)).toBe(2);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    const rows = db.prepare('SELECT version, checksum FROM schema_migrations').all() as { version: number; checksum: string }[];
    expect(rows.map((r) => r.checksum)).toEqual(readMigrationFiles(migrationsDir).map((f) => f.checksum));
    expect(migrate(db, { migrationsDir }).applied).toEqual([]);
    db.close();
  });

  it('backs the database up before migrating one that already has a schema', () => {
    const file = path.join(dir, 'b.sqlite');
    let db = openDatabase(file);
    migrate(db, { migrationsDir, backupDir: path.join(dir, 'backups') });
    db.prepare('INSERT INTO people (name) VALUES (?)').run('Row kept in backup');
    db.close();
    writeMigration('0002_pets.sql', 'CREATE TABLE pets (id INTEGER PRIMARY KEY);');
    db = openDatabase(file);
    const report = migrate(db, { migrationsDir, backupDir: path.join(dir, 'backups') });
    db.close();
    expect(report.backupPath).toBeTruthy();
    const backup = openDatabase(report.backupPath!, { readonly: true });
    expect(schemaVersion(backup)).toBe(1);
    expect(backup.prepare('SELECT count(*) AS n FROM people').get()).toEqual({ n: 1 });
    backup.close();
  });

  it('stops with DB_MIGRATION_EDITED when an applied migration was edited, and leaves the database untouched', () => {
    const file = path.join(dir, 'c.sqlite');
    let db = openDatabase(file);
    migrate(db, { migrationsDir });
    db.prepare('INSERT INTO people (name) VALUES (?)').run('Ada');
    db.close();
    const before = sha(file);

    writeMigration('0001_people.sql', 'CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, dob TEXT);');
    writeMigration('0002_pets.sql', 'CREATE TABLE pets (id INTEGER PRIMARY KEY);');
    db = openDatabase(file);
    const err = expectAppError(() => migrate(db, { migrationsDir, backupDir: path.join(dir, 'backups') }), 'DB_MIGRATION_EDITED');
    expect(err.message).toMatch(/0001_people\.sql was edited after it was applied/);
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'pets'`).get()).toBeUndefined();
    db.close();
    expect(sha(file)).toBe(before);
    expect(fs.existsSync(path.join(dir, 'backups'))).toBe(false);
  });

  it('refuses a database from a newer app', () => {
    writeMigration('0002_pets.sql', 'CREATE TABLE pets (id INTEGER PRIMARY KEY);');
    const db = openDatabase(path.join(dir, 'd.sqlite'));
    migrate(db, { migrationsDir });
    fs.rmSync(path.join(migrationsDir, '0002_pets.sql'));
    const err = expectAppError(() => migrate(db, { migrationsDir }), 'DB_FROM_FUTURE');
    expect(err.details).toEqual({ databaseVersion: 2, appVersion: 1 });
    db.close();
  });

  it('rolls a failing migration back and names it', () => {
    writeMigration('0002_broken.sql', 'CREATE TABLE ok_table (id INTEGER); INSERT INTO no_such_table VALUES (1);');
    const db = openDatabase(path.join(dir, 'e.sqlite'));
    const err = expectAppError(() => migrate(db, { migrationsDir }), 'DB_MIGRATION_FAILED');
    expect(err.message).toMatch(/0002_broken\.sql failed and was rolled back/);
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'ok_table'`).get()).toBeUndefined();
    db.close();
  });

  it('rejects a gap in the numbering', () => {
    writeMigration('0003_skip.sql', 'SELECT 1;');
    expectAppError(() => readMigrationFiles(migrationsDir), 'DB_MIGRATION_FAILED');
  });
});

// Each real migration alone: seed at N-1, migrate to N, check that it applies and what it adds.
describe('the project migrations', () => {
  it('0001_init creates settings, jobs and outbox with their indexes', () => {
    const files = readMigrationFiles(defaultMigrationsDir());
    const only = path.join(migrationsDir, '..', 'only1');
    fs.mkdirSync(only);
    fs.writeFileSync(path.join(only, files[0]!.name), files[0]!.sql);
    const db = openDatabase(path.join(dir, 'f.sqlite'));
    migrate(db, { migrationsDir: only });
    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type IN ('table','index') ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['settings', 'jobs', 'outbox', 'jobs_by_state', 'outbox_by_state_kind']));
    expect(() => db.prepare(`INSERT INTO outbox (kind, payload, state) VALUES ('x', '{}', 'bogus')`).run()).toThrow(/CHECK/);
    db.close();
  });

  it('the full set applies to an empty database', () => {
    const db = openDatabase(path.join(dir, 'g.sqlite'));
    const report = migrate(db);
    expect(report.toVersion).toBe(readMigrationFiles(defaultMigrationsDir()).length);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });
});
