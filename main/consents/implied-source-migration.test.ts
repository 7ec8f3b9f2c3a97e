// Migration consent_source_implied alone (seed at the version before it, migrate, assert). Rows written by the real
// writers (CSV and FHIR imports, a staff grant and revoke), laid out as the schema before stored them, plus odd rows
// by hand (a source naming another run, an import source with no run, update times in other forms). After it every
// row reads back source and updated_at to the byte; an import row stores neither; the outbox payloads and details
// are unchanged. Then the data-folder holder: a row naming no source, an update time in two forms, a referenced row's
// source changed through its text or its run, each refused by name.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { layOutRowsAsBefore, migrationsDirUpTo } from '../db/migration-test-support';
import { csvText, importFile, line, writeFile } from '../imports/test-support';
import { CATEGORY_CODE, DECISION_CODE, GRANTEE_KIND_CODE, PURPOSE_CODE, STATUS_CODE } from './compact-columns';
import { consentDetail } from './queries';
import { draft, fhirConsent, NPI, recipient, testData, type TestData } from './test-support';
import { ConsentWrites } from './writes';

const version = readMigrationFiles(defaultMigrationsDir()).find((m) => /_consent_source_implied\.sql$/.test(m.name))!.version;

let t: TestData;
let old: Db;
beforeEach(() => {
  t = testData('custodian-implied-source-');
  old = openDatabase(path.join(t.dir, 'old', 'custodian.sqlite'));
  migrate(old, { migrationsDir: migrationsDirUpTo(t.dir, version - 1) });
});
afterEach(() => {
  if (old.open) old.close();
  t.cleanup();
});

/** Every consent's readable columns as stored bytes with their types (equal JS strings are not enough). */
function consentBytes(db: Db): unknown[] {
  const cols = ['source', 'updated_at', 'created_at', 'import_run_id', 'source_row', 'status', 'hlc', 'document_hash'];
  return db.prepare(`SELECT id, ${cols.map((c) => `typeof(${c}) AS ${c}_type, CAST(${c} AS BLOB) AS ${c}`).join(', ')} FROM consents ORDER BY id`).all();
}

async function realRows(): Promise<void> {
  await importFile(t, writeFile(t, 'a.csv', csvText([line(), line({ external_id: 'C-2', grantee: NPI.b, decision: 'deny' }), line({ external_id: 'C-3', purpose: 'HPAYMT' })])));
  const fhir = fhirConsent({}, { actor: [recipient({ system: 'http://hl7.org/fhir/sid/us-npi', value: NPI.c })] });
  expect((await importFile(t, writeFile(t, 'c.ndjson', `${JSON.stringify(fhir)}\n`), { format: 'fhir' })).accepted).toBeGreaterThan(0);
  const writes = new ConsentWrites(t.db, t.store);
  writes.grant(draft({ externalId: 'S-1', mrn: 'MRN0009' }), 'clerk-1');
  writes.revoke((t.db.prepare(`SELECT id FROM consents WHERE external_id = 'C-3'`).get() as { id: number }).id, 'patient withdrew', 'mgr-1');
}

const layOutAsBefore = () => layOutRowsAsBefore(old, t.dbPath);

