// Migration indexes_end_in_rowid alone (seed at the version before it, migrate, assert), and the rule it leaves:
// no index declares its table's INTEGER PRIMARY KEY after other columns, since every entry of an index on a rowid
// table already ends with the rowid (an index on (x, id) stored the id twice). Rows from the real writers (a CSV
// import: consents and their outbox events), laid out in the schema before; after the migration every index holds
// the same entries in the same order with fewer bytes each, and the readers' queries walk the same indexes.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { csvText, importFile, line, writeFile } from '../imports/test-support';
import { NPI, testData, type TestData } from '../consents/test-support';
import { openDatabase, type Db } from './connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from './migrate';
import { layOutRowsAsBefore, migrationsDirUpTo } from './migration-test-support';

const version = readMigrationFiles(defaultMigrationsDir()).find((m) => /_indexes_end_in_rowid\.sql$/.test(m.name))!.version;

let t: TestData;
let old: Db;
beforeEach(() => {
  t = testData('custodian-index-rowid-');
  old = openDatabase(path.join(t.dir, 'old', 'custodian.sqlite'));
  migrate(old, { migrationsDir: migrationsDirUpTo(t.dir, version - 1) });
});
afterEach(() => {
  if (old.open) old.close();
  t.cleanup();
});

/** Indexes (not automatic ones) whose key columns name their table's INTEGER PRIMARY KEY after another column. */
function indexesRepeatingTheRowid(db: Db): string[] {
  const out: string[] = [];
  for (const ix of db.prepare(`SELECT name, tbl_name AS tbl FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`).all() as { name: string; tbl: string }[]) {
    const pk = (db.pragma(`table_info(${JSON.stringify(ix.tbl)})`) as { name: string; type: string; pk: number }[]).filter((c) => c.pk > 0);
    if (pk.length !== 1 || pk[0]!.type.toUpperCase() !== 'INTEGER') continue;
    const keys = (db.pragma(`index_info(${JSON.stringify(ix.name)})`) as { seqno: number; name: string | null }[]).sort((a, b) => a.seqno - b.seqno);
    if (keys.length > 1 && keys.some((k) => k.name === pk[0]!.name)) out.push(ix.name);
  }
  return out;
}

const CHANGED = ['consents_by_grantee', 'consents_by_period_start', 'consents_rare_purpose', 'consents_not_active', 'outbox_by_state_kind'];
/** Every entry of an index in its order, read through the index itself (INDEXED BY), rowid included. */
const ENTRIES: Record<string, string> = {
  consents_by_grantee: 'SELECT grantee, rowid FROM consents INDEXED BY consents_by_grantee WHERE grantee IS NOT NULL ORDER BY grantee, rowid',
  consents_by_period_start: 'SELECT period_start, rowid FROM consents INDEXED BY consents_by_period_start WHERE period_start IS NOT NULL ORDER BY period_start, rowid',
  consents_rare_purpose: 'SELECT purpose_code, rowid FROM consents INDEXED BY consents_rare_purpose WHERE purpose_code <> 0 ORDER BY purpose_code, rowid',
  consents_not_active: 'SELECT status_code, rowid FROM consents INDEXED BY consents_not_active WHERE status_code <> 0 ORDER BY status_code, rowid',
  outbox_by_state_kind: 'SELECT state_code, kind_code, rowid FROM outbox INDEXED BY outbox_by_state_kind WHERE state_code >= 0 ORDER BY state_code, kind_code, rowid',
};
/** What the readers ask of these indexes: an equality then an id range or order, a keyset page, the pending events. */
const READS = [
  `SELECT id FROM consents WHERE grantee = '${NPI.a}' AND id < 1000000 ORDER BY id DESC LIMIT 50`,
  'SELECT id FROM consents WHERE (period_start, id) < (99999999999, 1000000) ORDER BY period_start DESC, id DESC LIMIT 50',
  // The partial indexes' own conditions repeated, as the consents table's drivers write them (consents/queries.ts).
  'SELECT id FROM consents WHERE purpose_code = 2 AND purpose_code <> 0 AND id < 1000000 ORDER BY id DESC LIMIT 50',
  'SELECT id FROM consents WHERE status_code = 1 AND status_code <> 0 AND id < 1000000 ORDER BY id DESC LIMIT 50',
  'SELECT id FROM outbox WHERE state_code = 0 AND kind_code = 1 ORDER BY id LIMIT 100',
  'SELECT id FROM audit_log WHERE actor_id = ? AND id < 1000000 ORDER BY actor_id DESC, id DESC LIMIT 50',
  'SELECT id FROM claims WHERE payer_id = ? ORDER BY id DESC LIMIT 50',
];
const plans = (db: Db) => READS.map((sql) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(sql.includes('?') ? ['x'] : [])) as { detail: string }[]).map((r) => r.detail.replace(/\bid([<>=])/g, 'rowid$1')).join('\n'));
const payloadPerEntry = (db: Db, name: string) =>
  db.prepare(`SELECT sum(payload) * 1.0 / sum(ncell) FROM dbstat WHERE name = ? AND pagetype = 'leaf'`).pluck().get(name) as number;

