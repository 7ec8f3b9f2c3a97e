// Migration compact_patients alone (seed at the version before it, migrate, assert). The rows are real: written by
// the import pipeline (CSV bulk store, FHIR) and the staff writer (grant, revoke), then laid out as the schema before
// stored them (pseudonym and created_at as text), plus odd values written by hand (times in other forms, names that
// need the FTS trigram index). After the migration every patient reads back its old columns to the byte, the name
// search finds the same patients, consents join to them, and outbox payloads rebuilt from pseudonyms are unchanged.
// Then: what a data-folder holder may write by hand is refused by a named constraint, and lookups by pseudonym walk
// the unique index.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { layOutRowsAsBefore, migrationsDirUpTo } from '../db/migration-test-support';
import { csvText, importFile, line, writeFile } from '../imports/test-support';
import type { ChainConsentChange } from './chain-reader';
import { SqlConsentSink } from './consent-sink';
import { PATIENT_BY_PSEUDONYM, patientValues, PATIENT_STORED_COLUMNS, pseudonymBytes } from './patient-columns';
import { matchPatientIds } from './search';
import { expectNameIndexFollowsWrites } from './search-fixture';
import { draft, fhirConsent, NPI, recipient, testData, type TestData } from './test-support';
import { ConsentWrites } from './writes';

const version = readMigrationFiles(defaultMigrationsDir()).find((m) => /_compact_patients\.sql$/.test(m.name))!.version;

let t: TestData;
let old: Db;
beforeEach(() => {
  t = testData('custodian-compact-patients-');
  old = openDatabase(path.join(t.dir, 'old', 'custodian.sqlite'));
  migrate(old, { migrationsDir: migrationsDirUpTo(t.dir, version - 1) });
});
afterEach(() => {
  if (old.open) old.close();
  t.cleanup();
});

const OLD_COLUMNS = ['id', 'facility', 'mrn', 'name', 'birth_date', 'pseudonym', 'created_at'] as const;
/** Every patient's old columns as stored bytes (a text compared as a blob, so equal JS strings are not enough). */
function patientBytes(db: Db): unknown[] {
  return db.prepare(`SELECT id, ${OLD_COLUMNS.slice(1).map((c) => `typeof(${c}) AS ${c}_type, CAST(${c} AS BLOB) AS ${c}`).join(', ')} FROM patients ORDER BY id`).all();
}

async function realRows(): Promise<void> {
  await importFile(
    t,
    writeFile(t, 'a.csv', csvText([line(), line({ external_id: 'C-2', grantee: NPI.b, decision: 'deny' }), line({ external_id: 'C-3', mrn: 'MRN0002', patient_name: 'Vandermeer, Ilse', purpose: 'HPAYMT' })])),
  );
  const fhir = fhirConsent({}, { actor: [recipient({ system: 'http://hl7.org/fhir/sid/us-npi', value: NPI.c })] });
  expect((await importFile(t, writeFile(t, 'c.ndjson', `${JSON.stringify(fhir)}\n`), { format: 'fhir' })).accepted).toBeGreaterThan(0);
  const writes = new ConsentWrites(t.db, t.store);
  writes.grant(draft({ externalId: 'S-1', mrn: 'MRN0009', patientName: 'Åström, Zoë' }), 'clerk-1');
  writes.revoke((t.db.prepare(`SELECT id FROM consents WHERE external_id = 'C-3'`).get() as { id: number }).id, 'patient withdrew', 'mgr-1');
}

const layOutAsBefore = () => layOutRowsAsBefore(old, t.dbPath);

