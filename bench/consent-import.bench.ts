// Consent import throughput: a deterministic synthetic CSV imported with full validation the way the console
// runs it (an import.consents job in a worker thread, the main thread beating beside it), against Debian's
// sqlite3 CLI `.import --csv` of the same file into a bare table, and against the floor of this schema: the same
// rows written by SQLite alone (INSERT ... SELECT, one transaction per table, no parsing, checks or lookups).
// The import runs twice: on a plain database and encrypted at rest (as the console runs), printed side by side.
// Debian's sqlite3 CLI has no cipher, so its baseline loads a plain file: a reference load of synthetic rows.
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { dbKeyFromBytes, openDatabase, type DbKey } from '../main/db/connection';
import { migrate } from '../main/db/migrate';
import { migrationsDirUpTo } from '../main/db/migration-test-support';
import { MultiRowInsert } from '../main/db/multi-row-insert';
import { IMPORT_CACHE_MB, type ImportSummary } from '../main/imports/pipeline';
import { createImportRun } from '../main/imports/runs';
import { JOB_WORKER_OLD_GENERATION_MB } from '../main/workers/job-runner';
import { pathToFileURL } from 'node:url';
import { generateConsentsCsv } from '../scripts/generate-consents';
import { consentColumnSplit, formatColumnSplit, formatStorageSplit, storageSplit } from './consent-storage';
import type { Bench, Figure } from './types';

const SQLITE_CLI = '/usr/bin/sqlite3';
const MB = 2 ** 20;
const CUSTODIAN_CLI = path.resolve(import.meta.dirname, '../bin/custodian.mjs');
/** The importing process's peak RSS at 1,000,000 rows on Node 20, the figure Node 24 is held to (issue #17). */
const NODE20_IMPORT_PEAK_RSS_MB = 285;
const PEAK_RSS_TARGET_MB = 300;

/**
 * `custodian import consents FILE` as a person runs it: a process of its own on a data folder of its own (set up
 * as an IT admin does, so the database is encrypted at rest; no chain), timed, with the process's peak RSS
 * written at exit by bench/max-rss-preload.ts.
 */
function cliImport(file: string, tmpDir: string): { seconds: number; rows: number; maxRssMb: number; smallRunMaxRssMb: number } {
  const dataDir = path.join(tmpDir, 'cli-data');
  const rssFile = path.join(tmpDir, 'cli-max-rss');
  const env = { ...process.env, CUSTODIAN_CHAIN: 'none', CUSTODIAN_RPC_URL: '', CUSTODIAN_USER: 'admin', CUSTODIAN_PASSWORD: 'benchmark staff password 42', BENCH_MAX_RSS_FILE: rssFile };
  const custodian = (args: string[], nodeArgs: string[] = []) =>
    spawnSync(process.execPath, [...nodeArgs, CUSTODIAN_CLI, ...args, '--data-dir', dataDir], { encoding: 'utf8', maxBuffer: 1 << 24, env });
  const setup = custodian(['setup', '--user', 'admin', '--name', 'Bench Admin']);
  if (setup.status !== 0) throw new Error(`custodian setup failed: ${setup.stderr}`);
  const importMeasured = (csv: string) => {
    fs.rmSync(rssFile, { force: true });
    const t = process.hrtime.bigint();
    const run = custodian(['import', 'consents', csv, '--json'], ['--import', pathToFileURL(path.join(import.meta.dirname, 'max-rss-preload.ts')).href]);
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    if (run.status !== 0) throw new Error(`custodian import consents failed: ${run.stderr}`);
    const { rowsRead } = JSON.parse(run.stdout) as { rowsRead: number };
    return { seconds, rows: rowsRead, maxRssMb: Number(fs.readFileSync(rssFile, 'utf8')) / MB };
  };
  // The command's own floor (start-up, the key's and the sign-in's scrypt), whatever the file: its first 10 rows.
  const small = path.join(tmpDir, 'cli-small.csv');
  const head = Buffer.alloc(64 * 1024);
  const fd = fs.openSync(file, 'r');
  const read = fs.readSync(fd, head, 0, head.length, 0);
  fs.closeSync(fd);
  fs.writeFileSync(small, `${head.subarray(0, read).toString('utf8').split('\n').slice(0, 11).join('\n')}\n`);
  const smallRun = importMeasured(small);
  return { ...importMeasured(file), smallRunMaxRssMb: smallRun.maxRssMb };
}

