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
import { finishImportRun, getImportRun, saveImportCounts, startImportRun, type ImportCounts } from './runs';

// A chunk holds SQLite's single write lock while it is stored (reading and validating happen before the lock is
// taken); the console's own writes (audit entries of every call, the sync engine) wait for it on the main
// thread. Small chunks and a pause longer than SQLite's longest busy-handler sleep (100 ms) keep those waits
// short, so the window stays responsive during a long import.
export const DEFAULT_CHUNK_ROWS = 4_000;
const READ_BATCH = 1000;
const WRITER_PAUSE_MS = 110;
/** Page cache for the import's connection, in KiB as a negative cache_size. */
const IMPORT_CACHE_KIB = -48 * 1024;

/** What the pipeline needs from its host: the job context in a worker, or a plain object in tests and benches. */
export interface ImportHooks {
  checkpoint: unknown;
  /** Called inside the chunk's transaction. */
  saveCheckpoint(checkpoint: unknown, done: number, errors: number): void;
  report(done: number, total: number | null, errors: number, message?: string): void;
  readonly cancelled: boolean;
}

/** Where an import's time went (measured, milliseconds). */
export interface ImportTimings extends ChunkTimings {
  /** Holding the write lock: lookups, inserts, flushes and the COMMIT (commitMs is the COMMIT alone). */
  writeMs: number;
  commitMs: number;
  /** Idle between chunks so other writers get the lock (and the CPU). */
  pauseMs: number;
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
  chunkRows?: number;
  /** Where secrets/ and imports/ live; the database's folder by default. */
  dataDir?: string;
}

export async function runConsentImport(db: Db, runId: number, hooks: ImportHooks, options: ImportOptions = {}): Promise<ImportSummary> {
  const run = getImportRun(db, runId);
  if (!run) throw new AppError('NOT_FOUND', `There is no import run ${runId}.`);
  const dataDir = options.dataDir ?? path.dirname(db.name);
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
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
  // the hot index pages in memory. 48 MB: the 1M-row bench ran no slower than with 64 MB (within the noise of
  // a loaded machine) and peaked at 279 MB RSS instead of 317 (target: under 300). Restored after.
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
  const timings: ImportTimings = { parseMs: 0, validateMs: 0, hashMs: 0, writeMs: 0, commitMs: 0, pauseMs: 0 };
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
    saveImportCounts(db, runId, counts);
    hooks.saveCheckpoint(checkpoint, counts.rows_read, counts.rejected);
    const t = performance.now();
    db.exec('COMMIT');
    timings.commitMs += performance.now() - t;
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
  const chunkOptions: ChunkReaderOptions = { format: run.format, rows: chunkRows, today, pseudonymizer, mapping: () => mapping, fileName: run.file_name };

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
  try {
    hooks.report(counts.rows_read, null, counts.rejected, cp ? 'resuming' : 'starting');
    for (;;) {
      // Reading and validating the next chunk takes no lock. The chunk's rows are held until stored (promoted
      // to V8's old generation); at 4,000 rows that costs less peak RSS than the patient caches did (heap
      // snapshot), and a larger chunk would hold the lock longer.
      const chunk = await readChunk(batches, chunkOptions, timings);
      if (chunk.position === null) {
        if (chunk.error) throw chunk.error;
        break;
      }
      const t = performance.now();
      begin();
      store(chunk);
      commit(chunk.position);
      timings.writeMs += performance.now() - t;
      progress(chunk.position.offset);
      if (chunk.error) throw chunk.error;
      if (chunk.done) break;
      // Pausing before the next chunk lets writers waiting on the main thread through. The pause is idle on
      // purpose: spending it on reading the next chunk (tried) keeps the CPU busy, and on a loaded two-core
      // machine the main thread then misses its turn: the responsiveness check of e2e/imports.spec.ts passed 1
      // of 4 runs that way, 3 of 5 with this idle pause and 3 of 4 with the pipeline before (load 7-11).
      const p = performance.now();
      await new Promise((resolve) => setTimeout(resolve, WRITER_PAUSE_MS));
      timings.pauseMs += performance.now() - p;
      if (hooks.cancelled) {
        outcome = 'cancelled';
        break;
      }
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
