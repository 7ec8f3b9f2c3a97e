// Migration 0028 alone (seed at the version before it, migrate, assert): a consent's category, status, purpose, decision and
// grantee_kind stored as small integer codes, the old columns rebuilt as generated columns. The rows are real (CSV
// and FHIR imports, a re-import that supersedes, a staff grant and revoke) plus a row for every text of every
// vocabulary. Every row's columns must read back byte-identical, every key decide the same, every outbox payload be
// the same text, and every index, view and trigger that named the old columns be there again (the key and
// rare-purpose indexes on the codes, walked the same way). A text outside its list
// (only a writer that switched the CHECKs off could store one) stops the migration by name; after it, a code written
// by hand outside its list is refused by name.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decide } from '../access/answers';
import { CATEGORIES, CONSENT_STATUSES, DECISIONS, GRANTEE_KINDS, PURPOSES, type CategoryCode, type PurposeCode } from '../api/consents';
import { openDatabase, type Db } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { migrationsDirUpTo, storedBeforeImpliedUpdate } from '../db/migration-test-support';
import { csvText, importFile, line, writeFile } from '../imports/test-support';
import { CATEGORY_CODE, DECISION_CODE, GRANTEE_KIND_CODE, PURPOSE_CODE, STATUS_CODE } from './compact-columns';
import { patientValues, PATIENT_STORED_COLUMNS } from './patient-columns';
import { consentDetail } from './queries';
import { draft, fhirConsent, NPI, recipient, testData, type TestData } from './test-support';
import { ConsentWrites } from './writes';

const FILE = '0028_consent_enum_codes.sql';
const version = readMigrationFiles(defaultMigrationsDir()).find((m) => m.name === FILE)!.version;

/** Each old column, its code column, its list (the order of the codes) and the TS map the writers use. */
const VOCABULARIES = [
  { column: 'category', code: 'category_code', list: CATEGORIES, codes: CATEGORY_CODE },
  { column: 'status', code: 'status_code', list: CONSENT_STATUSES, codes: STATUS_CODE },
  { column: 'purpose', code: 'purpose_code', list: PURPOSES, codes: PURPOSE_CODE },
  { column: 'decision', code: 'decision_code', list: DECISIONS, codes: DECISION_CODE },
  { column: 'grantee_kind', code: 'grantee_kind_code', list: GRANTEE_KINDS, codes: GRANTEE_KIND_CODE },
] as const;
const CODE_COLUMNS = new Set<string>(VOCABULARIES.map((v) => v.code));

let t: TestData;
let old: Db;
beforeEach(() => {
  t = testData('custodian-0028-');
  old = openDatabase(path.join(t.dir, 'old', 'custodian.sqlite'));
  migrate(old, { migrationsDir: migrationsDirUpTo(t.dir, version - 1) });
});
afterEach(() => {
  if (old.open) old.close();
  t.cleanup();
});

/** Copies today's rows into the layout before 0028 (the five vocabularies stored as text). */
function layOutAsSchema26(): void {
  old.exec(`ATTACH DATABASE '${t.dbPath.replaceAll("'", "''")}' AS src`);
  for (const table of ['import_runs', 'patients', 'consents', 'consent_history', 'outbox', 'outbox_refs', 'outbox_ref_hashes']) {
    const srcCols = new Set((old.pragma(`src.table_xinfo(${table})`) as { name: string }[]).map((c) => c.name));
    const cols = (old.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name).filter((c) => srcCols.has(c)).join(', ');
    old.exec(`INSERT OR IGNORE INTO ${table} (${cols}) SELECT ${cols.split(', ').map((c) => storedBeforeImpliedUpdate(table, c)).join(', ')} FROM src.${table}`);
  }
  old.exec('DETACH DATABASE src');
}

