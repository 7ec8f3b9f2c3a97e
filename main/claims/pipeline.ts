// Bulk claims: the import (check every row, store it with its verdict, queue passing claims for the chain;
// idempotent by claim id, resumable from a checkpoint, rejects file per run) and the dry check (verdicts only,
// nothing stored). Both stream the CSV (csv.ts) and share one row rule, so a dry check predicts the import.
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { loadOrCreateFacilitySecret, Pseudonymizer } from '../consents/pseudonym';
import { csvLine } from '../imports/rejects';
import { CachedPseudonyms, checkableOf, SqlPrecheckContext } from './context';
import { readClaimsCsv, type ClaimCsvRow } from './csv';
import type { ClaimReason } from './model';
import { precheckClaim, type CheckableClaim } from './precheck';
import { finishClaimImportRun, getClaimImportRun, saveClaimImportCounts, type ClaimImportCounts } from './runs';
import { claimByClaimId, insertClaim } from './store';

export type RowOutcome =
  | { kind: 'rejected'; row: number; reason: string }
  | { kind: 'duplicate'; row: number; claimId: string }
  | { kind: 'checked'; row: number; claim: CheckableClaim; verdict: 'pass' | 'fail'; reasons: ClaimReason[] };

export interface ClaimImportControl {
  checkpoint: unknown;
  saveCheckpoint(checkpoint: unknown, done: number, errors: number): void;
  report(done: number, total: number | null, errors: number, message?: string): void;
  readonly cancelled: boolean;
}

export interface ClaimImportResult extends ClaimImportCounts {
  sampleRejects: { row: number; reason: string }[];
  ignoredColumns: string[];
  rejectsPath: string;
}

const CHUNK_ROWS = 500;

function problemsText(row: ClaimCsvRow): string {
  return row.parsed.ok ? '' : row.parsed.problems.map((p) => `${p.column}: ${p.reason}`).join('; ');
}

/** One row against the stored claims: rejected, an unchanged re-import, or checked (and stored unless dry). */
function checkRow(db: Db, ctx: SqlPrecheckContext, pseudonymizer: CachedPseudonyms, row: ClaimCsvRow, store: { runId: number; by: string; now: string } | null): RowOutcome {
  if (!row.parsed.ok) return { kind: 'rejected', row: row.row, reason: `row ${row.row}: ${problemsText(row)}` };
  const claim = checkableOf(row.parsed.claim, pseudonymizer);
  if (store) {
    // The bulk context knows every stored claim id: only a known one costs a query.
    const existing = ctx.claimIdTaken(claim.claimId) ? claimByClaimId(db, claim.claimId) : undefined;
    if (existing) {
      if (existing.content_hash === claim.contentHash) return { kind: 'duplicate', row: row.row, claimId: claim.claimId };
      return { kind: 'rejected', row: row.row, reason: `row ${row.row}: claim_id: DUPLICATE_CLAIM_ID: ${claim.claimId} was already checked with different content (claim #${existing.id}); a corrected claim needs a new claim id` };
    }
  }
  const verdict = precheckClaim(claim, ctx);
  if (store) {
    insertClaim(db, claim, verdict, { source: 'import', importRunId: store.runId, sourceRow: row.row, checkedBy: store.by, patientId: ctx.patientId(claim) }, store.now);
  }
  ctx.remember(claim, verdict);
  return { kind: 'checked', row: row.row, claim, verdict: verdict.verdict, reasons: verdict.reasons };
}

interface Checkpoint {
  row: number;
  rejectsSize: number;
  counts: ClaimImportCounts;
}

