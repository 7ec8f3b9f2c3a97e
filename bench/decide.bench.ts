// Decision engine latency with a million consents on file: p50/p99 of decide() over keys that exist and keys
// that do not, against a primary-key lookup of a consent row on the same database in the same run; then the same
// on a database encrypted at rest (as the console runs), beside the plain figure, to show the cipher's overhead.
import crypto from 'node:crypto';
import path from 'node:path';
import { decide } from '../main/access/answers';
import type { DecideQuery } from '../main/access/policy';
import { CATEGORIES, PURPOSES } from '../main/consents/codes';
import { dbKeyFromBytes, KEYED_CACHE_KIB, openDatabase, type Db } from '../main/db/connection';
import { migrate } from '../main/db/migrate';
import { prng } from '../scripts/generate-consents';
import { percentile } from './stats';
import type { Bench } from './types';
import { categoryCode, DECISION_CODE, GRANTEE_KIND_CODE, purposeCode, STATUS_CODE, timeColumns } from '../main/consents/compact-columns';
import { PATIENT_STORED_COLUMNS } from '../main/consents/patient-columns';

interface Run {
  decideUs: number[];
  pkUs: number[];
  permits: number;
  loadSeconds: number;
  patients: number;
}

/**
 * Loads `rows` consents into `db` (unless `loaded`: a database this bench loaded already), then times decide() and a
 * primary-key lookup over the same queries (the same for every database: seeded, deterministic).
 */
function measure(db: Db, rows: number, loaded = false): Run {
  const patients = Math.max(1, Math.floor(rows / 4));
  const now = new Date().toISOString();
  const t = process.hrtime.bigint();
  if (!loaded) load(db, rows, patients, now);
  const loadSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  return { ...time(db, rows, patients), loadSeconds };
}

function load(db: Db, rows: number, patients: number, now: string): void {
  migrate(db);
  // Bulk load inside SQLite (deterministic from the row number) so the bench measures decide, not the importer.
  db.transaction(() => {
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO patients (id, facility, mrn, name, ${PATIENT_STORED_COLUMNS}) SELECT i, 'GH01', 'MRN' || i, 'Patient ' || i, unhex(printf('%064x', i)), ?, ? FROM n`,
    ).run(patients, ...timeColumns(now));
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO consents (patient_id, grantee, grantee_kind_code, decision_code, purpose_code, category_code, period_start, period_end, status_code, document_hash_bin, source_text, seq, created_ms, created_text, updated_ms, updated_text)
       SELECT 1 + (i * 2654435761) % ?, '1' || printf('%09d', (i * 40503) % 2000), ${GRANTEE_KIND_CODE.npi}, CASE WHEN i % 7 = 0 THEN ${DECISION_CODE.deny} ELSE ${DECISION_CODE.permit} END,
         json_extract(?, '$[' || ((i * 31) % 7) || ']'), json_extract(?, '$[' || ((i * 17) % 6) || ']'),
         1577836800 + (i % 1500) * 86400, CASE WHEN i % 3 = 0 THEN NULL ELSE 1577836800 + (i % 1500) * 86400 + 63072000 END,
         CASE WHEN i % 50 = 0 THEN ${STATUS_CODE.revoked} ELSE ${STATUS_CODE.active} END, unhex(printf('%064x', i)), 'bench', 1, ?, ?, ?, ? FROM n`,
    ).run(rows, patients, JSON.stringify(PURPOSES.map(purposeCode)), JSON.stringify(CATEGORIES.map(categoryCode)), ...timeColumns(now), ...timeColumns(now));
  })();
}

function time(db: Db, rows: number, patients: number): Omit<Run, 'loadSeconds'> {

  // Queries: half on keys that exist (sampled rows), half random; times spread over 2020-2026.
  const rand = prng(9);
  const sampleIds = Array.from({ length: 5000 }, () => 1 + Math.floor(rand() * rows));
  const existing = db.prepare('SELECT patient_id, grantee, purpose, category FROM consents WHERE id = ?');
  const queries: DecideQuery[] = [];
  for (const id of sampleIds) {
    const r = existing.get(id) as { patient_id: number; grantee: string; purpose: DecideQuery['purpose']; category: DecideQuery['category'] };
    const at = 1577836800 + Math.floor(rand() * 6 * 365 * 86400);
    queries.push({ patientId: r.patient_id, grantee: r.grantee, purpose: r.purpose === 'ETREAT' ? 'TREAT' : r.purpose, category: r.category, at });
    queries.push({
      patientId: 1 + Math.floor(rand() * patients),
      grantee: `1${String(Math.floor(rand() * 2000)).padStart(9, '0')}`,
      purpose: PURPOSES.filter((p) => p !== 'ETREAT')[Math.floor(rand() * 6)]!,
      category: CATEGORIES[Math.floor(rand() * 6)]!,
      at,
    });
  }
  const pk = db.prepare('SELECT * FROM consents WHERE id = ?');
  for (let i = 0; i < 2000; i++) {
    decide(db, queries[i % queries.length]!);
    pk.get(sampleIds[i % sampleIds.length]);
  }
  const decideUs: number[] = [];
  const pkUs: number[] = [];
  let permits = 0;
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < queries.length; i++) {
      let s = process.hrtime.bigint();
      const r = decide(db, queries[i]!);
      decideUs.push(Number(process.hrtime.bigint() - s) / 1000);
      if (r.decision === 'permit') permits++;
      s = process.hrtime.bigint();
      pk.get(sampleIds[i % sampleIds.length]);
      pkUs.push(Number(process.hrtime.bigint() - s) / 1000);
    }
  }
  db.close();
  decideUs.sort((a, b) => a - b);
  pkUs.sort((a, b) => a - b);
  return { decideUs, pkUs, permits, patients };
}