/** Rows written before 0028 by hand: every text of every vocabulary at least once (patient 900). */
function addEveryText(db: Db): void {
  db.prepare(`INSERT OR IGNORE INTO patients (id, facility, mrn, pseudonym, created_at) VALUES (900, 'GH01', 'EVERY', printf('0x%064x', 900), 'x')`).run();
  const insert = db.prepare(
    `INSERT INTO consents (patient_id, grantee, grantee_kind, decision, purpose, category, period_start, status, document_hash_bin, source, seq, created_ms, updated_ms, hlc_int)
     VALUES (900, ?, ?, ?, ?, ?, 0, ?, zeroblob(32), 'form', 1, 0, 0, 0)`,
  );
  const rows = Math.max(...VOCABULARIES.map((v) => v.list.length));
  for (let i = 0; i < rows; i++) {
    insert.run(`every-${i}`, GRANTEE_KINDS[i % 2], DECISIONS[(i + 1) % 2], PURPOSES[i % PURPOSES.length], CATEGORIES[i % CATEGORIES.length], CONSENT_STATUSES[i % CONSENT_STATUSES.length]);
  }
}

async function realRows(): Promise<void> {
  await importFile(
    t,
    writeFile(
      t,
      'a.csv',
      csvText([
        line(),
        line({ external_id: 'C-2', grantee: NPI.b, decision: 'deny', category: 'mental-health' }),
        line({ external_id: 'C-3', mrn: 'MRN0002', purpose: 'HPAYMT', category: 'HIV' }),
        line({ external_id: 'C-4', grantee: 'ACME-HEALTH', grantee_kind: 'org', purpose: 'HRESCH', category: 'genetic' }),
        line({ external_id: 'C-5', purpose: 'PUBHLTH', category: 'substance-use', decision: 'deny' }),
      ]),
    ),
  );
  await importFile(t, writeFile(t, 'b.csv', csvText([line({ external_id: 'C-2', grantee: NPI.b, decision: 'permit', category: 'mental-health' })])));
  const fhir = fhirConsent({}, { actor: [recipient({ system: 'http://hl7.org/fhir/sid/us-npi', value: NPI.c })] });
  expect((await importFile(t, writeFile(t, 'c.ndjson', `${JSON.stringify(fhir)}\n`), { format: 'fhir' })).accepted).toBeGreaterThan(0);
  const writes = new ConsentWrites(t.db, t.store);
  writes.grant(draft({ externalId: 'S-1', mrn: 'MRN0009', purpose: 'HMARKT', category: 'reproductive', decision: 'deny' }), 'clerk-1');
  writes.revoke((t.db.prepare(`SELECT id FROM consents WHERE external_id = 'C-3'`).get() as { id: number }).id, 'patient withdrew', 'mgr-1');
}

const AT = Date.parse('2025-06-01T12:00:00Z');
function everyAnswer(db: Db): unknown[] {
  const keys = db.prepare('SELECT DISTINCT patient_id AS patientId, grantee, purpose, category FROM consents WHERE patient_id <> 900 ORDER BY 1, 2, 3, 4').all() as {
    patientId: number;
    grantee: string;
    purpose: PurposeCode;
    category: CategoryCode;
  }[];
  return keys.map((k) => ({ k, answer: decide(db, { ...k, at: AT }) }));
}
const everyDetail = (db: Db) => (db.prepare('SELECT id FROM consents WHERE patient_id <> 900 ORDER BY id').pluck().all() as number[]).map((id) => consentDetail(db, id, AT / 1000));
/**
 * The columns to read back: every one of the old layout but the codes, and but updated_ms/updated_text, which 0030
 * (after this one: the test migrates to today's schema) stores as nothing where the update time is the creation
 * time; updated_at, compared, reads the same text.
 */
