// The provider roster import: streams the CSV (the consent import's reader and rejects file), validates each row,
// and commits chunks of providers and credentials with the run's counts and the job checkpoint in one transaction.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import type { ImportHooks } from '../imports/pipeline';
import { csvRejectLine, csvRejectsHeader, RejectsFile } from '../imports/rejects';
import { MAX_COLUMNS, readCsvBatches, type CsvPosition, type CsvRecord } from '../imports/csv-source';
import type { CredentialDomain } from './eip712';
import { describeRosterProblems, mapRosterHeader, validateRosterRow, type RosterHeader, type RosterProblem, type RosterRowResult } from './roster';
import { credentialByHash, insertCredential, saveFinding, upsertProvider, type NewProvider } from './store';
import { validityFinding } from './verdict';

export const ROSTER_CHUNK_ROWS = 2_000;

export interface RosterCounts {
  rows_read: number;
  providers_added: number;
  providers_updated: number;
  credentials_added: number;
  duplicate: number;
  rejected: number;
}

export interface RosterRunRow extends RosterCounts {
  id: number;
  job_id: string | null;
  file_name: string;
  file_path: string;
  file_size: number;
  file_hash: string | null;
  rejects_path: string | null;
  outcome: 'succeeded' | 'failed' | 'cancelled' | null;
  error: string | null;
  started_by: string;
  created_at: string;
  finished_at: string | null;
}

export interface RosterSummary extends RosterCounts {
  runId: number;
  outcome: 'succeeded' | 'cancelled';
  rejectsPath: string;
  fileHash: string;
  ignoredColumns: string[];
  sampleRejects: { row: number; reason: string }[];
  /** Rows that added nothing: a repeat of an earlier row of this file, or already in the directory. */
  sampleDuplicates: { row: number; reason: string }[];
}

interface RosterCheckpoint {
  v: 1;
  size: number;
  mtimeMs: number;
  position: CsvPosition;
  rejectsBytes: number;
  header: string[];
}

export function createRosterRun(db: Db, file: string, startedBy: string): RosterRunRow {
  const resolved = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(resolved);
  } catch {
    throw new AppError('IMPORT_FILE_NOT_FOUND', `There is no file named ${path.basename(resolved)} any more.`);
  }
  if (!stat.isFile()) throw new AppError('IMPORT_FILE_NOT_FOUND', `${path.basename(resolved)} is not a file.`);
  if (stat.size === 0) throw new AppError('IMPORT_FILE_EMPTY', `The roster ${path.basename(resolved)} is empty.`);
  const id = Number(
    db
      .prepare('INSERT INTO roster_import_runs (file_name, file_path, file_size, started_by, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(path.basename(resolved), resolved, stat.size, startedBy, new Date().toISOString()).lastInsertRowid,
  );
  return getRosterRun(db, id)!;
}

export function getRosterRun(db: Db, id: number): RosterRunRow | undefined {
  return db.prepare('SELECT * FROM roster_import_runs WHERE id = ?').get(id) as RosterRunRow | undefined;
}

export function setRosterJob(db: Db, runId: number, jobId: string): void {
  db.prepare('UPDATE roster_import_runs SET job_id = ? WHERE id = ?').run(jobId, runId);
}

function saveCounts(db: Db, runId: number, c: RosterCounts): void {
  db.prepare(
    `UPDATE roster_import_runs SET rows_read = ?, providers_added = ?, providers_updated = ?, credentials_added = ?, duplicate = ?, rejected = ? WHERE id = ?`,
  ).run(c.rows_read, c.providers_added, c.providers_updated, c.credentials_added, c.duplicate, c.rejected, runId);
}

function finishRun(db: Db, runId: number, outcome: 'succeeded' | 'failed' | 'cancelled', error: string | null, fileHash: string | null): void {
  db.prepare('UPDATE roster_import_runs SET outcome = ?, error = ?, file_hash = COALESCE(?, file_hash), finished_at = ? WHERE id = ?').run(
    outcome,
    error,
    fileHash,
    new Date().toISOString(),
    runId,
  );
}

export function rosterRejectsPath(dataDir: string, runId: number): string {
  return path.join(dataDir, 'imports', `roster-${runId}-rejects.csv`);
}

/** What the run remembers of each NPI it saw: the row and the provider fields, to report in-file conflicts. */
interface SeenProvider {
  row: number;
  id: number;
  provider: NewProvider;
}