/** Rows by hand in the old layout: a source naming another run, an import text with no run, odd update times. */
function addOddRows(db: Db): void {
  const patient = db.prepare(`SELECT min(id) FROM patients`).pluck().get() as number;
  const run = db.prepare(`SELECT min(id) FROM import_runs`).pluck().get() as number;
  const insert = db.prepare(
    `INSERT INTO consents (patient_id, grantee, grantee_kind_code, decision_code, purpose_code, category_code, period_start, status_code, document_hash_bin, source, import_run_id, seq, created_ms, created_text, updated_ms, updated_text, hlc_int)
     VALUES (?, ?, ${GRANTEE_KIND_CODE.org}, ${DECISION_CODE.permit}, ${PURPOSE_CODE.HRESCH}, ${CATEGORY_CODE.general}, 0, ${STATUS_CODE.active}, randomblob(32), ?, ?, 1, ?, ?, ?, ?, 7)`,
  );
  insert.run(patient, 'ODD-1', `import:${run + 1000}`, run, 1_700_000_000_000, null, 1_700_000_000_000, null); // another run's text: kept
  insert.run(patient, 'ODD-2', `import:${run}`, null, 1_700_000_000_000, null, 1_700_000_000_001, null); // no run: kept
  insert.run(patient, 'ODD-3', `import:${run}`, run, null, '2026-01-01', null, '2026-01-01'); // same odd text: nothing
  insert.run(patient, 'ODD-4', 'staff:x', null, null, '2026-01-01', 1_700_000_000_000, null); // another form: kept
  insert.run(patient, 'ODD-5', ` import:${run}`, run, 0, null, null, ''); // a space: kept; an empty update text: kept
}

describe('migration consent_source_implied', () => {
  it('reads every source and update time back to the byte, and stores neither for an import row', async () => {
    await realRows();
    layOutAsBefore();
    addOddRows(old);
    const before = consentBytes(old);
    const payloadsBefore = old.prepare(`SELECT id, payload FROM outbox_events ORDER BY id`).all();
    const storedBefore = old.prepare(`SELECT count(*) FROM consents WHERE updated_ms IS NULL AND updated_text IS NULL`).pluck().get();
    expect(storedBefore).toBe(0);

    migrate(old, { migrationsDir: migrationsDirUpTo(t.dir, version, 'to-version') });
    expect(schemaVersion(old)).toBe(version);
    expect(consentBytes(old)).toEqual(before);
    expect(old.prepare(`SELECT id, payload FROM outbox_events ORDER BY id`).all()).toEqual(payloadsBefore);
    expect(old.pragma('foreign_key_check')).toEqual([]);
    expect(old.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);

    // What is stored now: nothing where the run or the creation time says it.
    const stored = old.prepare(`SELECT grantee, external_id, source_text, updated_ms, updated_text FROM consents ORDER BY id`).all() as { grantee: string; external_id: string | null; source_text: string | null; updated_ms: number | null; updated_text: string | null }[];
    const csv = stored.filter((r) => r.external_id === 'C-2');
    expect(csv).toEqual([{ grantee: NPI.b, external_id: 'C-2', source_text: null, updated_ms: null, updated_text: null }]);
    const odd = Object.fromEntries(stored.filter((r) => r.grantee.startsWith('ODD-')).map((r) => [r.grantee, [r.source_text, r.updated_ms, r.updated_text]]));
    const run = old.prepare(`SELECT min(id) FROM import_runs`).pluck().get() as number;
    expect(odd).toEqual({
      'ODD-1': [`import:${run + 1000}`, null, null],
      'ODD-2': [`import:${run}`, 1_700_000_000_001, null],
      'ODD-3': [null, null, null],
      'ODD-4': ['staff:x', 1_700_000_000_000, null],
      'ODD-5': [` import:${run}`, null, ''],
    });
    // The staff writer's rows keep their source; the revoked one its revoke time.
    expect(stored.find((r) => r.external_id === 'S-1')!.source_text).toBe('staff:clerk-1');
    expect(stored.find((r) => r.external_id === 'C-3')!.updated_ms).not.toBeNull();

    // Today's writers on the migrated database: an import row stores neither, its detail reads as before.
    const importedId = old.prepare(`SELECT id FROM consents WHERE external_id = 'C-2'`).pluck().get() as number;
    const detail = consentDetail(t.db, importedId, Date.now() / 1000)!;
    expect(detail.history.map((h) => `${h.action} ${h.actor}`)).toEqual([`create import:${run}`]);
  });

  it('the current writers store an import row with no source text and no update time', async () => {
    migrate(t.db);
    await importFile(t, writeFile(t, 'a.csv', csvText([line(), line({ external_id: 'C-2', grantee: NPI.b })])));
    const rows = t.db.prepare(`SELECT source, source_text, updated_at, created_at, updated_ms, updated_text FROM consents ORDER BY id`).all() as Record<string, unknown>[];
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r).toMatchObject({ source_text: null, updated_ms: null, updated_text: null });
      expect(r.source).toMatch(/^import:\d+$/);
      expect(r.updated_at).toBe(r.created_at);
    }
    const writes = new ConsentWrites(t.db, t.store);
    const granted = writes.grant(draft({ externalId: 'S-9', mrn: 'MRN0009' }), 'clerk-1');
    expect(t.db.prepare(`SELECT source, source_text FROM consents WHERE id = ?`).get(granted)).toEqual({ source: 'staff:clerk-1', source_text: 'staff:clerk-1' });
  });
});

