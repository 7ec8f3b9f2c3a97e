// Migration 0026 alone (seed at 0025, migrate, assert): consent times and stamps stored as integers, the old columns
// rebuilt. The rows are real (an import, a re-import that supersedes, staff grant and revoke) plus rows a hand edit
// could have left (another offset, no milliseconds, an impossible date, uppercase or junk stamps, the top bit set).
// Every row's created_at, updated_at and hlc must read back byte-identical, and every other column unchanged.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';
import { patientValues, PATIENT_STORED_COLUMNS } from './patient-columns';
import { csvText, importFile, line, writeFile } from '../imports/test-support';
import { draft, testData, type TestData } from './test-support';
import { ConsentWrites } from './writes';

const FILE = '0026_compact_consents.sql';
const version = readMigrationFiles(defaultMigrationsDir()).find((m) => m.name === FILE)!.version;

let t: TestData;
let old: Db;
beforeEach(() => {
  t = testData('custodian-0026-');
  old = openDatabase(path.join(t.dir, 'old', 'custodian.sqlite'));
  migrate(old, { migrationsDir: migrationsDirUpTo(t.dir, version - 1) });
});
afterEach(() => {
  if (old.open) old.close();
  t.cleanup();
});

/** Copies today's rows into the 0025 layout (created_at, updated_at and hlc stored as text). */
function layOutAsSchema25(): void {
  old.exec(`ATTACH DATABASE '${t.dbPath.replaceAll("'", "''")}' AS src`);
  for (const table of ['import_runs', 'patients', 'consents', 'consent_history', 'outbox', 'outbox_refs', 'outbox_ref_hashes']) {
    const srcCols = new Set((old.pragma(`src.table_xinfo(${table})`) as { name: string }[]).map((c) => c.name));
    const cols = (old.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name).filter((c) => srcCols.has(c)).join(', ');
    old.exec(`INSERT OR IGNORE INTO ${table} (${cols}) SELECT ${cols} FROM src.${table}`);
  }
  old.exec('DETACH DATABASE src');
}

// [created_at, updated_at, hlc] a hand edit or an older writer could have left; each must survive to the byte.
const ODD: [string, string, string][] = [
  ['2025-06-01T12:00:00Z', '2025-06-01T14:00:00.000+02:00', 'ffffffffffffffff'],
  ['2025-02-30T00:00:00.000Z', '1969-12-31T23:59:59.999Z', 'FFFFFFFFFFFFFFFF'],
  ['later', '', '8000000000000000'],
  ['9999-12-31T23:59:59.999Z', '1970-01-01T00:00:00.000Z', '7fffffffffffffff'],
  ['2025-06-01 12:00:00.000Z', '2025-06-01T12:00:00.1234Z', '00000000000000g1'],
  ['+010000-01-01T00:00:00.000Z', '2025-06-01T12:00:00.000z', '0x00000000000001'],
  ['2025-06-01T24:00:00.000Z', '2025-6-1T12:00:00.000Z', '                '],
  ['1969-12-31T23:59:59.000Z', '0000-01-01T00:00:00.000Z', '0000000000000000'],
];

function addOddRows(db: Db): void {
  db.prepare(`INSERT OR IGNORE INTO patients (id, facility, mrn, pseudonym, created_at) VALUES (900, 'GH01', 'ODD', printf('0x%064x', 900), 'x')`).run();
  const insert = db.prepare(
    `INSERT INTO consents (patient_id, grantee, grantee_kind, decision, purpose, category, period_start, status, document_hash_bin, source, seq, created_at, updated_at, hlc)
     VALUES (900, ?, 'npi', 'permit', 'TREAT', 'general', 0, 'active', zeroblob(32), 'form', 1, ?, ?, ?)`,
  );
  ODD.forEach(([c, u, h], i) => insert.run(`odd-${i}`, c, u, h));
}

const OLD_COLUMNS = (db: Db) =>
  (db.pragma('table_xinfo(consents)') as { name: string }[]).map((c) => c.name).filter((n) => !/^(created_ms|created_text|updated_ms|updated_text|hlc_int|hlc_text)$/.test(n));