function providerConflict(seen: SeenProvider, p: NewProvider): RosterProblem[] {
  const problems: RosterProblem[] = [];
  for (const column of ['name', 'organization', 'specialty'] as const) {
    if ((seen.provider[column] ?? '') !== (p[column] ?? '')) {
      problems.push({ column, reason: `differs from row ${seen.row} for the same NPI; the earlier row was kept` });
    }
  }
  return problems;
}

/** Validates a record, refusing first a row wider than the header (short rows just have empty cells). */
function checkRecord(rec: CsvRecord, header: RosterHeader, domain: CredentialDomain | null): RosterRowResult {
  const width = header.names.length;
  const n = rec.fields.length;
  if (n > MAX_COLUMNS) return { ok: false, problems: [{ column: '(row)', reason: `has ${n} columns; at most ${MAX_COLUMNS} are allowed` }] };
  if (n > width && rec.fields.slice(width).some((f) => f.trim() !== '')) return { ok: false, problems: [{ column: '(row)', reason: `has ${n} columns but the header has ${width}` }] };
  return validateRosterRow(rec.fields, header, domain);
}

export interface RosterImportOptions {
  /** This workstation's registry domain, when known (a row without chain_id/registry is taken to be signed for it). */
  domain: CredentialDomain | null;
  chunkRows?: number;
  dataDir?: string;
}