describe('migration indexes_end_in_rowid', () => {
  it('keeps every entry in its order with fewer bytes each, and every reader on the same index', async () => {
    const rows = Array.from({ length: 400 }, (_, i) =>
      line({
        external_id: `C-${i}`,
        mrn: `MRN${i % 60}`,
        grantee: i % 3 ? NPI.a : NPI.b,
        purpose: ['TREAT', 'HPAYMT', 'HOPERAT'][i % 3]!,
        period_start: `2024-${String((i % 12) + 1).padStart(2, '0')}-01`,
      }),
    );
    expect((await importFile(t, writeFile(t, 'a.csv', csvText(rows)))).accepted).toBe(400);
    t.db.prepare(`UPDATE consents SET status_code = 1, revoked_reason = 'withdrawn' WHERE id % 7 = 0`).run();
    layOutRowsAsBefore(old, t.dbPath);
    expect(schemaVersion(old)).toBe(version - 1);
    const before = Object.fromEntries(CHANGED.map((n) => [n, old.prepare(ENTRIES[n]!).raw().all()]));
    expect(Object.values(before).every((entries) => entries.length > 10)).toBe(true);
    const plansBefore = plans(old);
    const bytesBefore = Object.fromEntries(CHANGED.map((n) => [n, payloadPerEntry(old, n)]));

    const report = migrate(old, { backupDir: path.join(t.dir, 'backups'), migrationsDir: migrationsDirUpTo(t.dir, version) });
    expect(report.applied).toEqual([expect.stringMatching(/_indexes_end_in_rowid\.sql$/)]);

    for (const n of CHANGED) {
      expect(old.prepare(ENTRIES[n]!).raw().all(), n).toEqual(before[n]);
      // The id was stored twice: its bytes and a header byte less per entry (at least 2 here, ids below 128 take 1).
      expect(payloadPerEntry(old, n), n).toBeLessThanOrEqual(bytesBefore[n]! - 2);
    }
    expect(plans(old)).toEqual(plansBefore);
    expect(plansBefore.join('\n')).not.toMatch(/\bSCAN (consents|outbox|audit_log|claims)\b/);
    for (const n of CHANGED) expect(plansBefore.join('\n')).toContain(`INDEX ${n} (`);
    expect(indexesRepeatingTheRowid(old)).toEqual([]);
    expect(old.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  });

  it('leaves no index, in a new database, that names the rowid after other columns', () => {
    expect(indexesRepeatingTheRowid(t.db)).toEqual([]);
    // What the check finds when an index does.
    t.db.exec('CREATE INDEX consents_twice ON consents (grantee, id)');
    expect(indexesRepeatingTheRowid(t.db)).toEqual(['consents_twice']);
  });
});
