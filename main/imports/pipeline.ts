// The consent import: stream a file (CSV, FHIR NDJSON or Bundle), validate each record, and commit chunks of
// rows with their counts, rejects and the job checkpoint in one transaction, so a killed run resumes exactly.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';
import { describeProblems, type ConsentDraft, type FieldProblem } from '../consents/draft';
import { loadOrCreateFacilitySecret, Pseudonymizer } from '../consents/pseudonym';
import { ConsentStore, type ConsentWriter } from '../consents/store';
import type { Db } from '../db/connection';
import { applyDraft, type ApplyContext, type ApplyOutcome } from './apply';
import { BulkConsentStore } from './bulk-store';
import { readChunk, type Chunk, type ChunkReaderOptions, type ChunkTimings, type RecordBatches } from './chunk-reader';
import { mapHeader, type HeaderMapping } from './csv-header';
import { readCsvBatches, type CsvPosition } from './csv-source';
import { DryRunStore } from './dry-run-store';
import { detectFhirLayout, readBundleBatches, readNdjsonBatches, readSingleResource, type FhirPosition } from './fhir-source';
import { csvRejectLine, csvRejectsHeader, fhirRejectLine, RejectsFile, rejectsPathFor } from './rejects';
import type { MainThreadWatch } from '../workers/main-thread-watch';
import { finishImportRun, getImportRun, saveImportCounts, startImportRun, type ImportCounts } from './runs';

// Storing rows holds SQLite's single write lock, and the console's own writes (audit entries of every call, the
// sync engine) wait for it on the main thread, synchronously. So a transaction spans read batches for as long as
// nobody waits: it ends when the main thread's heartbeat stalls (it is waiting for the lock: commit now, then wait
// for its next beat), after TXN_HOLD_MS, or after chunkRows rows. Fewer, larger transactions write each dirty
// index page once instead of once per small chunk (measured: the COMMITs of 4,000-row chunks were a quarter of
// the import). Writers the heartbeat cannot see (another process on the same data folder) get a pause longer
// than SQLite's longest busy-handler sleep (100 ms) after every TXN_HOLD_MS of holding the lock.
export const DEFAULT_CHUNK_ROWS = 100_000;
/** Records per read batch; a transaction always ends on a batch boundary. */
export const READ_BATCH = 1000;
const TXN_HOLD_MS = 1000;
const COURTESY_PAUSE_MS = 110;
/** The longest wait for a stalled main thread's next beat (it may be busy with something else than the lock). */
const MAIN_RESUME_MAX_MS = 1000;
/**
 * Page cache of the import's connection. 1,000,000-row benchmark, importing process measured on its own (idle
 * main thread + job worker): 48 MB ran in 79 s at 319 MB peak RSS, 32 MB in 84 s at 302 MB, 24 MB in 86-88 s at
 * 284-287 MB. The target is a peak under 300 MB.
 */
export const IMPORT_CACHE_MB = 24;
const IMPORT_CACHE_KIB = -IMPORT_CACHE_MB * 1024;

/** What the pipeline needs from its host: the job context in a worker, or a plain object in tests and benches. */
export interface ImportHooks {
  checkpoint: unknown;
  /** Called inside the chunk's transaction. */
  saveCheckpoint(checkpoint: unknown, done: number, errors: number): void;
  report(done: number, total: number | null, errors: number, message?: string): void;
  readonly cancelled: boolean;
  /** The main thread's heartbeat, when the import runs in a job worker. */
  readonly mainThread?: MainThreadWatch | null;
}

/** Where an import's time went (measured, milliseconds). */
export interface ImportTimings extends ChunkTimings {
  /** Holding the write lock: lookups, inserts, flushes and the COMMIT (commitMs is the COMMIT alone). */
  writeMs: number;
  commitMs: number;
  /** Idle between transactions so other writers get the lock: waiting for the main thread, courtesy pauses. */
  pauseMs: number;
  /** Transactions committed, and how many of them ended because the main thread waited. */
  transactions: number;
  yieldedToMain: number;
}

export interface ImportSummary extends ImportCounts {
  runId: number;
  format: 'csv' | 'fhir';
  dryRun: boolean;
  outcome: 'succeeded' | 'cancelled';
  rejectsPath: string;
  fileHash: string;
  ignoredColumns: string[];
  sampleRejects: { row: number; reason: string }[];
  timings: ImportTimings;
}

interface ImportCheckpoint {
  v: 1;
  size: number;
  mtimeMs: number;
  position: CsvPosition | FhirPosition;
  rejectsBytes: number;
  header?: string[];
}

function readCheckpoint(value: unknown): ImportCheckpoint | null {
  const cp = value as Partial<ImportCheckpoint> | null;
  return cp && cp.v === 1 && typeof cp.rejectsBytes === 'number' && cp.position ? (cp as ImportCheckpoint) : null;
}

