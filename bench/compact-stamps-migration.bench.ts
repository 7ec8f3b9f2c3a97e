// Migration 0026 (consent times and stamps as integers) on BENCH_ROWS consents laid out as 0025 stored them: how long
// it takes beside one plain rewrite of every consent row of the same database (its baseline), and the consents
// row's bytes before and after (in place, then after VACUUM, which is what a fresh import gets).
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../main/db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles } from '../main/db/migrate';
import { migrationsDirUpTo } from '../main/db/migration-test-support';
import { consentColumnSplit, formatColumnSplit, storageSplit } from './consent-storage';
import type { Bench } from './types';

const version = readMigrationFiles(defaultMigrationsDir()).find((m) => m.name === '0026_compact_consents.sql')!.version;

/** `rows` consents at schema 0025 over 20,000 patients; one in 1,000 with a time or stamp a hand edit left. */
function seed(file: string, tmpDir: string, rows: number): void {
  const db = openDatabase(file);
  migrate(db, { migrationsDir: migrationsDirUpTo(tmpDir, version - 1) });
  db.transaction(() => {
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
       INSERT INTO patients (id, facility, mrn, pseudonym, created_at) SELECT i, 'GH01', printf('MRN%07d', i), printf('0x%064x', i), '2025-01-01T00:00:00.000Z' FROM n`,
    ).run();
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO consents (id, external_id, patient_id, grantee, grantee_kind, decision, purpose, category, period_start, period_end, status, document_hash_bin, source, import_run_id, source_row, seq, created_at, updated_at, hlc)
       SELECT i, printf('C-%d', i), 1 + i % 20000, '1' || printf('%09d', (i * 40503) % 2000), 'npi', 'permit', 'TREAT', 'general', 1577836800 + i % 1500 * 86400, NULL, 'active',
              unhex(printf('%064x', i)), 'bench', NULL, i, 1,
              CASE WHEN i % 1000 = 0 THEN '2025-06-01T12:00:00Z' ELSE strftime('%Y-%m-%dT%H:%M:%fZ', 1748779200 + i / 1000.0, 'unixepoch') END,
              strftime('%Y-%m-%dT%H:%M:%fZ', 1748779200 + i / 1000.0, 'unixepoch'),
              CASE WHEN i % 1000 = 500 THEN upper(printf('%016x', (1748779200000 + i) << 16)) ELSE printf('%016x', (1748779200000 + i) << 16) END
         FROM n`,
    ).run(rows);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

const bench: Bench = async ({ tmpDir, rows }) => {
  const seeded = path.join(tmpDir, 'seeded.sqlite');
  seed(seeded, tmpDir, rows);
  const beforeSplit = consentColumnSplit(seeded, null);
  const before = storageSplit(seeded, null);

  const rewritten = path.join(tmpDir, 'rewrite.sqlite');
  fs.copyFileSync(seeded, rewritten);
  const base = openDatabase(rewritten);
  let t = process.hrtime.bigint();
  // One rewrite of every row (a value that changes, so SQLite writes each record): what any in-place migration costs at least.
  base.transaction(() => base.prepare('UPDATE consents SET seq = seq + 1').run())();
  const rewriteSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  base.close();

  const migrated = path.join(tmpDir, 'migrated.sqlite');
  fs.copyFileSync(seeded, migrated);
  const db = openDatabase(migrated);
  // This migration alone (later ones, such as compact_patients, are timed by their own tests).
  const only = migrationsDirUpTo(tmpDir, version, 'to-version');
  t = process.hrtime.bigint();
  migrate(db, { migrationsDir: only });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const kept = db.prepare('SELECT count(*) AS n FROM consents WHERE created_text IS NOT NULL OR updated_text IS NOT NULL OR hlc_text IS NOT NULL').get() as { n: number };
  db.close();
  const inPlace = storageSplit(migrated, null);
  const vacuumed = openDatabase(migrated);
  vacuumed.exec('VACUUM');
  vacuumed.close();
  const after = storageSplit(migrated, null);
  const bytesOf = (s: ReturnType<typeof storageSplit>) => s.btrees.find((b) => b.name === 'consents')?.bytesPerConsent ?? Number.NaN;
  return [
    {
      name: `migration 0026 on ${rows.toLocaleString('en-US')} consents`,
      value: seconds,
      unit: 's',
      baseline: { name: 'one UPDATE rewriting every consent row', value: rewriteSeconds, unit: 's' },
      ratio: seconds / rewriteSeconds,
      note: `${kept.n.toLocaleString('en-US')} rows kept a text form (1 in 1,000 seeded odd); the migration adds, fills and drops columns: several passes over the table`,
    },
    {
      name: 'consents table b-tree, bytes per consent (dbstat)',
      value: bytesOf(after),
      unit: 'B',
      baseline: { name: 'the same rows at 0025', value: bytesOf(before), unit: 'B' },
      ratio: bytesOf(after) / bytesOf(before),
      note: `after VACUUM; in place right after the migration ${bytesOf(inPlace).toFixed(0)} B (freed space stays in the pages until VACUUM); file ${after.fileBytesPerConsent.toFixed(0)} B/consent against ${before.fileBytesPerConsent.toFixed(0)}; now ${formatColumnSplit(consentColumnSplit(migrated, null))}; before ${formatColumnSplit(beforeSplit)}`,
    },
  ];
};

export default bench;
