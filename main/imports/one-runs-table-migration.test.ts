// The one-runs-table migration alone (found by name, so a renumbering at merge needs no change here): a database
// at the version before it, with runs of every kind in their three tables (one roster run interrupted half-way
// by a kill, its job holding the checkpoint), is migrated; every run is in import_runs once with its counts and
// its error as {code, message}, ids never collide, what referenced a run follows it, and the interrupted roster
// run resumes under its new id: the rows after its checkpoint are stored, the two before it are not stored
// twice, and its rejects go on into the rejects file it started.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';
import { tempDir } from '../consents/test-support';
import { TEST_NPIS } from '../credentials/test-support';
import { runRosterImport } from '../credentials/roster-import';
import type { ImportHooks } from './adapter';
import { csvRejectsHeader } from './rejects';
import { getRun } from './run-table';

const version = readMigrationFiles(defaultMigrationsDir()).find((f) => /_one_import_runs_table\.sql$/.test(f.name))!.version;
const NOW = '2026-01-01T00:00:00.000Z';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = tempDir('custodian-one-runs-migration-');
  db = openDatabase(path.join(dir, 'db.sqlite'));
  migrate(db, { migrationsDir: migrationsDirUpTo(dir, version - 1) });
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A roster of five rows (the fourth refused: a bad NPI), killed after its first two rows were committed. */
function seedInterruptedRoster(): { file: string; rejectsPath: string } {
  const file = path.join(dir, 'roster.csv');
  const header = 'npi,name\n';
  const rows = [`${TEST_NPIS[0]},Dr Ada\n`, `${TEST_NPIS[1]},Dr Bo\n`, `${TEST_NPIS[2]},Dr Cy\n`, '1234567890,Dr Bad\n', `${TEST_NPIS[3]},Dr Di\n`];
  fs.writeFileSync(file, header + rows.join(''));
  const stat = fs.statSync(file);
  const rejectsPath = path.join(dir, 'imports', 'roster-2-rejects.csv');
  fs.mkdirSync(path.dirname(rejectsPath), { recursive: true });
  fs.writeFileSync(rejectsPath, csvRejectsHeader(['npi', 'name']));
  const checkpoint = {
    v: 1,
    size: stat.size,
    mtimeMs: stat.mtimeMs,
    position: { offset: Buffer.byteLength(header + rows[0]! + rows[1]!), row: 2, nextLine: 4 },
    rejectsBytes: fs.statSync(rejectsPath).size,
    header: ['npi', 'name'],
  };
  db.prepare(
    `INSERT INTO roster_import_runs (id, job_id, file_name, file_path, file_size, rows_read, providers_added, rejects_path, started_by, created_at)
     VALUES (2, 'job-roster-2', 'roster.csv', ?, ?, 2, 2, ?, 'staff-1', ?)`,
  ).run(file, stat.size, rejectsPath, NOW);
  db.prepare(`INSERT INTO jobs (id, kind, state, params, checkpoint, done) VALUES ('job-roster-2', 'import.providers', 'interrupted', ?, ?, 2)`).run(
    JSON.stringify({ runId: 2, domain: null }),
    JSON.stringify(checkpoint),
  );
  const provider = db.prepare(`INSERT INTO providers (npi, name, source, created_at, updated_at) VALUES (?, ?, 'roster:2', ?, ?)`);
  provider.run(TEST_NPIS[0], 'Dr Ada', NOW, NOW);
  provider.run(TEST_NPIS[1], 'Dr Bo', NOW, NOW);
  return { file, rejectsPath };
}

function seedOthers(): void {
  // Two consent runs (ids 1 and 2, the same as the roster run's: ids were per table), one referenced.
  const consentRun = db.prepare(
    `INSERT INTO import_runs (id, job_id, file_name, file_path, file_size, format, dry_run, rows_read, accepted, updated, rejected, duplicate, consents_written, outcome, error, started_by, created_at)
     VALUES (?, ?, ?, '/x/c.csv', 10, ?, 0, ?, ?, 0, ?, 1, ?, ?, ?, 'staff-1', ?)`,
  );
  consentRun.run(1, 'job-c1', 'c.csv', 'csv', 4, 3, 0, 3, 'failed', 'Line 9: a quoted field is never closed', NOW);
  consentRun.run(2, 'job-c2', 'c.ndjson', 'fhir', 2, 2, 0, 5, 'succeeded', null, NOW);
  db.prepare('INSERT INTO import_duplicates (run_id, consent_id, row) VALUES (2, 77, 1)').run();
  db.prepare(
    `INSERT INTO roster_import_runs (id, job_id, file_name, file_path, file_size, rows_read, providers_added, rejected, outcome, error, started_by, created_at)
     VALUES (1, 'job-roster-1', 'old.csv', '/x/old.csv', 9, 3, 3, 0, 'succeeded', NULL, 'staff-1', ?)`,
  ).run(NOW);
  db.prepare(
    `INSERT INTO claim_import_runs (id, job_id, file_name, file_path, file_size, rows_read, passed, failed, rejected, duplicate, outcome, error, started_by, created_at)
     VALUES (1, 'job-claims-1', 'claims.csv', '/x/claims.csv', 120, 6, 3, 1, 1, 1, 'failed', 'CLAIMS_HEADER_MISSING: The header names no claim_id column.', 'staff-2', ?)`,
  ).run(NOW);
  db.prepare(`INSERT INTO jobs (id, kind, state, params) VALUES ('job-claims-1', 'import.claims', 'failed', '{"runId":1}')`).run();
}

