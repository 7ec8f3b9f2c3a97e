// Migration 0020 alone (seed at 0019, migrate, assert). The rows are real: written by the import pipeline (CSV, a
// re-import that supersedes, FHIR) and the staff writers (grant, revoke), then laid out as the 0019 schema stored
// them (text document hashes, a 'create' history row per imported consent). After the migration every consent
// reads the same detail (history, hash, terms) and every key answers the same decision as before.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decide } from '../access/answers';
import type { CategoryCode, PurposeCode } from '../api/consents';
import { openDatabase, type Db } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';
import { CATEGORY_CODE, DECISION_CODE, GRANTEE_KIND_CODE, PURPOSE_CODE, STATUS_CODE } from '../consents/compact-columns';
import { consentDetail } from '../consents/queries';
import { draft, fhirConsent, NPI, recipient, testData, type TestData } from '../consents/test-support';
import { ConsentWrites } from '../consents/writes';
import { patientValues, PATIENT_STORED_COLUMNS } from '../consents/patient-columns';
import { csvText, importFile, line, writeFile } from './test-support';

const NAME = /^0021_compact_consents\.sql$/;
const version = readMigrationFiles(defaultMigrationsDir()).find((m) => NAME.test(m.name))!.version;

let t: TestData;
let old: Db;
beforeEach(() => {
  t = testData('custodian-0020-');
  old = openDatabase(path.join(t.dir, 'old', 'custodian.sqlite'));
  migrate(old, { migrationsDir: migrationsDirUpTo(t.dir, version - 1) });
});
afterEach(() => {
  if (old.open) old.close();
  t.cleanup();
});

/**
 * The source database's rows as the 0019 schema held them: every stored column by name (the hash read back as text),
 * and before the other history rows, the 'create' row 0019's store wrote for each consent an import row created.
 */