const LATER_FORMS = new Set(['updated_ms', 'updated_text']);
const OLD_COLUMNS = (db: Db) => (db.pragma('table_xinfo(consents)') as { name: string }[]).map((c) => c.name).filter((n) => !CODE_COLUMNS.has(n) && !LATER_FORMS.has(n));
const everyRow = (db: Db, cols: string[]) => db.prepare(`SELECT ${cols.join(', ')} FROM consents ORDER BY id`).all();
const payloads = (db: Db) => db.prepare('SELECT id, payload FROM outbox_events ORDER BY id').all();
/** The SQL of the schema objects 0028 drops and makes again as they were (the others, on the codes: compared apart). */
const REMADE = ['consents_external_current', 'outbox_ref_payloads', 'outbox_events'];
const remadeSql = (db: Db) => db.prepare(`SELECT name, sql FROM sqlite_schema WHERE name IN (${REMADE.map(() => '?').join(', ')}) ORDER BY name`).all(...REMADE);
/**
 * Queries that walk the rebuilt indexes (as access/, queries.ts and store.ts ask them): before 0028 on the texts,
 * after it on the codes where the index holds them. The plans must be the same walks (the code columns named).
 */
const PLANNED: [before: string, after: string][] = [
  [
    `SELECT * FROM consents WHERE patient_id = 1 AND grantee = 'x' AND purpose = 'TREAT' AND category = 'general' AND period_start <= 5`,
    `SELECT * FROM consents WHERE patient_id = 1 AND grantee = 'x' AND purpose_code = 0 AND category_code = 0 AND period_start <= 5`,
  ],
  [`SELECT * FROM consents WHERE external_id = 'C-1' AND status <> 'superseded'`, `SELECT * FROM consents WHERE external_id = 'C-1' AND status <> 'superseded'`],
  [
    `SELECT id FROM consents WHERE status = 'revoked' AND status <> 'active' AND id < 100 ORDER BY id DESC LIMIT 50`,
    `SELECT id FROM consents WHERE status_code = 1 AND status_code <> 0 AND id < 100 ORDER BY id DESC LIMIT 50`,
  ],
  [
    `SELECT id FROM consents WHERE purpose = 'ETREAT' AND purpose <> 'TREAT' AND id < 100 ORDER BY id DESC LIMIT 50`,
    `SELECT id FROM consents WHERE purpose_code = 1 AND purpose_code <> 0 AND id < 100 ORDER BY id DESC LIMIT 50`,
  ],
  [`SELECT id FROM consents WHERE patient_id = 1 ORDER BY id DESC LIMIT 50`, `SELECT id FROM consents WHERE patient_id = 1 ORDER BY id DESC LIMIT 50`],
];
const plans = (db: Db, which: 0 | 1) => PLANNED.map((q) => (db.prepare(`EXPLAIN QUERY PLAN ${q[which]}`).all() as { detail: string }[]).map((r) => r.detail).join('\n'));

