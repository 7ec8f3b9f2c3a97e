// Migration patient_search_compact alone (seed at the version before it, migrate, assert). Patients in several
// facilities with names the trigram index must find by parts (accents, Greek, apostrophes, FTS syntax, a name whose
// trigrams also occur apart), searched before with the search as 0020-0030 ran it (one FTS5 phrase over an index with
// positions, an index on mrn alone) and after with today's (every trigram over an index without positions, each
// candidate checked for the text; the exact MRN walked facility by facility): the same patients for every text. The
// index is rebuilt smaller, kept in step by its triggers, and passes FTS5's own integrity check.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';
import { patientValues, PATIENT_STORED_COLUMNS } from './patient-columns';
import { matchPatientIds } from './search';
import { expectNameIndexFollowsWrites } from './search-fixture';
import { testData, type TestData } from './test-support';

const version = readMigrationFiles(defaultMigrationsDir()).find((m) => /_patient_search_compact\.sql$/.test(m.name))!.version;

/** The patient search before this migration (main/consents/search.ts as 0020-0030 ran it), to compare against. */
const SEARCH_BEFORE = `SELECT id FROM patients WHERE mrn = :q
  UNION SELECT id FROM (SELECT id FROM patients WHERE name >= :q AND name < :q || char(1114111) LIMIT :limit)
  UNION SELECT id FROM (SELECT rowid AS id FROM patients_fts WHERE :phrase IS NOT NULL AND patients_fts MATCH :phrase LIMIT :limit)
  LIMIT :limit`;
const searchBefore = (db: Db, text: string, limit: number): number[] => {
  const q = text.trim();
  const phrase = [...q].length < 3 ? null : `"${q.replace(/"/g, '""')}"`;
  return db.prepare(SEARCH_BEFORE).pluck().all({ q, phrase, limit }) as number[];
};

const PATIENTS: [facility: string, mrn: string, name: string | null][] = [
  ['GH01', 'MRN0001', 'Smith, Ada'],
  ['GH01', 'MRN0002', "O'Brien, Seán"],
  ['GH01', 'MRN0003', 'Åström, Zoë'],
  ['GH01', 'Q7', 'Quinn-Ó Briain, Saoirse'],
  ['GH02', 'Q7', 'ΟΔΥΣΣΕΥΣ, Νίκος'],
  ['GH02', 'MRN0001', 'smith, lower'],
  ['GH02', 'ABC-9', 'Bcdy, Quin'],
  ['GH02', 'TRI-1', 'Abcx, Xbcd'],
  ['GH03', 'TRI-3', 'Abcdef, Una'],
  ['GH03', 'FTS-1', 'Near, Nora'],
  ['GH03', 'FTS-2', 'Star*Quote"d, Orla'],
  ['GH03', 'ODD-1', null],
  ['ZZ', 'mrn0001', 'Straße, Ilse'],
];

/** Texts a person types: whole values, parts, other case, too short, FTS syntax, trigrams that occur only apart. */
function texts(): string[] {
  const out = new Set(['Q7', 'q7', 'MRN0001', 'mrn0001', 'RN00', 'smi', 'SMITH', 'ström', 'STRÖM', 'seán', 'ó bri', 'σσευς', 'οδυσσ',
    'abcd', 'BCDE', 'c-9', 'x, xbc', 'r*Q', 'e"d', 'NEAR', 'smith OR ada', '"', '*', 'aße, I', 'A', 'Ab', "O'B", '']);
  for (const [, mrn, name] of PATIENTS) {
    for (const v of [mrn, name ?? '']) {
      const chars = [...v];
      for (let start = 0; start < chars.length; start += 2) for (const len of [3, 5]) out.add(chars.slice(start, start + len).join(''));
    }
  }
  return [...out];
}