describe('the data-folder holder writes a consent by hand', () => {
  it('cannot leave the source unnamed, store an update time in two forms, or change a referenced row through its run', async () => {
    migrate(t.db);
    await importFile(t, writeFile(t, 'a.csv', csvText([line()])));
    const row = t.db.prepare(`SELECT id, patient_id, import_run_id FROM consents`).get() as { id: number; patient_id: number; import_run_id: number };
    const insert = (sourceText: string | null, runId: number | null, updatedMs: number | null, updatedText: string | null) =>
      t.db
        .prepare(
          `INSERT INTO consents (patient_id, grantee, grantee_kind_code, decision_code, purpose_code, category_code, period_start, status_code, document_hash_bin, source_text, import_run_id, seq, created_ms, updated_ms, updated_text)
           VALUES (?, 'X', ${GRANTEE_KIND_CODE.org}, ${DECISION_CODE.permit}, ${PURPOSE_CODE.TREAT}, ${CATEGORY_CODE.general}, 0, ${STATUS_CODE.active}, randomblob(32), ?, ?, 1, 0, ?, ?)`,
        )
        .run(row.patient_id, sourceText, runId, updatedMs, updatedText);
    expect(() => insert(null, null, null, null)).toThrow(/CHECK constraint failed: consents_source_named/);
    expect(() => insert('staff:x', null, 1, 'x')).toThrow(/CHECK constraint failed: consents_updated_one_form/);
    expect(() => insert('staff:x', null, -1, null)).toThrow(/CHECK constraint failed: consents_updated_one_form/);
    expect(() => t.db.prepare(`INSERT INTO consents (patient_id, source) VALUES (1, 'x')`).run()).toThrow(/generated column/);
    // The row an outbox event is rebuilt from: its source cannot change through the text or the run it is implied by.
    expect(() => t.db.prepare(`UPDATE consents SET source_text = 'staff:mallory' WHERE id = ?`).run(row.id)).toThrow(/OUTBOX_SOURCE_IMMUTABLE/);
    const runCols = (t.db.pragma('table_info(import_runs)') as { name: string }[]).map((c) => c.name).filter((c) => c !== 'id').join(', ');
    const otherRun = t.db.prepare(`INSERT INTO import_runs (${runCols}) SELECT ${runCols} FROM import_runs WHERE id = ?`).run(row.import_run_id).lastInsertRowid;
    expect(() => t.db.prepare(`UPDATE consents SET import_run_id = ? WHERE id = ?`).run(otherRun, row.id)).toThrow(/OUTBOX_SOURCE_IMMUTABLE/);
    // Writing the implied text out in full changes nothing a reader sees, so it is allowed.
    t.db.prepare(`UPDATE consents SET source_text = 'import:' || import_run_id WHERE id = ?`).run(row.id);
    expect(t.db.prepare(`SELECT source FROM consents WHERE id = ?`).pluck().get(row.id)).toBe(`import:${row.import_run_id}`);
  });
});