const hooks = (checkpoint: unknown): ImportHooks => ({ checkpoint, saveCheckpoint() {}, report() {}, cancelled: false });

describe('one import runs table migration', () => {
  it('moves every run into import_runs with ids that never collide, its counts, and its error as {code, message}', () => {
    seedInterruptedRoster();
    seedOthers();
    migrate(db, { migrationsDir: migrationsDirUpTo(dir, version, `migrations-${version}-full`) });
    expect(schemaVersion(db)).toBe(version);

    const runs = db.prepare('SELECT id, kind, job_id FROM import_runs ORDER BY id').all();
    // Consent runs keep their ids (consents reference them); rosters follow, then claims.
    expect(runs).toEqual([
      { id: 1, kind: 'consents', job_id: 'job-c1' },
      { id: 2, kind: 'consents', job_id: 'job-c2' },
      { id: 3, kind: 'providers', job_id: 'job-roster-1' },
      { id: 4, kind: 'providers', job_id: 'job-roster-2' },
      { id: 5, kind: 'claims', job_id: 'job-claims-1' },
    ]);
    expect(getRun(db, 1)).toMatchObject({
      format: 'csv',
      rows_read: 4,
      rejected: 0,
      counts: { rows_read: 4, accepted: 3, updated: 0, rejected: 0, duplicate: 1, consents_written: 3 },
      error: { code: 'IMPORT_FAILED', message: 'Line 9: a quoted field is never closed' },
    });
    expect(getRun(db, 2)).toMatchObject({ format: 'fhir', error: null, counts: { consents_written: 5 } });
    expect(getRun(db, 4)).toMatchObject({ kind: 'providers', rows_read: 2, counts: { rows_read: 2, providers_added: 2, providers_updated: 0, credentials_added: 0, duplicate: 0, rejected: 0 } });
    expect(getRun(db, 5)).toMatchObject({
      kind: 'claims',
      rows_read: 6,
      rejected: 1,
      counts: { rowsRead: 6, passed: 3, failed: 1, rejected: 1, duplicate: 1 },
      error: { code: 'CLAIMS_HEADER_MISSING', message: 'The header names no claim_id column.' },
    });
    // A run asked for as another kind is not found under that kind.
    expect(getRun(db, 2, 'providers')).toBeUndefined();

    // What referenced a run follows it; the consents' foreign keys still hold.
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.prepare('SELECT run_id FROM import_duplicates').get()).toEqual({ run_id: 2 });
    expect(db.prepare('SELECT DISTINCT source FROM providers').all()).toEqual([{ source: 'roster:4' }]);
    expect(db.prepare(`SELECT json_extract(params, '$.runId') AS runId FROM jobs WHERE id IN ('job-roster-2', 'job-claims-1') ORDER BY id`).all()).toEqual([{ runId: 5 }, { runId: 4 }]);
    expect(db.prepare(`SELECT name FROM sqlite_schema WHERE name IN ('roster_import_runs', 'claim_import_runs')`).all()).toEqual([]);
    // The table refuses a run of no known kind and an error without its code.
    expect(() => db.prepare(`INSERT INTO import_runs (kind, file_name, file_path, file_size, format, dry_run, started_by, created_at) VALUES ('x', 'f', 'f', 1, 'csv', 0, 's', ?)`).run(NOW)).toThrow(/CHECK/);
    expect(() => db.prepare(`UPDATE import_runs SET error_code = NULL WHERE id = 1`).run()).toThrow(/CHECK/);
  });

  it('resumes a roster run killed before the migration under its new id: no row lost, none stored twice', async () => {
    const { rejectsPath } = seedInterruptedRoster();
    seedOthers();
    migrate(db, { migrationsDir: migrationsDirUpTo(dir, version, `migrations-${version}-full`) });

    const job = db.prepare(`SELECT params, checkpoint FROM jobs WHERE id = 'job-roster-2'`).get() as { params: string; checkpoint: string };
    const { runId } = JSON.parse(job.params) as { runId: number };
    expect(runId).toBe(4);
    const summary = await runRosterImport(db, runId, hooks(JSON.parse(job.checkpoint)), { domain: null, dataDir: dir });

    expect(summary).toMatchObject({ outcome: 'succeeded', rows_read: 5, providers_added: 4, rejected: 1, duplicate: 0, rejectsPath });
    expect(db.prepare('SELECT npi, source FROM providers ORDER BY id').all()).toEqual([
      { npi: TEST_NPIS[0], source: 'roster:4' },
      { npi: TEST_NPIS[1], source: 'roster:4' },
      { npi: TEST_NPIS[2], source: 'roster:4' },
      { npi: TEST_NPIS[3], source: 'roster:4' },
    ]);
    // The rejects file the run started before the migration holds its header once and the refused row.
    const rejects = fs.readFileSync(rejectsPath, 'utf8').trim().split('\r\n');
    expect(rejects).toHaveLength(2);
    expect(rejects[0]).toBe('npi,name,reject_row,reject_line,reject_reason');
    expect(rejects[1]).toMatch(/^1234567890,Dr Bad,4,5,npi: /);
    expect(fs.existsSync(path.join(dir, 'imports', 'roster-4-rejects.csv'))).toBe(false);
    expect(getRun(db, runId)).toMatchObject({ outcome: 'succeeded', rows_read: 5, rejected: 1, rejects_path: rejectsPath, error: null, file_hash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
  });
});