function cliBaseline(file: string, tmpDir: string): { seconds: number; rows: number } | null {
  if (!fs.existsSync(SQLITE_CLI)) return null;
  const db = path.join(tmpDir, 'baseline.sqlite');
  const script = [
    'CREATE TABLE t (external_id, facility, mrn, patient_name, birth_date, grantee, grantee_kind, decision, purpose, category, period_start, period_end, document_hash);',
    `.import --csv --skip 1 ${file} t`,
    'SELECT count(*) FROM t;',
  ].join('\n');
  const t = process.hrtime.bigint();
  const r = spawnSync(SQLITE_CLI, [db], { input: script, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`sqlite3 .import failed: ${r.stderr}`);
  return { seconds, rows: Number(r.stdout.trim()) };
}

/** The stored columns of `table` that the attached `src` database also has, as a column list. */
function sharedColumns(db: ReturnType<typeof openDatabase>, table: string): string {
  const names = (schema: string, pragma = 'table_info') => (db.pragma(`${schema}.${pragma}(${table})`) as { name: string }[]).map((c) => c.name);
  // The source's generated columns count (table_xinfo): the schema before 0021 stores consents.document_hash, which
  // the compact store generates from its bytes (table_info leaves it out, and the before copy failed NOT NULL).
  const inSource = new Set(names('src', 'table_xinfo'));
  return names('main')
    .filter((c) => inSource.has(c))
    .join(', ');
}

/**
 * Copies a table's stored (not generated) columns from the attached `src`, in id order: the columns both layouts
 * have (the schema before the compact store keeps its import run counts in columns of their own, left at 0 here).
 */
function copyTable(db: ReturnType<typeof openDatabase>, table: string, where = '', order = 'id', from: string = table): void {
  const cols = sharedColumns(db, table);
  db.exec(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM src.${from}${where} ORDER BY ${order}`);
}

/**
 * What SQLite alone needs to store the imported rows with this schema's tables, indexes and constraints: every
 * patient, consent, history and outbox row copied from the imported database into a fresh one, in id order (the
 * order the import wrote them), one transaction per table, with the import's page cache.
 */
function engineFloor(imported: string, tmpDir: string): { seconds: number; perTable: string } {
  const db = openDatabase(path.join(tmpDir, 'floor', 'custodian.sqlite'));
  migrate(db);
  db.pragma(`cache_size = ${-IMPORT_CACHE_MB * 1024}`);
  db.pragma('wal_autocheckpoint = 16384');
  db.exec(`ATTACH DATABASE '${imported.replaceAll("'", "''")}' AS src`);
  copyTable(db, 'import_runs');
  const parts: string[] = [];
  let total = 0;
  copyTable(db, 'outbox_ref_hashes', ' WHERE text NOT IN (SELECT text FROM main.outbox_ref_hashes)', 'text');
  for (const [table, where] of [
    ['patients', ''],
    ['consents', ''],
    ['consent_history', ''],
    ['outbox', ` WHERE kind = 'consent.change'`],
    ['outbox_refs', ''],
  ] as const) {
    const t = process.hrtime.bigint();
    db.transaction(() => copyTable(db, table, where, table === 'outbox_refs' ? 'outbox_id' : 'id'))();
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    total += s;
    parts.push(`${table} ${s.toFixed(1)} s`);
  }
  db.close();
  return { seconds: total, perTable: parts.join(', ') };
}

/**
 * The floor of an import that shares SQLite's one write lock with the console: the same rows copied into a fresh
 * database as the import writes them, every table in the same transaction, in transactions of `rowsPerTxn`
 * consents (with their new patients, history and outbox events). No parsing, no validation, no lookups. `from`:
 * 'sql' copies by INSERT ... SELECT (what SQLite alone needs for this transaction pattern); 'js' reads each
 * transaction's rows into JavaScript first (untimed) and writes them with the import's own multi-row INSERTs, so
 * every value is bound from JavaScript as an import must (what any import in this stack needs at the least).
 */
function lockSharingFloor(imported: string, tmpDir: string, rowsPerTxn: number, from: 'sql' | 'js'): { seconds: number; commitSeconds: number; transactions: number } {
  const db = openDatabase(path.join(tmpDir, `floor-shared-${from}-${rowsPerTxn}`, 'custodian.sqlite'));
  migrate(db);
  db.pragma(`cache_size = ${-IMPORT_CACHE_MB * 1024}`);
  db.pragma('wal_autocheckpoint = 16384');
  db.exec(`ATTACH DATABASE '${imported.replaceAll("'", "''")}' AS src`);
  copyTable(db, 'import_runs');
  copyTable(db, 'outbox_ref_hashes', ' WHERE text NOT IN (SELECT text FROM main.outbox_ref_hashes)', 'text');
  const tables = [
    ['patients', 'id'],
    ['consents', 'id'],
    ['consent_history', 'id'],
    ['outbox', 'id'],
    ['outbox_refs', 'outbox_id'],
  ] as const;
  const columns = new Map(tables.map(([table]) => [table, sharedColumns(db, table)]));
  const writers = new Map(tables.map(([table]) => [table, new MultiRowInsert(db, `INSERT INTO ${table} (${columns.get(table)!})`, columns.get(table)!.split(', ').length)]));
  // The import writes consents, their patients and their events in the same order: each transaction takes the
  // next consents by id, the patients up to the highest one they reference, the events up to their highest one.
  const refs = db.prepare('SELECT source_id, outbox_id FROM src.outbox_refs ORDER BY source_id').raw().all() as [number, number][];
  const lastConsent = db.prepare('SELECT coalesce(max(id), 0) FROM src.consents').pluck().get() as number;
  const maxPatient = db.prepare('SELECT max(patient_id) FROM src.consents WHERE id BETWEEN ? AND ?').pluck();
  let patient = 0;
  let event = 0;
  let ref = 0;
  let ns = 0n;
  let commitNs = 0n;
  let transactions = 0;
  for (let lo = 1; lo <= lastConsent; lo += rowsPerTxn) {
    const hi = lo + rowsPerTxn - 1;
    let toEvent = event;
    for (; ref < refs.length && refs[ref]![0] <= hi; ref++) toEvent = Math.max(toEvent, refs[ref]![1]);
    const toPatient = Math.max(patient, (maxPatient.get(lo, hi) as number | null) ?? 0);
    const where: Record<(typeof tables)[number][0], string> = {
      patients: ` WHERE id > ${patient} AND id <= ${toPatient}`,
      consents: ` WHERE id BETWEEN ${lo} AND ${hi}`,
      consent_history: ` WHERE consent_id BETWEEN ${lo} AND ${hi}`,
      outbox: ` WHERE kind = 'consent.change' AND id > ${event} AND id <= ${toEvent}`,
      outbox_refs: ` WHERE outbox_id > ${event} AND outbox_id <= ${toEvent}`,
    };
    const rows =
      from === 'js' ? new Map(tables.map(([table, order]) => [table, db.prepare(`SELECT ${columns.get(table)!} FROM src.${table}${where[table]} ORDER BY ${order}`).raw().all() as unknown[][]])) : null;
    const t = process.hrtime.bigint();
    db.exec('BEGIN IMMEDIATE');
    for (const [table, order] of tables) {
      if (rows) {
        // Written in read-batch-sized statements as the import flushes them (parents first: foreign keys).
        for (const row of rows.get(table)!) writers.get(table)!.add(row);
        writers.get(table)!.flush();
      } else copyTable(db, table, where[table], order);
    }
    const c = process.hrtime.bigint();
    db.exec('COMMIT');
    const end = process.hrtime.bigint();
    commitNs += end - c;
    ns += end - t;
    transactions++;
    patient = toPatient;
    event = toEvent;
  }
  // A range that missed rows would make the floor look faster than it is: every row must have been copied.
  for (const [table] of tables) {
    const filter = table === 'outbox' ? ` WHERE kind = 'consent.change'` : '';
    const count = (schema: string) => db.prepare(`SELECT count(*) FROM ${schema}.${table}${filter}`).pluck().get() as number;
    if (count('main') !== count('src')) throw new Error(`lockSharingFloor copied ${count('main')} of ${count('src')} rows of ${table}`);
  }
  db.close();
  return { seconds: Number(ns) / 1e9, commitSeconds: Number(commitNs) / 1e9, transactions };
}

/** The last schema before the compact store (issue #14): the "before" of every bytes-per-consent figure. */
const SCHEMA_BEFORE_COMPACT = 19;

/**
 * The same imported rows as the schema before the compact store (migration 0019) held them: the same patients,
 * consents and outbox events, plus the 'create' history row it wrote per imported consent. Timed like the floor
 * above (one transaction per table), so it is also that schema's floor; measured with dbstat like the import.
 */
function schemaBeforeCopy(imported: string, tmpDir: string): { seconds: number; dbPath: string } {
  const dbPath = path.join(tmpDir, 'before', 'custodian.sqlite');
  const db = openDatabase(dbPath);
  migrate(db, { migrationsDir: migrationsDirUpTo(tmpDir, SCHEMA_BEFORE_COMPACT) });
  db.pragma(`cache_size = ${-IMPORT_CACHE_MB * 1024}`);
  db.pragma('wal_autocheckpoint = 16384');
  db.exec(`ATTACH DATABASE '${imported.replaceAll("'", "''")}' AS src`);
  copyTable(db, 'import_runs');
  const t = process.hrtime.bigint();
  db.transaction(() => copyTable(db, 'patients'))();
  db.transaction(() => copyTable(db, 'consents'))();
  db.transaction(() => {
    // What 0019's store wrote beside every consent an import row created, in the order it wrote them.
    db.exec(`INSERT INTO consent_history (consent_id, action, actor, at, detail)
             SELECT id, 'create', source, created_at, json_object('row', source_row, 'run', import_run_id) FROM src.consents
              WHERE import_run_id IS NOT NULL AND source_row IS NOT NULL ORDER BY id`);
    db.exec('INSERT INTO consent_history (consent_id, action, actor, at, detail) SELECT consent_id, action, actor, at, detail FROM src.consent_history ORDER BY id');
  })();
  // Payloads as that schema stored them: copies (the view rebuilds those stored by reference since 0023).
  db.transaction(() => copyTable(db, 'outbox', ` WHERE kind = 'consent.change'`, 'id', 'outbox_events'))();
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  db.close();
  return { seconds, dbPath };
}

/**
 * The same floor built the bulk-load way: the rows into the four tables with only their primary keys, then every
 * secondary index created from the loaded rows (a sorted build). Not something a live console can do to its
 * tables, but the cheapest way SQLite has to end with these tables and indexes.
 */
function bulkBuildFloor(imported: string, tmpDir: string): { seconds: number; rowsSeconds: number; bytes: number } {
  const file = path.join(tmpDir, 'floor-bulk', 'custodian.sqlite');
  const db = openDatabase(file);
  migrate(db);
  db.pragma(`cache_size = ${-IMPORT_CACHE_MB * 1024}`);
  db.pragma('wal_autocheckpoint = 16384');
  const tables = ['patients', 'consents', 'consent_history', 'outbox', 'outbox_refs'];
  const indexes = db
    .prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${tables.map(() => '?').join(', ')})`)
    .all(...tables) as { name: string; sql: string }[];
  for (const ix of indexes) db.exec(`DROP INDEX ${ix.name}`);
  db.exec(`ATTACH DATABASE '${imported.replaceAll("'", "''")}' AS src`);
  copyTable(db, 'import_runs');
  copyTable(db, 'outbox_ref_hashes', ' WHERE text NOT IN (SELECT text FROM main.outbox_ref_hashes)', 'text');
  const t = process.hrtime.bigint();
  db.transaction(() => {
    for (const table of tables) copyTable(db, table, table === 'outbox' ? ` WHERE kind = 'consent.change'` : '', table === 'outbox_refs' ? 'outbox_id' : 'id');
  })();
  const rowsSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  db.transaction(() => {
    for (const ix of indexes) db.exec(ix.sql);
  })();
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { seconds, rowsSeconds, bytes: fs.statSync(file).size };
}

const bench: Bench = async ({ tmpDir, rows }) => {
  const file = path.join(tmpDir, 'consents.csv');
  let t = process.hrtime.bigint();
  const bytes = generateConsentsCsv(file, { rows, seed: 42 });
  const generateSeconds = Number(process.hrtime.bigint() - t) / 1e9;

  const baseline = cliBaseline(file, tmpDir);

  const cli = baseline ? { name: 'sqlite3 CLI .import --csv (bare table)', value: baseline.rows / baseline.seconds, unit: 'rows/s' } : null;
  /** A rows/s figure's baseline and ratio: the CLI's bare-table load, when the CLI is installed. */
  const againstCli = (rate: number) => (cli ? { baseline: cli, ratio: rate / cli.value } : {});
  const sec = (v: number) => `${(v / 1000).toFixed(1)} s`;
  const figures: Figure[] = [];
  /**
   * One import job in a child process, into a fresh data folder; with `key`, the database is encrypted at rest.
   * `oldGenerationMb`: the job worker's old-generation cap ('none': V8's default), the production cap if not given.
   */
  const importOnce = (folder: string, key: DbKey | null, oldGenerationMb?: string) => {
    const dbPath = path.join(tmpDir, folder, 'custodian.sqlite');
    const db = openDatabase(dbPath, { key });
    migrate(db);
    const runId = createImportRun(db, { filePath: file, fileName: 'consents.csv', fileSize: bytes, format: 'csv', dryRun: false, startedBy: 'bench' });
    db.close();
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'consent-import-child.ts'), dbPath, String(runId)], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
      // The key in the environment, not argv (which any local user can read with ps).
      env: { ...process.env, BENCH_DB_KEY: key?.hex ?? '', ...(oldGenerationMb ? { BENCH_OLD_GENERATION_MB: oldGenerationMb } : {}) },
    });
    if (child.status !== 0) throw new Error(`the import failed: ${child.stderr}`);
    const out = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { seconds: number; summary: ImportSummary; rssBeforeMb: number; maxRssMb: number };
    return { ...out, dbPath, rate: out.summary.rows_read / out.seconds };
  };
  {
    const { seconds, summary, rssBeforeMb, maxRssMb, dbPath, rate } = importOnce('data', null);
    const encryptedKey = dbKeyFromBytes(crypto.randomBytes(32));
    const encrypted = importOnce('data-encrypted', encryptedKey);
    const ms = summary.timings;
    const perRow = (v: number) => `${((1000 * v) / summary.rows_read).toFixed(1)} µs/row`;
    // Measured by the pipeline in the job worker: parse/validate/hash of each read batch; insert is storing the
    // batches (lookups, multi-row INSERTs); commit the COMMITs; pause is time given to other writers.
    const split = [
      `parse ${sec(ms.parseMs)} (${perRow(ms.parseMs)})`,
      `validate ${sec(ms.validateMs)} (${perRow(ms.validateMs)})`,
      `pseudonym + document hash ${sec(ms.hashMs)} (${perRow(ms.hashMs)})`,
      `insert (lookups + writes, under the lock) ${sec(ms.writeMs - ms.commitMs)} (${perRow(ms.writeMs - ms.commitMs)})`,
      `commit ${sec(ms.commitMs)}`,
      `writer pause ${sec(ms.pauseMs)} (${ms.transactions} transactions, ${ms.yieldedToMain} ended for the main thread)`,
      `other ${sec(seconds * 1000 - ms.parseMs - ms.validateMs - ms.hashMs - ms.writeMs - ms.pauseMs)}`,
    ].join(', ');
    figures.push(
      {
        name: 'import rows/s (full validation, 1 row = consent + outbox event)',
        value: rate,
        unit: 'rows/s',
        ...againstCli(rate),
        note: `${summary.rows_read.toLocaleString('en-US')} rows (${(bytes / MB).toFixed(0)} MB) in ${seconds.toFixed(1)} s; accepted ${summary.accepted}, rejected ${summary.rejected}, duplicate ${summary.duplicate}; target >= 0.1x the CLI and >= 0.7x the floor below${cli ? '' : '; sqlite3 CLI not installed: baseline unavailable'}`,
      },
      {
        name: 'import rows/s, encrypted database',
        value: encrypted.rate,
        unit: 'rows/s',
        baseline: { name: 'import rows/s, plain database (same run)', value: rate, unit: 'rows/s' },
        ratio: encrypted.rate / rate,
        note: `encrypted at rest (SQLCipher 4 format via SQLite3MultipleCiphers, as the console runs): ${encrypted.seconds.toFixed(1)} s against ${seconds.toFixed(1)} s plain; peak RSS ${encrypted.maxRssMb.toFixed(0)} MB`,
      },
      { name: 'import time split', value: seconds, unit: 's', note: split },
      (() => {
        const split = storageSplit(dbPath, null);
        const before = storageSplit(schemaBeforeCopy(dbPath, tmpDir).dbPath, null);
        return {
          name: 'bytes per consent on disk (database file after a full checkpoint / consents)',
          value: split.fileBytesPerConsent,
          unit: 'B',
          baseline: { name: `the same rows in the schema before the compact store (0019)`, value: before.fileBytesPerConsent, unit: 'B' },
          ratio: split.fileBytesPerConsent / before.fileBytesPerConsent,
          note: `${split.consents.toLocaleString('en-US')} consents; per b-tree (dbstat), bytes per consent, now: ${formatStorageSplit(split)}; ${formatColumnSplit(consentColumnSplit(dbPath, null))}; before (0019): ${formatStorageSplit(before)}; target <= 350 B`,
        };
      })(),
      (() => {
        // What a user's disk holds: the console and the CLI keep the database encrypted at rest, and SQLCipher keeps
        // 80 bytes of every 4,096-byte page for its IV and HMAC (about 2%).
        const plain = storageSplit(dbPath, null);
        const split = storageSplit(encrypted.dbPath, encryptedKey);
        return {
          name: 'bytes per consent on disk, encrypted database',
          value: split.fileBytesPerConsent,
          unit: 'B',
          baseline: { name: 'plain database (same rows, same run)', value: plain.fileBytesPerConsent, unit: 'B' },
          ratio: split.fileBytesPerConsent / plain.fileBytesPerConsent,
          note: `${split.consents.toLocaleString('en-US')} consents; per b-tree: ${formatStorageSplit(split)}; target <= 350 B`,
        };
      })(),
      {
        name: 'import peak RSS (console path)',
        value: maxRssMb,
        unit: 'MB',
        baseline: { name: 'Node 20, 1,000,000 rows', value: NODE20_IMPORT_PEAK_RSS_MB, unit: 'MB' },
        ratio: maxRssMb / NODE20_IMPORT_PEAK_RSS_MB,
        note: `the importing process (an idle main thread and the job's worker thread, ${rssBeforeMb.toFixed(0)} MB before the job started), incl. the import's ${IMPORT_CACHE_MB} MB SQLite page cache; plain database; target < ${PEAK_RSS_TARGET_MB} MB`,
      },
    );
    {
      const cliRun = cliImport(file, tmpDir);
      figures.push({
        name: 'import peak RSS (CLI: custodian import consents)',
        value: cliRun.maxRssMb,
        unit: 'MB',
        baseline: { name: 'Node 20, 1,000,000 rows', value: NODE20_IMPORT_PEAK_RSS_MB, unit: 'MB' },
        ratio: cliRun.maxRssMb / NODE20_IMPORT_PEAK_RSS_MB,
        note: `the whole custodian process as a person runs it (services, sign-in, the job's worker thread; encrypted database, no chain): ${cliRun.rows.toLocaleString('en-US')} rows in ${cliRun.seconds.toFixed(1)} s (${Math.round(cliRun.rows / cliRun.seconds)} rows/s incl. start-up); the same command on 10 rows peaks at ${cliRun.smallRunMaxRssMb.toFixed(0)} MB; target < ${PEAK_RSS_TARGET_MB} MB`,
      });
    }
    // BENCH_OLD_GENERATION_AB=N: N pairs of imports with the job worker's old-generation cap and without it, alternating
    // (A B A B) so load on the machine falls on both alike: what the cap costs in speed, and what it saves in RSS.
    const pairs = Number(process.env.BENCH_OLD_GENERATION_AB ?? 0);
    for (let i = 0; i < pairs; i++) {
      for (const [label, cap] of [
        ['capped', String(JOB_WORKER_OLD_GENERATION_MB)],
        ['uncapped', 'none'],
      ] as const) {
        const r = importOnce(`ab-${i}-${label}`, null, cap);
        figures.push({
          name: `import rows/s, old generation ${label === 'capped' ? `capped at ${cap} MiB` : 'uncapped (V8 default)'}, pair ${i + 1} of ${pairs}`,
          value: r.rate,
          unit: 'rows/s',
          note: `${r.seconds.toFixed(1)} s; peak RSS ${r.maxRssMb.toFixed(0)} MB; plain database`,
        });
      }
    }
    {
      const bulkFloor = bulkBuildFloor(dbPath, tmpDir);
      const floor = engineFloor(dbPath, tmpDir);
      const floorRate = summary.rows_read / floor.seconds;
      figures.push({
        name: 'SQLite floor for this schema (the same rows by INSERT ... SELECT)',
        value: floorRate,
        unit: 'rows/s',
        ...againstCli(floorRate),
        note: `${floor.seconds.toFixed(1)} s (${floor.perTable}); the import above runs at ${(rate / floorRate).toFixed(2)}x this floor. What SQLite itself needs to store these consents with their history, outbox events and indexes: no import of this schema can beat this ratio to the bare-table CLI`,
      });
      // What an import that shares the write lock can reach at best: its own transaction size, copied by SQL and
      // bound from JavaScript; and the whole file in one transaction by SQL (longer transactions do not help).
      const ownTxn = Math.max(1, Math.round(summary.rows_read / Math.max(1, ms.transactions)));
      for (const [rowsPerTxn, from] of [
        [ownTxn, 'sql'],
        [ownTxn, 'js'],
        [summary.rows_read, 'sql'],
      ] as const) {
        const shared = lockSharingFloor(dbPath, tmpDir, rowsPerTxn, from);
        const sharedRate = summary.rows_read / shared.seconds;
        const size = rowsPerTxn === summary.rows_read ? 'the whole file in one transaction' : `${rowsPerTxn.toLocaleString('en-US')} rows per transaction (the import's own)`;
        figures.push({
          name: `SQLite floor of a lock-sharing import, ${size}, ${from === 'sql' ? 'INSERT ... SELECT' : 'values bound from JavaScript'}`,
          value: sharedRate,
          unit: 'rows/s',
          baseline: { name: 'SQLite floor for this schema', value: floorRate, unit: 'rows/s' },
          ratio: sharedRate / floorRate,
          note: `${shared.seconds.toFixed(1)} s in ${shared.transactions} transactions (COMMITs ${shared.commitSeconds.toFixed(1)} s): the same rows, every table in each transaction as the import writes them, ${from === 'sql' ? 'copied by SQL' : "written by the import's multi-row INSERTs"}, no parsing, validation or lookups; ${cli ? `${(sharedRate / cli.value).toFixed(3)}x the CLI` : 'no CLI'}; the import ${(rate / sharedRate).toFixed(2)}x this`,
        });
      }
      const beforeFloor = schemaBeforeCopy(dbPath, path.join(tmpDir, 'before-floor'));
      const beforeRate = summary.rows_read / beforeFloor.seconds;
      figures.push({
        name: 'SQLite floor for the schema before the compact store (0019, same rows + a history row each)',
        value: beforeRate,
        unit: 'rows/s',
        baseline: { name: 'SQLite floor for this schema', value: floorRate, unit: 'rows/s' },
        ratio: beforeRate / floorRate,
        note: `${beforeFloor.seconds.toFixed(1)} s; ${cli ? `${(beforeRate / cli.value).toFixed(2)}x the CLI` : 'no CLI'}`,
      });
      const bulkRate = summary.rows_read / bulkFloor.seconds;
      figures.push({
        name: 'SQLite floor, bulk-load way (rows with primary keys only, then CREATE INDEX)',
        value: bulkRate,
        unit: 'rows/s',
        ...againstCli(bulkRate),
        note: `${bulkFloor.seconds.toFixed(1)} s, of which the rows alone ${bulkFloor.rowsSeconds.toFixed(1)} s (${(summary.rows_read / bulkFloor.rowsSeconds / (cli?.value ?? Number.NaN)).toFixed(2)}x the CLI) and the index builds ${(bulkFloor.seconds - bulkFloor.rowsSeconds).toFixed(1)} s; the database holds ${(bulkFloor.bytes / MB).toFixed(0)} MB for what the CLI stores from a ${(bytes / MB).toFixed(0)} MB file`,
      });
    }
  }
  figures.push({ name: 'synthetic CSV generation', value: rows / generateSeconds, unit: 'rows/s', note: `scripts/generate-consents.ts, ${generateSeconds.toFixed(1)} s` });
  return figures;
};

export default bench;