let t: TestData;
let old: Db;
beforeEach(() => {
  t = testData('custodian-patient-search-');
  old = openDatabase(path.join(t.dir, 'old', 'custodian.sqlite'));
  migrate(old, { migrationsDir: migrationsDirUpTo(t.dir, version - 1) });
});
afterEach(() => {
  if (old.open) old.close();
  t.cleanup();
});

function addPatients(db: Db): void {
  const insert = db.prepare(`INSERT INTO patients (facility, mrn, name, ${PATIENT_STORED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`);
  PATIENTS.forEach(([facility, mrn, name], i) => insert.run(facility, mrn, name, ...patientValues(`0x${(i + 16).toString(16).repeat(32)}`, '2026-01-01T00:00:00.000Z')));
}
const ftsBytes = (db: Db) => db.prepare(`SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'patients_fts%'`).pluck().get() as number;
const indexes = (db: Db) => db.prepare(`SELECT name FROM sqlite_master WHERE tbl_name LIKE 'patients%' AND type IN ('index', 'table', 'trigger') ORDER BY name`).pluck().all();

describe('migration patient_search_compact', () => {
  it('finds the same patients for every text, from an index rebuilt smaller and kept in step', () => {
    addPatients(old);
    // Enough rows that the index's pages say something about its size.
    const insert = old.prepare(`INSERT INTO patients (facility, mrn, name, ${PATIENT_STORED_COLUMNS}) VALUES ('BULK', ?, ?, ?, ?, ?)`);
    old.transaction(() => {
      for (let i = 0; i < 3000; i++) insert.run(`B${i}`, `Family${i % 97}, Given${i % 31} ${i}`, ...patientValues(`0x${i.toString(16).padStart(64, '0')}`, '2026-01-01T00:00:00.000Z'));
    })();
    expect(schemaVersion(old)).toBe(version - 1);
    const before = texts().map((q) => [q, searchBefore(old, q, 50)] as const);
    expect(before.filter(([, ids]) => ids.length > 0).length).toBeGreaterThan(40);
    const bytesBefore = ftsBytes(old);

    const report = migrate(old, { backupDir: path.join(t.dir, 'backups'), migrationsDir: migrationsDirUpTo(t.dir, version) });
    expect(report.applied).toEqual([expect.stringMatching(/_patient_search_compact\.sql$/)]);
    expect(fs.existsSync(report.backupPath!)).toBe(true);

    expect(before.map(([q]) => [q, matchPatientIds(old, q, 50)])).toEqual(before);
    // The trigrams of "abcd" occur apart in TRI-1 (one name) and ABC-9 (MRN and name): neither is a match.
    expect(matchPatientIds(old, 'abcd', 50)).toEqual([old.prepare(`SELECT id FROM patients WHERE mrn = 'TRI-3'`).pluck().get()]);
    expect(ftsBytes(old)).toBeLessThan(bytesBefore * 0.6);
    expect(indexes(old)).not.toContain('patients_by_mrn');
    expect(indexes(old)).not.toContain('patients_fts_docsize');
    expect(() => old.prepare(`INSERT INTO patients_fts (patients_fts, rank) VALUES ('integrity-check', 1)`).run()).not.toThrow();

    // The triggers made again keep the index in step: a patient added, renamed, removed.
    expectNameIndexFollowsWrites(old);
    expect(old.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);

    // The patients objects are the ones a new database gets.
    const objects = (db: Db) => db.prepare(`SELECT type, name, sql FROM sqlite_master WHERE tbl_name LIKE 'patients%' ORDER BY type, name`).all();
    migrate(old);
    expect(objects(old)).toEqual(objects(t.db));
  });

  it('a new database answers the same as a migrated one', () => {
    addPatients(old);
    migrate(old, { migrationsDir: migrationsDirUpTo(t.dir, version) });
    addPatients(t.db);
    // Same rows in the same order, so the same ids.
    for (const q of texts()) expect(matchPatientIds(t.db, q, 50), q).toEqual(matchPatientIds(old, q, 50));
  });
});