/** Patients written by hand in the old layout: creation times in every form the old column took, odd names. */
const ODD: [mrn: string, name: string | null, createdAt: string][] = [
  ['ODD-1', null, '2026-01-01'],
  ['ODD-2', 'Dermeer, Odd', '2026-01-01T00:00:00Z'],
  ['ODD-3', 'Quinn-Ó Briain, Saoirse', ''],
  ['ODD-4', 'smith, lower', '9999-12-31T23:59:59.999Z'],
  ['ODD-5', 'SMITH, UPPER', '1970-01-01T00:00:00.000Z'],
  ['ODD-6', 'Feb, Thirty', '2025-02-30T00:00:00.000Z'],
  ['ODD-7', 'Before, Epoch', '1969-12-31T23:59:59.000Z'],
  ['ODD-8', '  spaced  ', '2025-06-01T12:00:00.000+01:00'],
];
function addOddPatients(db: Db): void {
  const insert = db.prepare(`INSERT INTO patients (facility, mrn, name, birth_date, pseudonym, created_at) VALUES ('GH02', ?, ?, NULL, ?, ?)`);
  ODD.forEach(([mrn, name, at], i) => insert.run(mrn, name, `0x${(i === 0 ? '00' : i === 1 ? 'ff' : (i * 17).toString(16).padStart(2, '0')).repeat(32)}`, at));
}

const joined = (db: Db) => db.prepare('SELECT c.id, c.patient_id, p.pseudonym, p.mrn FROM consents c JOIN patients p ON p.id = c.patient_id ORDER BY c.id').all();
const payloads = (db: Db) => db.prepare(`SELECT id, payload FROM outbox_events ORDER BY id`).all();
const schemaOf = (db: Db) => db.prepare(`SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex_%' ORDER BY type, name`).all();

