// The patient set of a FHIR export (accounting of disclosures): migration 0017 alone (seeded at the version before,
// migrated, existing rows kept), the compact set (dedup and growth), and that only a complete set counts.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';
import { ExportPatientSet, exportsOfPatient, recordExportPatients } from './export-patients';
import { tempDir } from './test-support';

const NAME = /_consent_export_patients\.sql$/;
let dir: string;
beforeEach(() => {
  dir = tempDir('custodian-export-patients-');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('migration consent_export_patients', () => {
  it('adds the export and patient-set tables to a database at the version before, keeping its patients', () => {
    const version = readMigrationFiles(defaultMigrationsDir()).find((m) => NAME.test(m.name))!.version;
    const db = openDatabase(path.join(dir, 'custodian.sqlite'));
    try {
      migrate(db, { migrationsDir: migrationsDirUpTo(dir, version - 1) });
      expect(schemaVersion(db)).toBe(version - 1);
      db.prepare(`INSERT INTO patients (id, facility, mrn, pseudonym, created_at) VALUES (7, 'GH01', 'MRN7', '0x07', '2026-01-01T00:00:00.000Z')`).run();
      migrate(db, { migrationsDir: migrationsDirUpTo(dir, version) });
      expect(schemaVersion(db)).toBe(version);
      expect(db.prepare('SELECT count(*) FROM patients').pluck().get()).toBe(1);
      recordExportPatients(db, 'exp-1', setOf([7]), new Date());
      expect(exportsOfPatient(db, 7)).toEqual(['exp-1']);
      expect(db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'consent_export_patients'`).pluck().get()).toMatch(/WITHOUT ROWID/);
    } finally {
      db.close();
    }
  });
});

function setOf(ids: number[]): ExportPatientSet {
  const s = new ExportPatientSet();
  for (const id of ids) s.add(id);
  return s;
}

describe('ExportPatientSet', () => {
  it('keeps each patient once, ascending, through growth past its first buffer', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 1201);
    expect([...setOf([...ids, ...ids]).distinct()]).toEqual([...new Set(ids)].sort((a, b) => a - b));
    expect([...setOf([]).distinct()]).toEqual([]);
    expect([...setOf([3, 3, 3, 1, 3]).distinct()]).toEqual([1, 3]);
  });
});

describe('recordExportPatients', () => {
  it('counts an export for a patient only once its set is complete, and only for the patients in it', () => {
    const db = openDatabase(path.join(dir, 'custodian.sqlite'));
    try {
      migrate(db);
      const n = recordExportPatients(db, 'big', setOf(Array.from({ length: 25_000 }, (_, i) => i + 1)), new Date());
      expect(n).toBe(25_000);
      expect(exportsOfPatient(db, 12_345)).toEqual(['big']);
      expect(exportsOfPatient(db, 25_001)).toEqual([]);
      // A set left half-recorded (a crash before it was marked written) is not in any accounting.
      db.prepare(`UPDATE consent_exports SET state = 'writing' WHERE export_id = 'big'`).run();
      expect(exportsOfPatient(db, 12_345)).toEqual([]);
    } finally {
      db.close();
    }
  });
});