/** The 'import.claims' job body: runs in a worker thread with its own connection. */
export async function runClaimImport(db: Db, runId: number, control: ClaimImportControl, options: { dataDir?: string; now?: () => Date } = {}): Promise<ClaimImportResult> {
  const run = getClaimImportRun(db, runId);
  if (!run) throw new AppError('NOT_FOUND', `There is no claim import run ${runId}.`);
  const dataDir = options.dataDir ?? path.dirname(db.name);
  const clock = options.now ?? (() => new Date());
  const pseudonymizer = new CachedPseudonyms(new Pseudonymizer(loadOrCreateFacilitySecret(dataDir)));
  const rejectsPath = path.join(dataDir, 'imports', `claims-run-${runId}-rejects.csv`);
  fs.mkdirSync(path.dirname(rejectsPath), { recursive: true });

  const resume = control.checkpoint as Checkpoint | null;
  const counts: ClaimImportCounts = resume ? { ...resume.counts } : { rowsRead: 0, passed: 0, failed: 0, rejected: 0, duplicate: 0 };
  // A resumed run cuts off what an unfinished chunk appended after the last committed checkpoint.
  if (resume) fs.truncateSync(rejectsPath, resume.rejectsSize);
  else fs.writeFileSync(rejectsPath, csvLine(['row', 'line', 'reason', 'original']), { mode: 0o600 });
  let rejectsSize = fs.statSync(rejectsPath).size;

  const ctx = new SqlPrecheckContext(db, { now: clock(), bulk: true });
  const samples: { row: number; reason: string }[] = [];
  let ignoredColumns: string[] = [];
  let chunk: ClaimCsvRow[] = [];
  const by = run.started_by;

  const commit = db.transaction((rows: ClaimCsvRow[]) => {
    const now = clock().toISOString();
    const rejectLines: string[] = [];
    for (const row of rows) {
      const outcome = checkRow(db, ctx, pseudonymizer, row, { runId, by, now });
      counts.rowsRead++;
      if (outcome.kind === 'rejected') {
        counts.rejected++;
        rejectLines.push(csvLine([String(row.row), String(row.line), outcome.reason, row.fields.join(',')]));
        if (samples.length < 20) samples.push({ row: row.row, reason: outcome.reason });
      } else if (outcome.kind === 'duplicate') counts.duplicate++;
      else if (outcome.verdict === 'pass') counts.passed++;
      else counts.failed++;
    }
    if (rejectLines.length) {
      const text = rejectLines.join('');
      fs.appendFileSync(rejectsPath, text);
      rejectsSize += Buffer.byteLength(text);
    }
    const last = rows[rows.length - 1]!.row;
    saveClaimImportCounts(db, runId, counts, rejectsPath);
    control.saveCheckpoint({ row: last, rejectsSize, counts: { ...counts } } satisfies Checkpoint, counts.rowsRead, counts.rejected);
  });

  const total = Math.max(1, Math.round(run.file_size / 60)); // ~60 bytes a row: an estimate for the ETA only
  try {
    for await (const row of readClaimsCsv(run.file_path, (h) => (ignoredColumns = h.ignored), resume?.row ?? 0)) {
      chunk.push(row);
      if (chunk.length === CHUNK_ROWS) {
        commit(chunk);
        chunk = [];
        control.report(counts.rowsRead, Math.max(total, counts.rowsRead), counts.rejected);
        if (control.cancelled) {
          finishClaimImportRun(db, runId, 'cancelled', null);
          return { ...counts, sampleRejects: samples, ignoredColumns, rejectsPath };
        }
      }
    }
    if (chunk.length) commit(chunk);
  } catch (err) {
    const e = err instanceof AppError ? err : new AppError('IMPORT_FAILED', (err as Error).message);
    finishClaimImportRun(db, runId, 'failed', `${e.code}: ${e.message}`);
    throw e;
  }
  control.report(counts.rowsRead, counts.rowsRead, counts.rejected);
  finishClaimImportRun(db, runId, 'succeeded', null);
  return { ...counts, sampleRejects: samples, ignoredColumns, rejectsPath };
}

/** `custodian claims check FILE`: the verdict of every row, in file order, nothing stored. */
export async function checkClaimsFile(db: Db, file: string, dataDir: string, onRow: (outcome: RowOutcome) => void, now: Date = new Date()): Promise<ClaimImportCounts> {
  if (!fs.existsSync(file)) throw new AppError('IMPORT_FILE_NOT_FOUND', `There is no file at ${file}.`);
  const pseudonymizer = new CachedPseudonyms(new Pseudonymizer(loadOrCreateFacilitySecret(dataDir)));
  const ctx = new SqlPrecheckContext(db, { now, rememberSeen: true, bulk: true });
  const counts: ClaimImportCounts = { rowsRead: 0, passed: 0, failed: 0, rejected: 0, duplicate: 0 };
  for await (const row of readClaimsCsv(file, () => undefined)) {
    const outcome = checkRow(db, ctx, pseudonymizer, row, null);
    counts.rowsRead++;
    if (outcome.kind === 'rejected') counts.rejected++;
    else if (outcome.kind === 'checked') counts[outcome.verdict === 'pass' ? 'passed' : 'failed']++;
    onRow(outcome);
  }
  return counts;
}
