// Consent import throughput: a deterministic synthetic CSV imported with full validation through the real
// pipeline (in-process), against Debian's sqlite3 CLI `.import --csv` of the same file into a bare table.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../main/db/connection';
import { migrate } from '../main/db/migrate';
import { runConsentImport } from '../main/imports/pipeline';
import { createImportRun } from '../main/imports/runs';
import { generateConsentsCsv } from '../scripts/generate-consents';
import type { Bench, Figure } from './types';

const SQLITE_CLI = '/usr/bin/sqlite3';
const MB = 2 ** 20;

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

const bench: Bench = async ({ tmpDir, rows }) => {
  const file = path.join(tmpDir, 'consents.csv');
  let t = process.hrtime.bigint();
  const bytes = generateConsentsCsv(file, { rows, seed: 42 });
  const generateSeconds = Number(process.hrtime.bigint() - t) / 1e9;

  const baseline = cliBaseline(file, tmpDir);

  const dataDir = path.join(tmpDir, 'data');
  const db = openDatabase(path.join(dataDir, 'custodian.sqlite'));
  migrate(db);
  const runId = createImportRun(db, { filePath: file, fileName: 'consents.csv', fileSize: bytes, format: 'csv', dryRun: false, startedBy: 'bench' });
  let peakRss = process.memoryUsage.rss();
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage.rss()));
  const sampler = setInterval(sample, 100);
  t = process.hrtime.bigint();
  const summary = await runConsentImport(db, runId, { checkpoint: null, saveCheckpoint: sample, report: sample, cancelled: false }, { dataDir });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  clearInterval(sampler);
  db.close();
  const maxRss = (process.resourceUsage().maxRSS * 1024) / MB;
  const rate = summary.rows_read / seconds;
  const ms = summary.timings;
  const sec = (v: number) => `${(v / 1000).toFixed(1)} s`;
  const perRow = (v: number) => `${((1000 * v) / summary.rows_read).toFixed(1)} µs/row`;
  // Measured by the pipeline: parse/validate/hash run before the write lock is taken; insert is the time the lock
  // is held (lookups, multi-row INSERTs, COMMIT); pause is sleeping that reading the next chunk did not cover.
  const split = [
    `parse ${sec(ms.parseMs)} (${perRow(ms.parseMs)})`,
    `validate ${sec(ms.validateMs)} (${perRow(ms.validateMs)})`,
    `pseudonym + document hash ${sec(ms.hashMs)} (${perRow(ms.hashMs)})`,
    `insert (lookups + writes, under the lock) ${sec(ms.writeMs - ms.commitMs)} (${perRow(ms.writeMs - ms.commitMs)})`,
    `commit ${sec(ms.commitMs)}`,
    `writer pause ${sec(ms.pauseMs)}`,
    `other ${sec(seconds * 1000 - ms.parseMs - ms.validateMs - ms.hashMs - ms.writeMs - ms.pauseMs)}`,
  ].join(', ');

  const figures: Figure[] = [
    {
      name: 'import rows/s (full validation, 1 row = consent + history + outbox event)',
      value: rate,
      unit: 'rows/s',
      ...(baseline ? { baseline: { name: 'sqlite3 CLI .import --csv (bare table)', value: baseline.rows / baseline.seconds, unit: 'rows/s' }, ratio: rate / (baseline.rows / baseline.seconds) } : {}),
      note: `${summary.rows_read.toLocaleString('en-US')} rows (${(bytes / MB).toFixed(0)} MB) in ${seconds.toFixed(1)} s; accepted ${summary.accepted}, rejected ${summary.rejected}, duplicate ${summary.duplicate}; target >= 0.3x${baseline ? '' : '; sqlite3 CLI not installed: baseline unavailable'}`,
    },
    { name: 'import time split', value: seconds, unit: 's', note: split },
    { name: 'import peak RSS', value: Math.max(peakRss / MB, maxRss), unit: 'MB', note: `sampled ${(peakRss / MB).toFixed(0)} MB, resourceUsage().maxRSS ${maxRss.toFixed(0)} MB (whole process, incl. the import's 48 MB SQLite page cache); target < 300 MB` },
    { name: 'synthetic CSV generation', value: rows / generateSeconds, unit: 'rows/s', note: `scripts/generate-consents.ts, ${generateSeconds.toFixed(1)} s` },
  ];
  return figures;
};

export default bench;