describe('migration compact_patients', () => {
  it('keeps every patient to the byte, the name search, the consents that join them and the payloads rebuilt from them', async () => {
    await realRows();
    layOutAsBefore();
    addOddPatients(old);
    expect(schemaVersion(old)).toBe(version - 1);
    const before = patientBytes(old);
    expect(before.length).toBe(4 + ODD.length);
    const joinedBefore = joined(old);
    expect(joinedBefore.length).toBeGreaterThanOrEqual(4);
    const payloadsBefore = payloads(old);
    expect(payloadsBefore.some((p) => (p as { payload: string }).payload.includes('patientPseudonym'))).toBe(true);
    const searches = ['dermee', 'Roe, J', 'ström', 'SMITH', 'ó bri', 'ODD-', 'MRN000'].map((q) => matchPatientIds(old, q, 50));
    expect(searches.every((ids) => ids.length > 0)).toBe(true);
    const schemaBefore = schemaOf(old);

    // This migration alone: 0031 makes the name index and the MRN index over (checked at the end, and in its own test).
    const report = migrate(old, { backupDir: path.join(t.dir, 'backups'), migrationsDir: migrationsDirUpTo(t.dir, version) });
    expect(report.applied).toHaveLength(1);
    expect(report.applied[0]).toMatch(/_compact_patients\.sql$/);
    expect(fs.existsSync(report.backupPath!)).toBe(true);

    expect(patientBytes(old)).toEqual(before);
    expect(old.prepare('SELECT count(*) FROM patients WHERE created_ms IS NOT NULL').pluck().get()).toBe(4 + 2); // the real rows, ODD-4 and ODD-5
    expect(old.prepare(`SELECT count(*) FROM patients WHERE typeof(pseudonym_bin) = 'blob' AND length(pseudonym_bin) = 32`).pluck().get()).toBe(before.length);
    expect(joined(old)).toEqual(joinedBefore);
    expect(payloads(old)).toEqual(payloadsBefore);
    expect(['dermee', 'Roe, J', 'ström', 'SMITH', 'ó bri', 'ODD-', 'MRN000'].map((q) => matchPatientIds(old, q, 50))).toEqual(searches);
    // FTS5's own check of the index against its content table (throws when out of step), then a patient added
    // and renamed after the migration is found by the recreated triggers.
    expect(() => old.prepare(`INSERT INTO patients_fts (patients_fts, rank) VALUES ('integrity-check', 1)`).run()).not.toThrow();
    expectNameIndexFollowsWrites(old);

    // The same objects under the same names (indexes, FTS triggers, the pseudonym trigger, the view); keys clean.
    expect(schemaOf(old)).toEqual(schemaBefore);
    expect(old.pragma('foreign_key_check')).toEqual([]);
    expect(old.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    // Migrated on to the latest schema, the table is the one new databases get.
    migrate(old);
    const fresh = (db: Db) => db.prepare(`SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'patients' ORDER BY type, name`).all();
    expect(fresh(old)).toEqual(fresh(t.db));
  });

  it.each([
    ['too short', `0x${'ab'.repeat(31)}`],
    ['uppercase hex', `0x${'AB'.repeat(32)}`],
    ['no 0x', `${'ab'.repeat(33)}`],
    ['not hex', `0x${'zz'.repeat(32)}`],
    ['too long', `0x${'ab'.repeat(33)}`],
  ])('stops by name, changing nothing, on a pseudonym it cannot store as 32 bytes unchanged (%s)', (_what, pseudonym) => {
    addOddPatients(old);
    old.prepare(`INSERT INTO patients (facility, mrn, pseudonym, created_at) VALUES ('GH01', 'BAD', ?, 'x')`).run(pseudonym);
    const before = patientBytes(old);
    expect(() => migrate(old, { backupDir: path.join(t.dir, 'backups') })).toThrow(/PATIENT_PSEUDONYM_NOT_CANONICAL/);
    expect(schemaVersion(old)).toBe(version - 1);
    expect(patientBytes(old)).toEqual(before);
  });
});

describe('the compact patients table against a hand edit of the data folder', () => {
  const insert = (values: Record<string, unknown>) =>
    t.db.prepare(`INSERT INTO patients (facility, mrn, ${Object.keys(values).join(', ')}) VALUES ('GH01', 'HAND', ${Object.keys(values).map((k) => `@${k}`).join(', ')})`).run(values);
  const ok = { created_ms: 0, created_text: null };

  it('refuses a pseudonym of 31 or 33 bytes, as text, missing or twice, by name', () => {
    expect(() => insert({ pseudonym_bin: Buffer.alloc(31, 1), ...ok })).toThrow(/patients_pseudonym_32_bytes/);
    expect(() => insert({ pseudonym_bin: Buffer.alloc(33, 1), ...ok })).toThrow(/patients_pseudonym_32_bytes/);
    expect(() => insert({ pseudonym_bin: 'ab'.repeat(16), ...ok })).toThrow(/cannot store TEXT value in BLOB column patients\.pseudonym_bin/);
    expect(() => insert({ pseudonym_bin: null, ...ok })).toThrow(/NOT NULL constraint failed: patients\.pseudonym_bin/);
    insert({ pseudonym_bin: Buffer.alloc(32, 1), ...ok });
    expect(() => t.db.prepare(`INSERT INTO patients (facility, mrn, pseudonym_bin, created_ms) VALUES ('GH01', 'HAND-2', ?, 0)`).run(Buffer.alloc(32, 1))).toThrow(
      /UNIQUE constraint failed: patients\.pseudonym_bin/,
    );
    expect(t.db.prepare(`SELECT pseudonym, created_at FROM patients WHERE mrn = 'HAND'`).get()).toEqual({ pseudonym: `0x${'01'.repeat(32)}`, created_at: '1970-01-01T00:00:00.000Z' });
  });

  it('refuses a creation time in two forms, in none, or out of range, by name', () => {
    const bin = Buffer.alloc(32, 2);
    expect(() => insert({ pseudonym_bin: bin, created_ms: 0, created_text: '1970-01-01T00:00:00.000Z' })).toThrow(/patients_created_one_form/);
    expect(() => insert({ pseudonym_bin: bin, created_ms: null, created_text: null })).toThrow(/patients_created_one_form/);
    expect(() => insert({ pseudonym_bin: bin, created_ms: -1, created_text: null })).toThrow(/patients_created_one_form/);
    expect(() => insert({ pseudonym_bin: bin, created_ms: 253402300800000, created_text: null })).toThrow(/patients_created_one_form/);
    expect(() => t.db.prepare(`INSERT INTO patients (facility, mrn, pseudonym_bin, created_ms, pseudonym) VALUES ('GH01', 'HAND', ?, 0, 'x')`).run(bin)).toThrow(/generated column/);
  });

  it('never changes a pseudonym (outbox events are rebuilt from it)', () => {
    t.db.prepare(`INSERT INTO patients (facility, mrn, ${PATIENT_STORED_COLUMNS}) VALUES ('GH01', 'M', ?, ?, ?)`).run(...patientValues(`0x${'03'.repeat(32)}`, 'x'));
    expect(() => t.db.prepare(`UPDATE patients SET pseudonym_bin = zeroblob(32) WHERE mrn = 'M'`).run()).toThrow(/OUTBOX_SOURCE_IMMUTABLE/);
    expect(() => t.db.prepare(`UPDATE patients SET pseudonym = 'x' WHERE mrn = 'M'`).run()).toThrow(/generated column/);
  });
});

describe('lookups by pseudonym', () => {
  const plan = (sql: string) =>
    (t.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(sql.match(/\?/g) ?? []).map(() => null)) as { detail: string }[]).map((r) => r.detail).join('\n');

  it('walk the unique index on the 32 bytes: every query the chain sink runs against patients', () => {
    const unique = t.db
      .prepare(`SELECT l.name FROM pragma_index_list('patients') l WHERE l."unique" = 1 AND (SELECT group_concat(i.name) FROM pragma_index_info(l.name) i) = 'pseudonym_bin'`)
      .pluck()
      .get() as string;
    expect(unique).toMatch(/^sqlite_autoindex_patients_/);
    // The SQL the sink prepares, recorded while it looks up a patient it does not know and applies kept changes.
    const seen: string[] = [];
    const prepare = t.db.prepare.bind(t.db);
    t.db.prepare = ((sql: string) => (seen.push(sql), prepare(sql))) as typeof t.db.prepare;
    const sink = new SqlConsentSink(t.db);
    expect(sink.apply({ patientPseudonym: `0x${'77'.repeat(32)}` } as ChainConsentChange, true)).toBe('unknown-patient');
    expect(sink.applyPending()).toBe(0);
    t.db.prepare = prepare;
    const onPatients = seen.filter((sql) => /\bFROM patients\b/.test(sql));
    expect(onPatients.length).toBe(2);
    for (const sql of onPatients) {
      expect(plan(sql)).toMatch(new RegExp(`SEARCH (patients|p) (EXISTS )?USING (COVERING )?INDEX ${unique} \\(pseudonym_bin=\\?\\)`));
      expect(plan(sql)).not.toMatch(/SCAN (patients|p)\b/);
    }
    expect(onPatients).toContain(PATIENT_BY_PSEUDONYM);
  });

  it('find a patient written by the store by its text, and nobody for the same bytes in another form', () => {
    const writes = new ConsentWrites(t.db, t.store);
    writes.grant(draft({ mrn: 'MRN0042' }), 'clerk-1');
    const { id, pseudonym } = t.db.prepare(`SELECT id, pseudonym FROM patients WHERE mrn = 'MRN0042'`).get() as { id: number; pseudonym: string };
    expect(pseudonym).toBe(t.pseudonymizer.pseudonym('GH01', 'MRN0042'));
    expect(t.db.prepare(PATIENT_BY_PSEUDONYM).pluck().get(pseudonymBytes(pseudonym))).toBe(id);
    expect(pseudonymBytes(pseudonym.toUpperCase().replace('0X', '0x'))).toBeNull();
    expect(pseudonymBytes(pseudonym.slice(2))).toBeNull();
    expect(pseudonymBytes(`${pseudonym}00`)).toBeNull();
    expect(() => patientValues(pseudonym.slice(0, 64), 'x')).toThrow(/PATIENT_PSEUDONYM_NOT_CANONICAL/);
  });
});