const everyRow = (db: Db, cols: string[]) => db.prepare(`SELECT ${cols.join(', ')} FROM consents ORDER BY id`).all();

async function realRows(): Promise<void> {
  await importFile(t, writeFile(t, 'a.csv', csvText([line(), line({ external_id: 'C-2', decision: 'deny' }), line({ external_id: 'C-3', mrn: 'MRN0002', purpose: 'HPAYMT' })])));
  await importFile(t, writeFile(t, 'b.csv', csvText([line({ external_id: 'C-2', decision: 'permit' })])));
  const writes = new ConsentWrites(t.db, t.store);
  writes.grant(draft({ externalId: 'S-1', mrn: 'MRN0009' }), 'clerk-1');
  writes.revoke((t.db.prepare(`SELECT id FROM consents WHERE external_id = 'C-3'`).get() as { id: number }).id, 'patient withdrew', 'mgr-1');
}

describe('migration 0026 compact consents', () => {
  it('reads every old column back byte-identical, odd values included, and stores canonical ones as integers', async () => {
    await realRows();
    layOutAsSchema25();
    addOddRows(old);
    expect(schemaVersion(old)).toBe(version - 1);
    const cols = OLD_COLUMNS(old);
    expect(cols).toEqual(expect.arrayContaining(['created_at', 'updated_at', 'hlc']));
    const before = everyRow(old, cols);
    const stamps = old.prepare('SELECT created_at, updated_at, hlc FROM consents ORDER BY id').all();

    migrate(old, { backupDir: path.join(t.dir, 'backups') });

    expect(everyRow(old, cols)).toEqual(before);
    // Byte-identical: the same texts, compared as blobs, not only as equal JS strings.
    expect(old.prepare('SELECT CAST(created_at AS BLOB) AS c, CAST(updated_at AS BLOB) AS u, CAST(hlc AS BLOB) AS h FROM consents ORDER BY id').all()).toEqual(
      (stamps as { created_at: string; updated_at: string; hlc: string }[]).map((s) => ({ c: Buffer.from(s.created_at), u: Buffer.from(s.updated_at), h: Buffer.from(s.hlc) })),
    );
    const n = (sql: string) => (old.prepare(sql).get() as { n: number }).n;
    const real = n(`SELECT count(*) AS n FROM consents WHERE patient_id <> 900`);
    expect(real).toBeGreaterThanOrEqual(4);
    // Every row the app wrote is stored compact: no text kept.
    expect(n(`SELECT count(*) AS n FROM consents WHERE patient_id <> 900 AND (created_text IS NOT NULL OR updated_text IS NOT NULL OR hlc_text IS NOT NULL)`)).toBe(0);
    // The odd rows keep exactly the texts that do not rebuild; canonical ones among them became integers.
    expect(old.prepare(`SELECT created_ms, created_text, updated_ms, updated_text, hlc_int, hlc_text FROM consents WHERE patient_id = 900 ORDER BY id`).safeIntegers().all()).toEqual([
      { created_ms: null, created_text: ODD[0]![0], updated_ms: null, updated_text: ODD[0]![1], hlc_int: -1n, hlc_text: null },
      { created_ms: null, created_text: ODD[1]![0], updated_ms: null, updated_text: ODD[1]![1], hlc_int: null, hlc_text: ODD[1]![2] },
      { created_ms: null, created_text: 'later', updated_ms: null, updated_text: '', hlc_int: -(2n ** 63n), hlc_text: null },
      { created_ms: 253402300799999n, created_text: null, updated_ms: 0n, updated_text: null, hlc_int: 2n ** 63n - 1n, hlc_text: null },
      { created_ms: null, created_text: ODD[4]![0], updated_ms: null, updated_text: ODD[4]![1], hlc_int: null, hlc_text: ODD[4]![2] },
      { created_ms: null, created_text: ODD[5]![0], updated_ms: null, updated_text: ODD[5]![1], hlc_int: null, hlc_text: ODD[5]![2] },
      { created_ms: null, created_text: ODD[6]![0], updated_ms: null, updated_text: ODD[6]![1], hlc_int: null, hlc_text: ODD[6]![2] },
      { created_ms: null, created_text: ODD[7]![0], updated_ms: null, updated_text: ODD[7]![1], hlc_int: 0n, hlc_text: null },
    ]);
    // Every index and trigger of the table is still there; none of them used the old columns.
    const schema = old.prepare(`SELECT type, name FROM sqlite_schema WHERE tbl_name = 'consents' AND type IN ('index', 'trigger') ORDER BY name`).all();
    expect(schema).toEqual(t.db.prepare(`SELECT type, name FROM sqlite_schema WHERE tbl_name = 'consents' AND type IN ('index', 'trigger') ORDER BY name`).all());
    expect((schema as { name: string }[]).map((s) => s.name)).toEqual(
      expect.arrayContaining(['consents_decide', 'consents_by_period_start', 'consents_document_hash_bytes', 'consents_terms_fixed', 'consents_referenced_kept']),
    );
    expect(old.pragma('foreign_key_check')).toEqual([]);
    expect(old.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  });

  it('keeps the old constraints: a stamp of 16 characters, a time that is there (checked on the stored columns)', () => {
    // Up to 0026 only: 0028 stores the vocabularies this insert writes as text as codes.
    migrate(old, { migrationsDir: migrationsDirUpTo(t.dir, version, 'to-0026') });
    expect(schemaVersion(old)).toBe(version);
    old.prepare(`INSERT INTO patients (id, facility, mrn, pseudonym, created_at) VALUES (1, 'GH01', 'M', '0x01', 'x')`).run();
    const insert = (values: Record<string, unknown>) =>
      old
        .prepare(
          `INSERT INTO consents (patient_id, grantee, grantee_kind, decision, purpose, category, period_start, status, document_hash_bin, source, seq, ${Object.keys(values).join(', ')})
           VALUES (1, 'x', 'org', 'permit', 'TREAT', 'general', 0, 'active', zeroblob(32), 'test', 1, ${Object.keys(values).map((k) => `@${k}`).join(', ')})`,
        )
        .run(values);
    const ok = { created_ms: 0, updated_text: 'any text', hlc_int: 5 };
    expect(() => insert({ ...ok, hlc_int: null, hlc_text: 'short' })).toThrow(/consents_hlc_one_form/);
    expect(() => insert({ ...ok, hlc_text: '0000000000000005' })).toThrow(/consents_hlc_one_form/);
    expect(() => insert({ ...ok, created_text: '2025-01-01' })).toThrow(/consents_created_one_form/);
    expect(() => insert({ ...ok, created_ms: -1 })).toThrow(/consents_created_one_form/);
    // Never NULL (the old columns were NOT NULL): one form or the other, and a time strftime can rebuild.
    expect(() => insert({ ...ok, created_ms: null })).toThrow(/consents_created_one_form/);
    expect(() => insert({ ...ok, updated_text: null })).toThrow(/consents_updated_one_form/);
    expect(() => insert({ ...ok, created_ms: 253402300800000 })).toThrow(/consents_created_one_form/);
    expect(() => insert({ ...ok, created_ms: '2025-01-01T00:00:00.000Z' })).toThrow(/cannot store TEXT value in INTEGER column/);
    // Without a stamp a row reads the old column's default.
    const id = Number(insert({ created_ms: 0, updated_ms: 1 }).lastInsertRowid);
    expect(old.prepare('SELECT created_at, updated_at, hlc FROM consents WHERE id = ?').get(id)).toEqual({
      created_at: '1970-01-01T00:00:00.000Z',
      updated_at: '1970-01-01T00:00:00.001Z',
      hlc: '0000000000000000',
    });
    expect(() => old.prepare(`UPDATE consents SET hlc = '0000000000000001' WHERE id = ?`).run(id)).toThrow(/generated column/);
  });
});