function layOutAsSchema19(): number {
  old.exec(`ATTACH DATABASE '${t.dbPath.replaceAll("'", "''")}' AS src`);
  // The columns both layouts share: the source is written by today's code (import_runs has since become the runs
  // table of every kind, migration one_import_runs_table, after this one), the target is laid out as before 0021.
  const copy = (table: string) => {
    const srcCols = new Set((old.pragma(`src.table_xinfo(${table})`) as { name: string }[]).map((c) => c.name));
    const cols = (old.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name).filter((c) => srcCols.has(c)).join(', ');
    old.exec(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM src.${table}`);
  };
  for (const table of ['import_runs', 'patients', 'consents', 'outbox']) copy(table);
  const implied = old
    .prepare(
      `INSERT INTO consent_history (consent_id, action, actor, at, detail)
       SELECT id, 'create', source, created_at, '{"row":' || source_row || ',"run":' || import_run_id || '}' FROM src.consents c
        WHERE import_run_id IS NOT NULL AND source_row IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM src.consent_history h WHERE h.consent_id = c.id AND h.action = 'create')
        ORDER BY id`,
    )
    .run().changes;
  old.exec('INSERT INTO consent_history (consent_id, action, actor, at, detail) SELECT consent_id, action, actor, at, detail FROM src.consent_history ORDER BY id');
  old.exec('DETACH DATABASE src');
  return implied;
}

const AT = Date.parse('2025-06-01T12:00:00Z');
function everyAnswer(db: Db): unknown[] {
  const keys = db.prepare('SELECT DISTINCT patient_id AS patientId, grantee, purpose, category FROM consents ORDER BY 1, 2, 3, 4').all() as {
    patientId: number;
    grantee: string;
    purpose: PurposeCode;
    category: CategoryCode;
  }[];
  return keys.map((k) => ({ k, answer: decide(db, { ...k, at: AT }) }));
}
function everyDetail(db: Db): unknown[] {
  const ids = (db.prepare('SELECT id FROM consents ORDER BY id').all() as { id: number }[]).map((r) => r.id);
  return ids.map((id) => consentDetail(db, id, AT / 1000));
}
const count = (db: Db, sql: string) => (db.prepare(sql).get() as { n: number }).n;

async function realRows(): Promise<void> {
  await importFile(t, writeFile(t, 'a.csv', csvText([line(), line({ external_id: 'C-2', grantee: NPI.b, decision: 'deny' }), line({ external_id: 'C-3', mrn: 'MRN0002', purpose: 'HPAYMT' })])));
  await importFile(t, writeFile(t, 'b.csv', csvText([line({ external_id: 'C-2', grantee: NPI.b, decision: 'permit' })])));
  const fhir = fhirConsent({}, { actor: [recipient({ system: 'http://hl7.org/fhir/sid/us-npi', value: NPI.c })] });
  expect((await importFile(t, writeFile(t, 'c.ndjson', `${JSON.stringify(fhir)}\n`), { format: 'fhir' })).accepted).toBeGreaterThan(0);
  const writes = new ConsentWrites(t.db, t.store);
  writes.grant(draft({ externalId: 'S-1', mrn: 'MRN0009' }), 'clerk-1');
  writes.revoke((t.db.prepare(`SELECT id FROM consents WHERE external_id = 'C-3'`).get() as { id: number }).id, 'patient withdrew', 'mgr-1');
}

describe('migration compact_consents', () => {
  it('drops only the implied create entries, stores hashes as bytes; every consent reads and decides the same', async () => {
    await realRows();
    const implied = layOutAsSchema19();
    expect(implied).toBeGreaterThanOrEqual(4);
    expect(schemaVersion(old)).toBe(version - 1);
    const historyBefore = count(old, 'SELECT count(*) AS n FROM consent_history');
    // Today's readers read today's schema (the codes of 0028): the details and answers to compare with are the source
    // database's, which holds the same rows written natively.
    const details = everyDetail(t.db);
    const answers = everyAnswer(t.db);
    expect(answers.length).toBeGreaterThanOrEqual(4);

    const report = migrate(old, { backupDir: path.join(t.dir, 'backups') });
    expect(report).toMatchObject({ fromVersion: version - 1, toVersion: expect.any(Number) });
    expect(report.applied[0]).toMatch(NAME);
    expect(fs.existsSync(report.backupPath!)).toBe(true);

    // Exactly the implied rows went; the staff create, the supersede-create, the supersede and the revoke stayed.
    expect(count(old, 'SELECT count(*) AS n FROM consent_history')).toBe(historyBefore - implied);
    expect(old.prepare(`SELECT action, actor FROM consent_history ORDER BY id`).all()).toEqual(
      expect.arrayContaining([
        { action: 'create', actor: 'clerk-1' },
        { action: 'revoke', actor: 'mgr-1' },
        { action: 'supersede', actor: expect.stringMatching(/^import:/) },
        { action: 'create', actor: expect.stringMatching(/^import:/) },
      ]),
    );
    expect(count(old, `SELECT count(*) AS n FROM consents WHERE typeof(document_hash_bin) = 'blob' AND length(document_hash_bin) = 32`)).toBe(count(old, 'SELECT count(*) AS n FROM consents'));
    expect(old.prepare(`SELECT sql FROM sqlite_master WHERE name = 'consents_superseded_by'`).get()).toEqual({ sql: expect.stringMatching(/WHERE superseded_by IS NOT NULL$/) });
    expect(everyDetail(old)).toEqual(details);
    expect(everyAnswer(old)).toEqual(answers);
  });

  it('keeps a create entry the row does not reproduce (another time)', async () => {
    await importFile(t, writeFile(t, 'a.csv', csvText([line()])));
    layOutAsSchema19();
    old.prepare(`UPDATE consent_history SET at = '2020-01-01T00:00:00.000Z'`).run();
    migrate(old, { migrationsDir: migrationsDirUpTo(t.dir, version, 'to-0020') });
    expect(old.prepare('SELECT action, at FROM consent_history').all()).toEqual([{ action: 'create', at: '2020-01-01T00:00:00.000Z' }]);
    // The detail as the app reads it, on today's schema (its reads name 0028's codes).
    migrate(old);
    expect(consentDetail(old, 1, AT / 1000)!.history).toEqual([{ action: 'create', actor: 'import:1', at: '2020-01-01T00:00:00.000Z', detail: { row: 1, run: 1 } }]);
  });

  it('stops, changing nothing, at a document hash that is not 0x and 64 hex digits', async () => {
    await importFile(t, writeFile(t, 'a.csv', csvText([line()])));
    layOutAsSchema19();
    old.prepare(`UPDATE consents SET document_hash = '0x1234'`).run();
    expect(() => migrate(old, { migrationsDir: migrationsDirUpTo(t.dir, version, 'to-0020') })).toThrow(/consents_document_hash_is_not_0x_and_64_hex_digits/);
    expect(schemaVersion(old)).toBe(version - 1);
    expect(old.prepare('SELECT document_hash FROM consents').get()).toEqual({ document_hash: '0x1234' });
  });
});

describe('the consents table on the current schema', () => {
  it('an import stores no create history row per consent; the detail shows the creation its row implies', async () => {
    await importFile(t, writeFile(t, 'a.csv', csvText([line(), line({ external_id: 'C-2', grantee: NPI.b })])));
    expect(count(t.db, 'SELECT count(*) AS n FROM consent_history')).toBe(0);
    const row = t.db.prepare(`SELECT created_at AS at FROM consents WHERE id = 2`).get() as { at: string };
    expect(consentDetail(t.db, 2, AT / 1000)!.history).toEqual([{ action: 'create', actor: 'import:1', at: row.at, detail: { row: 2, run: 1 } }]);
    // A later revoke is stored, after the implied creation.
    new ConsentWrites(t.db, t.store).revoke(2, 'patient withdrew', 'mgr-1');
    expect(consentDetail(t.db, 2, AT / 1000)!.history.map((h) => `${h.action} ${h.actor}`)).toEqual(['create import:1', 'revoke mgr-1']);
  });

  it('refuses a document hash that is not 32 bytes, by any writer', () => {
    const insert = (hash: unknown) =>
      t.db
        .prepare(
          `INSERT INTO consents (patient_id, grantee, grantee_kind_code, decision_code, purpose_code, category_code, period_start, status_code, document_hash_bin, source_text, seq, created_text, updated_text)
           VALUES (1, 'x', ${GRANTEE_KIND_CODE.org}, ${DECISION_CODE.permit}, ${PURPOSE_CODE.TREAT}, ${CATEGORY_CODE.general}, 0, ${STATUS_CODE.active}, ?, 'test', 1, '', '')`,
        )
        .run(hash);
    t.db.prepare(`INSERT INTO patients (id, facility, mrn, ${PATIENT_STORED_COLUMNS}) VALUES (1, 'GH01', 'M', ?, ?, ?)`).run(...patientValues(`0x${'01'.repeat(32)}`, ''));
    expect(() => insert(Buffer.alloc(31))).toThrow(/document_hash_bin must be the 32 bytes/);
    expect(() => insert(null)).toThrow(/document_hash_bin must be the 32 bytes/);
    expect(() => insert('ab'.repeat(32))).toThrow();
    const id = Number(insert(Buffer.alloc(32, 0xab)).lastInsertRowid);
    expect(t.db.prepare('SELECT document_hash FROM consents WHERE id = ?').get(id)).toEqual({ document_hash: `0x${'ab'.repeat(32)}` });
    // Since 0023 no update of a consent's terms passes at all (outbox events are rebuilt from them): either trigger names it.
    expect(() => t.db.prepare('UPDATE consents SET document_hash_bin = ? WHERE id = ?').run(Buffer.alloc(2), id)).toThrow(/32 bytes|OUTBOX_SOURCE_IMMUTABLE/);
  });
});