const bench: Bench = async ({ tmpDir, rows }) => {
  const { decideUs, pkUs, permits, loadSeconds, patients } = measure(openDatabase(path.join(tmpDir, 'decide.sqlite')), rows);
  const key = dbKeyFromBytes(crypto.randomBytes(32));
  const encFile = path.join(tmpDir, 'decide-encrypted.sqlite');
  const encLoaded = measure(openDatabase(encFile, { key }), rows);
  // What the console's page cache (KEYED_CACHE_KIB) buys, on equal terms: the loaded encrypted file reopened, first
  // with the library's own cache (as connections were opened before), then with the console's, and the plain file
  // reopened with the library's cache as the baseline for both.
  const encSmallCache = measure(openDatabase(encFile, { key, cacheKiB: null }), rows, true);
  const enc = { ...measure(openDatabase(encFile, { key }), rows, true), loadSeconds: encLoaded.loadSeconds };
  const plainReopened = measure(openDatabase(path.join(tmpDir, 'decide.sqlite')), rows, true);
  const p = (r: { decideUs: number[] }, q: number) => percentile(r.decideUs, q);
  const plainRun = plainReopened;
  const atRest = `encrypted at rest (SQLCipher 4 format, ${KEYED_CACHE_KIB / 1024} MiB page cache, as the console runs); both files reopened after loading, the same queries`;
  const note = `${rows.toLocaleString('en-US')} consents (${patients.toLocaleString('en-US')} patients) loaded in ${loadSeconds.toFixed(1)} s; ${decideUs.length} calls, half on existing keys; ${permits} permits`;
  return [
    { name: 'decide p50', value: percentile(decideUs, 50), unit: 'µs', baseline: { name: 'primary-key lookup p50', value: percentile(pkUs, 50), unit: 'µs' }, ratio: percentile(decideUs, 50) / percentile(pkUs, 50), note },
    { name: 'decide p99', value: percentile(decideUs, 99), unit: 'µs', baseline: { name: 'primary-key lookup p99', value: percentile(pkUs, 99), unit: 'µs' }, ratio: percentile(decideUs, 99) / percentile(pkUs, 99), note: 'target p99 < 100 µs' },
    { name: 'decide p50, encrypted database', value: p(enc, 50), unit: 'µs', baseline: { name: 'decide p50, plain database reopened (same run)', value: p(plainRun, 50), unit: 'µs' }, ratio: p(enc, 50) / p(plainRun, 50), note: atRest },
    { name: 'decide p99, encrypted database', value: p(enc, 99), unit: 'µs', baseline: { name: 'decide p99, plain database reopened (same run)', value: p(plainRun, 99), unit: 'µs' }, ratio: p(enc, 99) / p(plainRun, 99), note: `${enc.permits} permits (plain: ${permits}); on the loading connection: ${p(encLoaded, 99).toFixed(1)} µs` },
    {
      name: 'decide p99, encrypted database, the library\'s default page cache',
      value: p(encSmallCache, 99),
      unit: 'µs',
      baseline: { name: 'decide p99, plain database reopened (same run)', value: p(plainRun, 99), unit: 'µs' },
      ratio: p(encSmallCache, 99) / p(plainRun, 99),
      note: `its default cache instead of ${KEYED_CACHE_KIB / 1024} MiB; p50 ${p(encSmallCache, 50).toFixed(1)} µs (${(p(encSmallCache, 50) / p(plainRun, 50)).toFixed(2)}x plain)`,
    },
    { name: 'bulk load of the consents, encrypted database', value: enc.loadSeconds, unit: 's', baseline: { name: 'the same load, plain database', value: loadSeconds, unit: 's' }, ratio: enc.loadSeconds / loadSeconds },
  ];
};

export default bench;