async function hashPrefix(file: string, end: number, hash: crypto.Hash): Promise<void> {
  if (end <= 0) return;
  for await (const chunk of fs.createReadStream(file, { start: 0, end: end - 1 })) hash.update(chunk as Buffer);
}

export { csvValues } from './chunk-reader';

export interface ImportOptions {
  /** At most this many rows per transaction (tests use small ones to commit often). */
  chunkRows?: number;
  /** Where secrets/ and imports/ live; the database's folder by default. */
  dataDir?: string;
  /** Longest a transaction stays open when nobody waits (TXN_HOLD_MS; tests raise it to be deterministic). */
  holdMs?: number;
}

export async function runConsentImport(db: Db, runId: number, hooks: ImportHooks, options: ImportOptions = {}): Promise<ImportSummary> {
  const run = getImportRun(db, runId);
  if (!run) throw new AppError('NOT_FOUND', `There is no import run ${runId}.`);
  const dataDir = options.dataDir ?? path.dirname(db.name);
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  const holdMs = options.holdMs ?? TXN_HOLD_MS;
  // Records come from the reader in small batches; a chunk (transaction) spans as many as it takes.
  const readBatch = Math.min(READ_BATCH, chunkRows);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(run.file_path);
  } catch {
    throw new AppError('IMPORT_FILE_NOT_FOUND', `The file ${run.file_name} is no longer at ${run.file_path}.`);
  }
  if (stat.size === 0) throw new AppError('IMPORT_FILE_EMPTY', `The file ${run.file_name} is empty.`);

  // A dry run keeps its scratch rows in this connection's temporary tables, which die with the process: it
  // restarts from the top instead of resuming.
  const cp = run.dry_run ? null : readCheckpoint(hooks.checkpoint);
  if (cp && (cp.size !== stat.size || cp.mtimeMs !== stat.mtimeMs)) {
    throw new AppError('IMPORT_FILE_CHANGED', `${run.file_name} changed since this import started; start a new import of the file instead of resuming.`);
  }
  // Random-order key lookups over a million-row table: a larger page cache than SQLite's 2 MB default keeps
  // the hot index pages in memory (IMPORT_CACHE_MB). Restored after.
  const cacheSize = db.pragma('cache_size', { simple: true }) as number;
  db.pragma(`cache_size = ${IMPORT_CACHE_KIB}`);
  // Fewer, larger WAL checkpoints: a page dirtied by many chunks is copied back once per 64 MB, not per 4 MB.
  const autoCheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  db.pragma('wal_autocheckpoint = 16384');
  const fileHash = crypto.createHash('sha256');
  if (cp) await hashPrefix(run.file_path, cp.position.offset, fileHash);
  const rejectsPath = rejectsPathFor(dataDir, runId, run.format);
  startImportRun(db, runId, null, rejectsPath, cp === null);
  const counts: ImportCounts = cp
    ? { rows_read: run.rows_read, accepted: run.accepted, updated: run.updated, rejected: run.rejected, duplicate: run.duplicate, consents_written: run.consents_written }
    : { rows_read: 0, accepted: 0, updated: 0, rejected: 0, duplicate: 0, consents_written: 0 };
  const pseudonymizer = new Pseudonymizer(loadOrCreateFacilitySecret(dataDir));
  // A CSV import buffers its appends per chunk (bulk store); a FHIR resource needs a savepoint per resource, and
  // so writes row by row.
  const bulk = !run.dry_run && run.format === 'csv' ? new BulkConsentStore(db, pseudonymizer) : null;
  const writer: ConsentWriter = run.dry_run ? new DryRunStore(db, pseudonymizer) : (bulk ?? new ConsentStore(db, pseudonymizer));
  const rejects = new RejectsFile(rejectsPath, cp ? cp.rejectsBytes : null, null);
  const timings: ImportTimings = { parseMs: 0, validateMs: 0, hashMs: 0, writeMs: 0, commitMs: 0, pauseMs: 0, transactions: 0, yieldedToMain: 0 };
  const sampleRejects: { row: number; reason: string }[] = [];
  const today = new Date().toISOString().slice(0, 10);
  const source = `import:${runId}`;
  let mapping: HeaderMapping | null = cp?.header ? mapHeader(cp.header) : null;

  const reject = (row: number, reason: string, line: string) => {
    counts.rejected++;
    rejects.add(line);
    if (sampleRejects.length < 20) sampleRejects.push({ row, reason });
  };
  const count = (o: ApplyOutcome) => {
    if (o.kind === 'inserted') counts.accepted++;
    else if (o.kind === 'updated') counts.updated++;
    else if (o.kind === 'duplicate') counts.duplicate++;
    if (o.kind === 'inserted' || o.kind === 'updated') counts.consents_written++;
  };
  const write = { now: new Date().toISOString(), actor: source };
  const applyContext = (row: number): ApplyContext => ({ runId, rowNumber: row, source, write });

  // One transaction per chunk of rows, committed with the run's counts, the rejects written so far and the job
  // checkpoint. A dry run writes only temporary tables until the commit, so it starts deferred.
  let open = false;
  const begin = () => {
    db.exec(run.dry_run ? 'BEGIN' : 'BEGIN IMMEDIATE');
    open = true;
    write.now = new Date().toISOString();
    bulk?.begin();
  };
  const commit = (position: CsvPosition | FhirPosition) => {
    bulk?.flush();
    const checkpoint: ImportCheckpoint = { v: 1, size: stat.size, mtimeMs: stat.mtimeMs, position, rejectsBytes: rejects.flush(), ...(mapping ? { header: mapping.names } : {}) };
    const t = performance.now();
    if (run.dry_run) {
      // A dry run's chunk read the real tables in a deferred (read) transaction and wrote only temporary tables.
      // Upgrading that snapshot to write its counts fails at once (SQLITE_BUSY_SNAPSHOT, "database is locked") if
      // anyone committed meanwhile, and waiting cannot help; so the chunk ends as a read, and the counts and
      // checkpoint go in a short write transaction of their own, which waits for the lock like any writer.
      db.exec('COMMIT');
      db.transaction(() => {
        saveImportCounts(db, runId, counts);
        hooks.saveCheckpoint(checkpoint, counts.rows_read, counts.rejected);
      }).immediate();
    } else {
      saveImportCounts(db, runId, counts);
      hooks.saveCheckpoint(checkpoint, counts.rows_read, counts.rejected);
      db.exec('COMMIT');
    }
    timings.commitMs += performance.now() - t;
    timings.transactions++;
    open = false;
  };
  const progress = (offset: number) => {
    const total = offset > 0 ? Math.max(counts.rows_read, Math.round((counts.rows_read * stat.size) / offset)) : null;
    hooks.report(counts.rows_read, total, counts.rejected);
  };

  let batches: RecordBatches;
  const onBytes = (chunk: Buffer) => fileHash.update(chunk);
  if (run.format === 'csv') {
    batches = readCsvBatches({
      file: run.file_path,
      ...(cp ? { from: cp.position as CsvPosition } : {}),
      batchRecords: readBatch,
      onBytes,
      onHeader: (fields) => {
        mapping = mapHeader(fields);
        rejects.add(csvRejectsHeader(fields));
      },
    });
  } else {
    const from = cp ? (cp.position as FhirPosition) : undefined;
    const layout = from?.layout ?? (await detectFhirLayout(run.file_path));
    batches =
      layout === 'ndjson'
        ? readNdjsonBatches(run.file_path, from, readBatch, onBytes)
        : layout === 'bundle'
          ? readBundleBatches(run.file_path, from, readBatch, onBytes)
          : readSingleResource(run.file_path, from, onBytes);
  }
  const chunkOptions: ChunkReaderOptions = { format: run.format, rows: readBatch, today, pseudonymizer, mapping: () => mapping, fileName: run.file_name };

  /** Stores a prepared chunk's rows in order; runs inside the chunk's transaction. */
  const store = (chunk: Chunk) => {
    for (const item of chunk.csv) {
      counts.rows_read++;
      const o: ApplyOutcome = item.draft ? applyDraft(writer, item.draft, applyContext(item.rec.row)) : { kind: 'rejected', problems: item.problems };
      if (o.kind === 'rejected') {
        const reason = describeProblems(o.problems);
        reject(item.rec.row, reason, csvRejectLine(mapping!.names.length, item.rec.fields, item.rec.row, item.rec.line, reason));
      } else count(o);
    }
    for (const item of chunk.fhir) {
      counts.rows_read++;
      const result = item.drafts ? applyResource(db, writer, item.drafts, applyContext(item.rec.row)) : { problems: [{ column: 'resource', reason: item.reason }] };
      if ('problems' in result) {
        const reason = describeProblems(result.problems);
        reject(item.rec.row, reason, fhirRejectLine(item.rec.row, reason, item.rec.value ?? item.rec.raw ?? null));
      } else {
        count(result.outcome);
        counts.consents_written += result.written - (result.outcome.kind === 'duplicate' ? 0 : 1);
      }
    }
  };

  let outcome: 'succeeded' | 'cancelled' = 'succeeded';
  let lastPosition: CsvPosition | FhirPosition | null = null;
  let txnStartedAt = 0;
  let txnRows = 0;
  /** Lock-holding time since the last pause (courtesy for writers the heartbeat cannot see). */
  let heldSincePause = 0;
  const endTransaction = () => {
    if (!open) return;
    const t = performance.now();
    commit(lastPosition!);
    const now = performance.now();
    timings.writeMs += now - t;
    heldSincePause += now - txnStartedAt;
    progress(lastPosition!.offset);
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  try {
    hooks.report(counts.rows_read, null, counts.rejected, cp ? 'resuming' : 'starting');
    for (;;) {
      // The next batch is read and validated while a transaction may be open: holding the lock costs nobody
      // anything until the heartbeat says the main thread waits.
      const chunk = await readChunk(batches, chunkOptions, timings);
      if (chunk.position === null) {
        endTransaction();
        if (chunk.error) throw chunk.error;
        break;
      }
      const t = performance.now();
      if (!open) {
        begin();
        txnStartedAt = t;
        txnRows = 0;
      }
      store(chunk);
      // Buffered appends go out per batch, so a long transaction holds no more rows in memory than one batch.
      bulk?.flush();
      timings.writeMs += performance.now() - t;
      lastPosition = chunk.position;
      txnRows += chunk.csv.length + chunk.fhir.length;
      if (chunk.error) {
        endTransaction();
        throw chunk.error;
      }
      if (chunk.done) {
        endTransaction();
        break;
      }
      const mainWaits = hooks.mainThread?.stalled() ?? false;
      if (!mainWaits && !hooks.cancelled && txnRows < chunkRows && performance.now() - txnStartedAt < holdMs) continue;
      endTransaction();
      if (hooks.cancelled) {
        outcome = 'cancelled';
        break;
      }
      const p = performance.now();
      if (mainWaits) {
        timings.yieldedToMain++;
        await hooks.mainThread!.resumed(MAIN_RESUME_MAX_MS);
        heldSincePause = 0;
      } else if (heldSincePause >= holdMs) {
        await sleep(COURTESY_PAUSE_MS);
        heldSincePause = 0;
      }
      timings.pauseMs += performance.now() - p;
    }
  } catch (err) {
    if (open) {
      db.exec('ROLLBACK');
      writer.discardCache?.();
    }
    finishImportRun(db, runId, 'failed', err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    await batches.return(undefined);
    db.pragma(`cache_size = ${Math.trunc(cacheSize)}`);
    db.pragma(`wal_autocheckpoint = ${Math.trunc(autoCheckpoint)}`);
  }
  const hash = `0x${fileHash.digest('hex')}`;
  if (outcome === 'succeeded') db.prepare('UPDATE import_runs SET file_hash = ? WHERE id = ?').run(hash, runId);
  finishImportRun(db, runId, outcome, null);
  hooks.report(counts.rows_read, outcome === 'succeeded' ? counts.rows_read : null, counts.rejected, outcome);
  return {
    runId,
    format: run.format,
    dryRun: run.dry_run === 1,
    outcome,
    ...counts,
    rejectsPath,
    fileHash: outcome === 'succeeded' ? hash : '',
    ignoredColumns: mapping ? (mapping as HeaderMapping).ignored : [],
    sampleRejects,
    timings,
  };
}

class ResourceRejected extends Error {
  constructor(readonly problems: FieldProblem[]) {
    super('rejected');
  }
}

/**
 * All rows of one FHIR Consent land together or not at all: a nested transaction (a savepoint) per resource.
 * The resource counts as accepted if it added a row, updated if it only changed rows, else duplicate.
 */
function applyResource(db: Db, writer: ConsentWriter, drafts: ConsentDraft[], a: ApplyContext): { outcome: ApplyOutcome; written: number } | { problems: FieldProblem[] } {
  try {
    return db.transaction(() => {
      let inserted: ApplyOutcome | null = null;
      let updated: ApplyOutcome | null = null;
      let duplicate: ApplyOutcome | null = null;
      let written = 0;
      for (const [i, d] of drafts.entries()) {
        const o = applyDraft(writer, d, a);
        if (o.kind === 'rejected') {
          throw new ResourceRejected(o.problems.map((p) => ({ column: drafts.length > 1 ? `rule ${i + 1} ${p.column}` : p.column, reason: p.reason })));
        }
        if (o.kind === 'inserted') inserted ??= o;
        else if (o.kind === 'updated') updated ??= o;
        else duplicate ??= o;
        if (o.kind !== 'duplicate') written++;
      }
      return { outcome: (inserted ?? updated ?? duplicate)!, written };
    })();
  } catch (err) {
    if (err instanceof ResourceRejected) {
      writer.discardCache?.();
      return { problems: err.problems };
    }
    throw err;
  }
}
