// Migration 0006 alone, in the style of db/migrate.test.ts: seed a database at 0005, migrate to 0006, and check
// what it adds (tables, indexes, constraints) and that what was there survives.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { tempDir } from './test-support';
import { migrationsDirUpTo } from '../db/migration-test-support';

let dir: string;
beforeEach(() => {
  dir = tempDir('custodian-0006-');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const migrationsUpTo = (version: number): string => migrationsDirUpTo(dir, version);

describe('migration 0006_credentials', () => {
  it('is the sixth migration', () => {
    expect(readMigrationFiles(defaultMigrationsDir()).find((m) => m.name === '0006_credentials.sql')?.version).toBe(6);
  });

  it('applies on a database seeded at 0005 and keeps its rows', () => {
    const db = openDatabase(path.join(dir, 'seeded.sqlite'));
    migrate(db, { migrationsDir: migrationsUpTo(5) });
    expect(schemaVersion(db)).toBe(5);
    db.prepare(`INSERT INTO settings (key, value) VALUES ('seed', 'kept')`).run();
    db.prepare(`INSERT INTO outbox (kind, payload) VALUES ('consent.change', '{}')`).run();

    const report = migrate(db, { migrationsDir: migrationsUpTo(6), backupDir: path.join(dir, 'backups') });
    expect(report).toMatchObject({ fromVersion: 5, toVersion: 6, applied: ['0006_credentials.sql'] });
    expect(db.prepare(`SELECT value FROM settings WHERE key = 'seed'`).get()).toEqual({ value: 'kept' });
    expect(db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 1 });

    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'providers',
        'providers_by_name',
        'credentials',
        'credentials_by_provider',
        'credentials_by_expiry',
        'credentials_by_verdict',
        'credentials_by_checked',
        'credential_checks',
        'credential_checks_by_credential',
        'credential_status_changes',
        'credential_status_changes_by_credential',
        'roster_import_runs',
      ]),
    );

    const now = '2026-01-01T00:00:00.000Z';
    const provider = Number(db.prepare(`INSERT INTO providers (npi, name, source, created_at, updated_at) VALUES ('1234567893', 'Ada', 't', ?, ?)`).run(now, now).lastInsertRowid);
    expect(() => db.prepare(`INSERT INTO providers (npi, name, source, created_at, updated_at) VALUES ('1234567893', 'Twice', 't', ?, ?)`).run(now, now)).toThrow(/UNIQUE/);
    expect(() => db.prepare(`INSERT INTO providers (npi, name, source, created_at, updated_at) VALUES ('123', 'Short', 't', ?, ?)`).run(now, now)).toThrow(/CHECK/);

    const insert = db.prepare(
      `INSERT INTO credentials (provider_id, type, jurisdiction, number, valid_from, valid_until, issuer, chain_id, registry, credential_hash, signature, verdict, source, created_at)
       VALUES (@provider, @type, 'US-CA', 'A1', @from, @until, @addr, 31337, @addr, @hash, @sig, @verdict, 't', @now)`,
    );
    const row = { provider, type: 'license', from: '2024-01-01', until: '2026-12-31', addr: `0x${'1'.repeat(40)}`, hash: `0x${'a'.repeat(64)}`, sig: `0x${'b'.repeat(130)}`, verdict: null, now };
    insert.run(row);
    expect(() => insert.run({ ...row })).toThrow(/UNIQUE/);
    const bad = (patch: Partial<typeof row>) => () => insert.run({ ...row, hash: `0x${'c'.repeat(64)}`, ...patch });
    expect(bad({ type: 'diploma' })).toThrow(/CHECK/);
    expect(bad({ verdict: 'fine' as never })).toThrow(/CHECK/);
    expect(bad({ until: '31/12/2026' })).toThrow(/CHECK/);
    expect(bad({ from: '2027-01-01' })).toThrow(/CHECK/);
    expect(bad({ provider: 999 })).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('answers the consent gate lookup and the expiring list from indexes', () => {
    const db = openDatabase(path.join(dir, 'plans.sqlite'));
    migrate(db, { migrationsDir: migrationsUpTo(6) });
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(plan(`SELECT * FROM credentials WHERE provider_id = 1 ORDER BY valid_until DESC`)).toMatch(/credentials_by_provider/);
    expect(plan(`SELECT id FROM credentials WHERE valid_until >= '2026-01-01' AND valid_until <= '2026-02-01' ORDER BY valid_until, id`)).toMatch(/credentials_by_expiry/);
    expect(plan(`SELECT id FROM credentials WHERE checked_at IS NULL OR checked_at < '2026-01-01'`)).toMatch(/credentials_by_checked/);
    expect(plan(`SELECT id FROM providers WHERE name LIKE 'smi%' ORDER BY name, id`)).toMatch(/providers_by_name/);
    db.close();
  });
});