export async function runRosterImport(db: Db, runId: number, hooks: ImportHooks, options: RosterImportOptions): Promise<RosterSummary> {
  const run = getRosterRun(db, runId);
  if (!run) throw new AppError('NOT_FOUND', `There is no roster import run ${runId}.`);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(run.file_path);
  } catch {
    throw new AppError('IMPORT_FILE_NOT_FOUND', `The roster ${run.file_name} is no longer at ${run.file_path}.`);
  }
  const prior = hooks.checkpoint as Partial<RosterCheckpoint> | null;
  const cp = prior && prior.v === 1 && prior.position && prior.header ? (prior as RosterCheckpoint) : null;
  if (cp && (cp.size !== stat.size || cp.mtimeMs !== stat.mtimeMs)) {
    throw new AppError('IMPORT_FILE_CHANGED', `${run.file_name} changed since this import started; start a new import of the file instead of resuming.`);
  }
  const dataDir = options.dataDir ?? path.dirname(db.name);
  const rejectsPath = rosterRejectsPath(dataDir, runId);
  const counts: RosterCounts = cp
    ? { rows_read: run.rows_read, providers_added: run.providers_added, providers_updated: run.providers_updated, credentials_added: run.credentials_added, duplicate: run.duplicate, rejected: run.rejected }
    : { rows_read: 0, providers_added: 0, providers_updated: 0, credentials_added: 0, duplicate: 0, rejected: 0 };
  db.prepare('UPDATE roster_import_runs SET rejects_path = ?, outcome = NULL, error = NULL, finished_at = NULL WHERE id = ?').run(rejectsPath, runId);
  const rejects = new RejectsFile(rejectsPath, cp ? cp.rejectsBytes : null, null);
  const fileHash = crypto.createHash('sha256');
  if (cp) for await (const chunk of fs.createReadStream(run.file_path, { start: 0, end: cp.position.offset - 1 })) fileHash.update(chunk as Buffer);
  let header: RosterHeader | null = cp ? mapRosterHeader(cp.header) : null;
  const seen = new Map<string, SeenProvider>();
  const sampleRejects: RosterSummary['sampleRejects'] = [];
  const sampleDuplicates: RosterSummary['sampleDuplicates'] = [];
  const source = `roster:${runId}`;

  const reject = (rec: CsvRecord, h: RosterHeader, problems: RosterProblem[]) => {
    const reason = describeRosterProblems(problems);
    counts.rejected++;
    rejects.add(csvRejectLine(h.names.length, rec.fields, rec.row, rec.line, reason));
    if (sampleRejects.length < 20) sampleRejects.push({ row: rec.row, reason });
  };
  const duplicate = (row: number, reason: string) => {
    counts.duplicate++;
    if (sampleDuplicates.length < 20) sampleDuplicates.push({ row, reason });
  };

  const apply = (rec: CsvRecord, h: RosterHeader, result: RosterRowResult, now: string) => {
    counts.rows_read++;
    if (!result.ok) return reject(rec, h, result.problems);
    const earlier = seen.get(result.provider.npi);
    if (earlier) {
      const conflict = providerConflict(earlier, result.provider);
      if (conflict.length) return reject(rec, h, conflict);
    }
    // The provider first (so its credential has a row to belong to), then the credential, idempotent by hash.
    const p = earlier ? { id: earlier.id, outcome: 'unchanged' as const } : upsertProvider(db, result.provider, source, now);
    if (!earlier) seen.set(result.provider.npi, { row: rec.row, id: p.id, provider: result.provider });
    let added = p.outcome !== 'unchanged';
    if (p.outcome === 'inserted') counts.providers_added++;
    if (p.outcome === 'updated') counts.providers_updated++;
    const c = result.credential;
    let dupReason = earlier ? `repeats provider NPI ${result.provider.npi} of row ${earlier.row} and adds no credential` : `provider NPI ${result.provider.npi} is already in the directory as given`;
    if (c) {
      const existing = credentialByHash(db, c.hash);
      if (existing && existing.provider_id !== p.id) {
        return reject(rec, h, [{ column: 'npi', reason: 'the signed credential belongs to another provider in the directory' }]);
      }
      const r = insertCredential(db, { providerId: p.id, fields: c.fields, chainId: c.domain.chainId, registry: c.domain.verifyingContract, hash: c.hash, signature: c.signature, source, importRunId: runId, sourceRow: rec.row }, now);
      if (r.inserted) {
        counts.credentials_added++;
        added = true;
        // The row's signature was checked above; its own dates need no chain either, so an expired (or not yet
        // valid) credential says so from the moment it is in the directory instead of "not checked yet".
        const dated = validityFinding(c.fields, new Date(now));
        if (dated) saveFinding(db, r.id, dated, { checkedAt: now, trigger: 'bulk', actor: run.started_by });
      } else {
        dupReason = existing?.import_run_id === runId && existing.source_row !== null ? `repeats the credential of row ${existing.source_row}` : 'the credential is already in the directory';
      }
    }
    if (!added) duplicate(rec.row, dupReason);
  };

  const transaction = db.transaction((work: () => void, position: CsvPosition) => {
    work();
    saveCounts(db, runId, counts);
    hooks.saveCheckpoint({ v: 1, size: stat.size, mtimeMs: stat.mtimeMs, position, rejectsBytes: rejects.flush(), header: header!.names } satisfies RosterCheckpoint, counts.rows_read, counts.rejected);
  }).immediate;

  const batches = readCsvBatches({
    file: run.file_path,
    ...(cp ? { from: cp.position } : {}),
    batchRecords: options.chunkRows ?? ROSTER_CHUNK_ROWS,
    onBytes: (chunk) => fileHash.update(chunk),
    onHeader: (fields) => {
      header = mapRosterHeader(fields);
      rejects.add(csvRejectsHeader(fields));
    },
  });
  let outcome: 'succeeded' | 'cancelled' = 'succeeded';
  try {
    hooks.report(counts.rows_read, null, counts.rejected, cp ? 'resuming' : 'starting');
    for (;;) {
      const next = await batches.next();
      if (next.done) break;
      const h = header as RosterHeader | null;
      if (!h) throw new AppError('IMPORT_FILE_EMPTY', `The roster ${run.file_name} has no header line.`);
      // Signature checks happen here, outside the write transaction, so the write lock is held only briefly.
      const checked = next.value.records.map((rec) => ({ rec, result: checkRecord(rec, h, options.domain) }));
      const now = new Date().toISOString();
      transaction(() => {
        for (const { rec, result } of checked) apply(rec, h, result, now);
      }, next.value.position);
      const offset = next.value.position.offset;
      hooks.report(counts.rows_read, offset > 0 ? Math.max(counts.rows_read, Math.round((counts.rows_read * stat.size) / offset)) : null, counts.rejected);
      if (hooks.cancelled) {
        outcome = 'cancelled';
        break;
      }
    }
  } catch (err) {
    finishRun(db, runId, 'failed', err instanceof Error ? err.message : String(err), null);
    throw err;
  } finally {
    await batches.return(undefined);
  }
  const hash = outcome === 'succeeded' ? `0x${fileHash.digest('hex')}` : '';
  finishRun(db, runId, outcome, null, hash || null);
  hooks.report(counts.rows_read, outcome === 'succeeded' ? counts.rows_read : null, counts.rejected, outcome);
  return { runId, outcome, ...counts, rejectsPath, fileHash: hash, ignoredColumns: header ? (header as RosterHeader).ignored : [], sampleRejects, sampleDuplicates };
}