describe('migration 0028 consent enum codes', () => {
  it('reads every old column back byte-identical, decides and sends the same, and stores each text as its code', async () => {
    await realRows();
    layOutAsSchema26();
    addEveryText(old);
    expect(schemaVersion(old)).toBe(version - 1);
    const cols = OLD_COLUMNS(old);
    expect(cols).toEqual(expect.arrayContaining(VOCABULARIES.map((v) => v.column)));
    const before = everyRow(old, cols);
    const texts = old.prepare(`SELECT ${VOCABULARIES.map((v) => `CAST(${v.column} AS BLOB) AS ${v.column}`).join(', ')} FROM consents ORDER BY id`).all();
    // Today's readers read the codes (0028's indexes): the answers and details before are the source database's,
    // which holds the same rows (all but patient 900's) written natively.
    const answers = everyAnswer(t.db);
    const details = everyDetail(t.db);
    const sent = payloads(old);
    const sql = remadeSql(old);
    const planned = plans(old, 0);
    expect(sent.length).toBeGreaterThanOrEqual(5);
    expect(answers.length).toBeGreaterThanOrEqual(7);

    migrate(old, { backupDir: path.join(t.dir, 'backups') });
    expect(schemaVersion(old)).toBeGreaterThanOrEqual(version);

    expect(everyRow(old, cols)).toEqual(before);
    // Byte-identical: the same texts, compared as blobs, not only as equal JS strings.
    expect(old.prepare(`SELECT ${VOCABULARIES.map((v) => `CAST(${v.column} AS BLOB) AS ${v.column}`).join(', ')} FROM consents ORDER BY id`).all()).toEqual(texts);
    expect(everyAnswer(old)).toEqual(answers);
    expect(everyDetail(old)).toEqual(details);
    expect(payloads(old)).toEqual(sent);
    // The same views and external-id index, to the character; the key, status and rare-purpose indexes on the codes
    // (as they stand after 0032, which dropped the id each entry already ends with). Every query plan is the walk it was, through the same index, on the codes where the index holds them.
    expect(remadeSql(old)).toEqual(sql);
    expect(old.prepare(`SELECT name, sql FROM sqlite_schema WHERE name IN ('consents_decide', 'consents_not_active', 'consents_rare_purpose') ORDER BY name`).all()).toEqual([
      { name: 'consents_decide', sql: 'CREATE INDEX consents_decide ON consents (patient_id, grantee, purpose_code, category_code, period_start)' },
      { name: 'consents_not_active', sql: 'CREATE INDEX consents_not_active ON consents (status_code) WHERE status_code <> 0' },
      { name: 'consents_rare_purpose', sql: 'CREATE INDEX consents_rare_purpose ON consents (purpose_code) WHERE purpose_code <> 0' },
    ]);
    // The id a plan seeks on is the rowid each entry ends with (SQLite names it id where the index declared it, 0032 dropped that).
    const sameId = (p: string) => p.replace(/\bid([<>=])/g, 'rowid$1');
    expect(plans(old, 1).map((p) => sameId(p.replaceAll('_code=', '=')))).toEqual(planned.map(sameId));
    expect(planned.join('\n')).toMatch(/consents_decide \(patient_id=\? AND grantee=\? AND purpose=\? AND category=\? AND period_start<\?\)/);
    expect(planned.join('\n')).toMatch(/COVERING INDEX consents_rare_purpose \(purpose=\? AND (rowid|id)<\?\)/);
    expect(planned.join('\n')).toMatch(/COVERING INDEX consents_not_active \(status=\? AND (rowid|id)<\?\)/);
    expect(planned.join('\n')).not.toMatch(/SCAN/);
    // Every text became the code the writers use (its position in the API's list), and every text occurred.
    for (const v of VOCABULARIES) {
      const stored = old.prepare(`SELECT DISTINCT ${v.column} AS text, ${v.code} AS code, typeof(${v.code}) AS type FROM consents ORDER BY 2`).all();
      expect(stored).toEqual(v.list.map((text, code) => ({ text, code, type: 'integer' })));
      expect(v.list.map((text) => (v.codes as Record<string, number>)[text])).toEqual(v.list.map((_, i) => i));
    }
    // Every index, trigger and view of the table is there, under the same names as in a new database.
    const objects = (db: Db) => db.prepare(`SELECT type, name FROM sqlite_schema WHERE type IN ('index', 'trigger', 'view') ORDER BY name`).all();
    expect(objects(old)).toEqual(objects(t.db));
    expect(old.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'consents_terms_fixed'`).pluck().get()).toBe(
      t.db.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'consents_terms_fixed'`).pluck().get(),
    );
    expect(old.pragma('foreign_key_check')).toEqual([]);
    expect(old.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  });

  it.each([
    ['category', 'hiv'],
    ['status', 'Active'],
    ['purpose', 'treat'],
    ['decision', 'allow'],
    ['grantee_kind', 'NPI'],
  ])('a %s outside its list (%s, written with the CHECKs off) stops the migration by name, the database unchanged', async (column, text) => {
    await realRows();
    layOutAsSchema26();
    // A copy of row 1 (no external id) with the odd text (0023's trigger refuses any change of a row's terms in place).
    const cols = (old.pragma('table_info(consents)') as { name: string }[]).map((c) => c.name).filter((c) => c !== 'id');
    const copy = old.prepare(`INSERT INTO consents (${cols.join(', ')}) SELECT ${cols.map((c) => (c === column ? '?' : c === 'external_id' ? 'NULL' : c)).join(', ')} FROM consents WHERE id = 1`);
    expect(() => copy.run(text)).toThrow(/CHECK constraint failed/);
    old.pragma('ignore_check_constraints = ON');
    const id = Number(copy.run(text).lastInsertRowid);
    old.pragma('ignore_check_constraints = OFF');
    const before = everyRow(old, OLD_COLUMNS(old));

    expect(() => migrate(old, { migrationsDir: migrationsDirUpTo(t.dir, version, 'to-0028') })).toThrow(new RegExp(`consents_${column}_outside_the_known_codes`));
    expect(schemaVersion(old)).toBe(version - 1);
    expect(everyRow(old, OLD_COLUMNS(old))).toEqual(before);
    expect(old.prepare(`SELECT ${column} AS v FROM consents WHERE id = ?`).pluck().get(id)).toBe(text);
  });

  it('keeps the old constraints on the codes: a code outside its list, none, or a text is refused by name', () => {
    migrate(old);
    old.prepare(`INSERT INTO patients (id, facility, mrn, ${PATIENT_STORED_COLUMNS}) VALUES (1, 'GH01', 'M', ?, ?, ?)`).run(...patientValues(`0x${'01'.repeat(32)}`, 'x'));
    const ok = { category_code: 0, status_code: 0, purpose_code: 0, decision_code: 0, grantee_kind_code: 0 };
    const insert = (values: Record<string, unknown>) =>
      old
        .prepare(
          `INSERT INTO consents (patient_id, grantee, period_start, document_hash_bin, source_text, seq, created_ms, updated_ms, ${Object.keys(values).join(', ')})
           VALUES (1, 'x', 0, zeroblob(32), 'test', 1, 0, 0, ${Object.keys(values).map((k) => `@${k}`).join(', ')})`,
        )
        .run(values);
    for (const v of VOCABULARIES) {
      const name = new RegExp(`consents_${v.column}_code_known`);
      expect(() => insert({ ...ok, [v.code]: v.list.length })).toThrow(name);
      expect(() => insert({ ...ok, [v.code]: -1 })).toThrow(name);
      expect(() => insert({ ...ok, [v.code]: null })).toThrow(name);
      // Left out (the old columns were NOT NULL without a default): refused, never a default value.
      const { [v.code]: _left, ...rest } = ok;
      expect(() => insert(rest)).toThrow(name);
      expect(() => insert({ ...ok, [v.code]: v.list[0] })).toThrow(/cannot store TEXT value in INTEGER column/);
      expect(() => insert({ ...ok, [v.code]: 1.5 })).toThrow(/cannot store REAL value in INTEGER column/);
      // Every code reads back as its text.
      v.list.forEach((text, code) => {
        const id = Number(insert({ ...ok, [v.code]: code }).lastInsertRowid);
        expect(old.prepare(`SELECT ${v.column} AS text FROM consents WHERE id = ?`).pluck().get(id)).toBe(text);
      });
    }
    const id = Number(insert(ok).lastInsertRowid);
    // A hand edit of a stored code: refused by name, the row unchanged.
    expect(() => old.prepare(`UPDATE consents SET status_code = 4 WHERE id = ?`).run(id)).toThrow(/consents_status_code_known/);
    expect(() => old.prepare(`UPDATE consents SET purpose_code = 7 WHERE id = ?`).run(id)).toThrow(/consents_purpose_code_known|OUTBOX_SOURCE_IMMUTABLE/);
    expect(() => old.prepare(`UPDATE consents SET status = 'revoked' WHERE id = ?`).run(id)).toThrow(/generated column/);
    // A consent's terms never change (0023's trigger, now on the codes); its status does.
    expect(() => old.prepare(`UPDATE consents SET decision_code = ${DECISION_CODE.deny} WHERE id = ?`).run(id)).toThrow(/OUTBOX_SOURCE_IMMUTABLE/);
    old.prepare(`UPDATE consents SET status_code = ${STATUS_CODE.expired} WHERE id = ?`).run(id);
    expect(old.prepare(`SELECT status, decision, purpose, category, grantee_kind FROM consents WHERE id = ?`).get(id)).toEqual({
      status: 'expired',
      decision: 'permit',
      purpose: 'TREAT',
      category: 'general',
      grantee_kind: 'npi',
    });
  });
});
