// Migration 0002 alone, in the style of db/migrate.test.ts: seed a database at 0001, migrate to 0002, and check
// what it adds (tables, indexes, constraints) and that what was there survives.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { tempDir } from './test-support';
import { migrationsDirUpTo } from '../db/migration-test-support';

let dir: string;
beforeEach(() => {
  dir = tempDir('custodian-0002-');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const migrationsUpTo = (version: number): string => migrationsDirUpTo(dir, version);

const now = '2026-01-01T00:00:00.000Z';
function patient(db: Db, mrn: string, pseudonym: string): number {
  return Number(db.prepare(`INSERT INTO patients (facility, mrn, name, pseudonym, created_at) VALUES ('GH01', ?, 'Roe, Jane', ?, ?)`).run(mrn, pseudonym, now).lastInsertRowid);
}
function consent(db: Db, patientId: number, fields: Record<string, unknown> = {}) {
  const row = {
    external_id: null,
    grantee: '1234567893',
    grantee_kind: 'npi',
    decision: 'permit',
    purpose: 'TREAT',
    category: 'general',
    period_start: 100,
    period_end: null,
    status: 'active',
    document_hash: `0x${'0'.repeat(64)}`,
    source: 'test',
    seq: 1,
    ...fields,
  };
  return db
    .prepare(
      `INSERT INTO consents (external_id, patient_id, grantee, grantee_kind, decision, purpose, category, period_start, period_end, status, document_hash, source, seq, created_at, updated_at)
       VALUES (@external_id, @patient_id, @grantee, @grantee_kind, @decision, @purpose, @category, @period_start, @period_end, @status, @document_hash, @source, @seq, @now, @now)`,
    )
    .run({ ...row, patient_id: patientId, now });
}

describe('migration 0002_consents', () => {
  it('is the second migration', () => {
    expect(readMigrationFiles(defaultMigrationsDir()).find((m) => m.name === '0002_consents.sql')?.version).toBe(2);
  });

  it('applies on a database seeded at 0001, keeps its rows, and adds the consent tables and indexes', () => {
    const db = openDatabase(path.join(dir, 'seeded.sqlite'));
    migrate(db, { migrationsDir: migrationsUpTo(1) });
    expect(schemaVersion(db)).toBe(1);
    db.prepare(`INSERT INTO settings (key, value) VALUES ('seed', 'kept')`).run();
    db.prepare(`INSERT INTO outbox (kind, payload) VALUES ('consent.change', '{}')`).run();

    const report = migrate(db, { migrationsDir: migrationsUpTo(2), backupDir: path.join(dir, 'backups') });
    expect(report).toMatchObject({ fromVersion: 1, toVersion: 2, applied: ['0002_consents.sql'] });
    expect(report.backupPath).toBeTruthy();
    expect(db.prepare(`SELECT value FROM settings WHERE key = 'seed'`).get()).toEqual({ value: 'kept' });
    expect(db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 1 });

    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'patients',
        'patients_by_mrn',
        'patients_by_name',
        'consents',
        'consents_decide',
        'consents_external_current',
        'consents_by_grantee',
        'consents_not_active',
        'consent_history',
        'consent_history_by_consent',
        'import_runs',
        'import_duplicates',
      ]),
    );

    const p = patient(db, 'MRN1', `0x${'1'.repeat(64)}`);
    expect(() => patient(db, 'MRN1', `0x${'2'.repeat(64)}`)).toThrow(/UNIQUE/);
    expect(() => patient(db, 'MRN2', `0x${'1'.repeat(64)}`)).toThrow(/UNIQUE/);
    consent(db, p, { external_id: 'X-1' });
    // One current row per external id; superseded versions keep theirs.
    expect(() => consent(db, p, { external_id: 'X-1' })).toThrow(/UNIQUE/);
    db.prepare(`UPDATE consents SET status = 'superseded' WHERE external_id = 'X-1'`).run();
    expect(() => consent(db, p, { external_id: 'X-1' })).not.toThrow();
    expect(() => consent(db, p, { purpose: 'SHOPPING' })).toThrow(/CHECK/);
    expect(() => consent(db, p, { category: 'dental' })).toThrow(/CHECK/);
    expect(() => consent(db, p, { decision: 'maybe' })).toThrow(/CHECK/);
    expect(() => consent(db, p, { period_start: 200, period_end: 100 })).toThrow(/CHECK/);
    expect(() => consent(db, p, { seq: 0 })).toThrow(/CHECK/);
    expect(() => consent(db, 999)).toThrow(/FOREIGN KEY/);
    db.close();
  });
});
