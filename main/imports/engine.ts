// The one import framework: a source (CSV, FHIR NDJSON, Bundle or single resource) read in record batches, and a
// record adapter per kind (consents, provider rosters, claims) that validates and stores. What every kind shares
// lives here: the run's counts committed with its rows, the rejects file and the job checkpoint in one transaction
// (a killed run resumes exactly), the file hash, cancel at a batch boundary, dry run, and sharing the write lock.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import type { EngineOptions, EngineSummary, ImportHooks, ImportTimings, Position, RecordAdapter, RecordSession, RejectSink, SourceRecord } from './adapter';
import { readCsvBatches, type CsvPosition } from './csv-source';
import { detectFhirLayout, readBundleBatches, readNdjsonBatches, readSingleResource, type FhirLayout, type FhirPosition } from './fhir-source';
import { csvRejectsHeader, RejectsFile } from './rejects';

export type { AdapterContext, EngineOptions, EngineSummary, ImportHooks, ImportKind, ImportTimings, Position, RecordAdapter, RecordSession, RejectSink, RunFile, RunOutcome, RunResultBase, RunTable, SourceFormat, SourceRecord } from './adapter';

// Storing rows holds SQLite's single write lock, and the console's own writes (audit entries of every call, the
// sync engine) wait for it on the main thread, synchronously. So a transaction spans read batches for as long as
// nobody waits: it ends when the main thread's heartbeat stalls (it is waiting for the lock: commit now, then wait
// for its next beat), after TXN_HOLD_MS, or after chunkRows rows. Fewer, larger transactions write each dirty
// index page once instead of once per small chunk (measured: the COMMITs of 4,000-row chunks were a quarter of
// the import). Writers the heartbeat cannot see (another process on the same data folder) get a pause longer
// than SQLite's longest busy-handler sleep (100 ms) after every TXN_HOLD_MS of holding the lock.
/** Records per read batch; a transaction always ends on a batch boundary. */
export const READ_BATCH = 1000;
const TXN_HOLD_MS = 1000;
const COURTESY_PAUSE_MS = 110;
/** The longest wait for a stalled main thread's next beat (it may be busy with something else than the lock). */
const MAIN_RESUME_MAX_MS = 1000;

/** The same for every kind, so a run started before this framework (rosters) resumes with it. */
interface Checkpoint {
  v: 1;
  size: number;
  mtimeMs: number;
  position: Position;
  rejectsBytes: number;
  header?: string[];
}

function readCheckpoint(value: unknown): Checkpoint | null {
  const cp = value as Partial<Checkpoint> | null;
  return cp && cp.v === 1 && typeof cp.rejectsBytes === 'number' && cp.position ? (cp as Checkpoint) : null;
}

function fhirBatches(file: string, layout: FhirLayout, from: FhirPosition | undefined, readBatch: number, onBytes?: (chunk: Buffer) => void): RecordBatches {
  return layout === 'ndjson' ? readNdjsonBatches(file, from, readBatch, onBytes) : layout === 'bundle' ? readBundleBatches(file, from, readBatch, onBytes) : readSingleResource(file, from, onBytes);
}

async function hashPrefix(file: string, end: number, hash: crypto.Hash): Promise<void> {
  if (end <= 0) return;
  for await (const chunk of fs.createReadStream(file, { start: 0, end: end - 1 })) hash.update(chunk as Buffer);
}

type RecordBatches = AsyncGenerator<{ records: SourceRecord[]; position: Position }>;

interface Chunk<Item> {
  items: Item[];
  /** Resume point after the chunk's last record; null when the reader delivered nothing. */
  position: Position | null;
  /** The reader ended (the file is done). */
  done: boolean;
  /** The file is unreadable after this chunk's records (they are stored first, then this is thrown). */
  error: AppError | null;
}

/** Reads and prepares the next `rows` records or so (fewer at the end of the file). */
async function readChunk<Item>(batches: RecordBatches, rows: number, prepare: (records: SourceRecord[]) => Item[], needsHeader: () => boolean, fileName: string, timings: ImportTimings): Promise<Chunk<Item>> {
  const chunk: Chunk<Item> = { items: [], position: null, done: false, error: null };
  let count = 0;
  while (count < rows) {
    let t = performance.now();
    let next: IteratorResult<{ records: SourceRecord[]; position: Position }>;
    try {
      next = await batches.next();
    } catch (err) {
      // The file is unreadable from here on (e.g. an unclosed quote): what was read before the bad spot is kept.
      if (err instanceof AppError) {
        chunk.error = err;
        break;
      }
      throw err;
    } finally {
      timings.parseMs += performance.now() - t;
    }
    if (next.done) {
      chunk.done = true;
      break;
    }
    const { records, position } = next.value;
    if (records.length && needsHeader()) throw new AppError('IMPORT_FILE_EMPTY', `The file ${fileName} has no header line.`);
    chunk.position = position;
    count += records.length;
    t = performance.now();
    const hashBefore = timings.hashMs;
    chunk.items.push(...prepare(records));
    timings.validateMs += performance.now() - t - (timings.hashMs - hashBefore);
  }
  return chunk;
}

/** Runs (or resumes, from hooks.checkpoint) import run `runId` of the adapter's kind. */
export async function runImport<C, Item, R extends object>(db: Db, adapter: RecordAdapter<C, Item, R>, runId: number, hooks: ImportHooks, options: EngineOptions = {}): Promise<EngineSummary<C> & R> {
  const run = adapter.runs.get(runId);
  if (!run) throw new AppError('NOT_FOUND', `There is no ${adapter.runs.label} ${runId}.`);
  const dataDir = options.dataDir ?? path.dirname(db.name);
  const chunkRows = options.chunkRows ?? adapter.chunkRows;
  const holdMs = options.holdMs ?? TXN_HOLD_MS;
  // Records come from the reader in small batches; a chunk (transaction) spans as many as it takes.
  const readBatch = Math.min(READ_BATCH, chunkRows);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(run.filePath);
  } catch {
    throw new AppError('IMPORT_FILE_NOT_FOUND', `The file ${run.fileName} is no longer at ${run.filePath}.`);
  }
  if (stat.size === 0) throw new AppError('IMPORT_FILE_EMPTY', `The file ${run.fileName} is empty.`);

  // A dry run keeps its scratch state in memory and this connection's temporary tables, which die with the
  // process: it restarts from the top instead of resuming.
  const cp = run.dryRun ? null : readCheckpoint(hooks.checkpoint);
  if (cp && (cp.size !== stat.size || cp.mtimeMs !== stat.mtimeMs)) {
    throw new AppError('IMPORT_FILE_CHANGED', `${run.fileName} changed since this import started; start a new import of the file instead of resuming.`);
  }
  const restore = adapter.tune?.(db) ?? (() => undefined);
  const fileHash = crypto.createHash('sha256');
  // A resumed run goes on writing the rejects file it started (its name may predate the run's id: see 0020).
  const rejectsPath = (cp && run.rejectsPath) || adapter.rejectsPath(dataDir, runId, run.format);
  let batches: RecordBatches | null = null;
  let session: RecordSession<Item, R> | null = null;
  let open = false;
  try {
    if (cp) await hashPrefix(run.filePath, cp.position.offset, fileHash);
    const counts: C = cp ? run.counts : adapter.zero();
    adapter.runs.start(runId, rejectsPath, cp === null, counts);
    const rejects = new RejectsFile(rejectsPath, cp ? cp.rejectsBytes : null, null);
    const timings: ImportTimings = { parseMs: 0, validateMs: 0, hashMs: 0, writeMs: 0, commitMs: 0, pauseMs: 0, transactions: 0, yieldedToMain: 0 };
    const sampleRejects: { row: number; reason: string }[] = [];
    const sink: RejectSink = {
      reject(row, reason, line) {
        rejects.add(line);
        if (sampleRejects.length < 20) sampleRejects.push({ row, reason });
      },
      header(line) {
        rejects.add(line);
      },
    };
    const opened = adapter.open({ db, runId, run, counts, dataDir, rejects: sink, timings });
    session = opened;
    let header: string[] | null = cp?.header ?? null;
    if (header) opened.header?.(header);
    const tally = () => adapter.tally(counts);

    let batchesOrNull: RecordBatches;
    const onBytes = (chunk: Buffer) => fileHash.update(chunk);
    if (run.format === 'csv') {
      batchesOrNull = readCsvBatches({
        file: run.filePath,
        ...(cp ? { from: cp.position as CsvPosition } : {}),
        batchRecords: readBatch,
        onBytes,
        onHeader: (fields) => {
          opened.header?.(fields);
          header = fields;
          rejects.add(csvRejectsHeader(fields));
        },
      });
    } else {
      const from = cp ? (cp.position as FhirPosition) : undefined;
      const layout = from?.layout ?? (await detectFhirLayout(run.filePath));
      if (opened.index) {
        // The first pass reads the whole file (a resumed run too: what it resolves is not in the checkpoint).
        const t = performance.now();
        const all = fhirBatches(run.filePath, layout, undefined, readBatch);
        try {
          for await (const batch of all) opened.index(batch.records);
        } finally {
          await all.return(undefined);
          timings.parseMs += performance.now() - t;
        }
      }
      batchesOrNull = fhirBatches(run.filePath, layout, from, readBatch, onBytes);
    }
    batches = batchesOrNull;
    const needsHeader = () => run.format === 'csv' && header === null;

    // One transaction per chunk of rows, committed with the run's counts, the rejects written so far and the job
    // checkpoint. A dry run writes only memory and temporary tables until the commit, so it starts deferred.
    const begin = () => {
      db.exec(run.dryRun ? 'BEGIN' : 'BEGIN IMMEDIATE');
      open = true;
      opened.begin?.();
    };
    const commit = (position: Position) => {
      opened.flush?.();
      const checkpoint: Checkpoint = { v: 1, size: stat.size, mtimeMs: stat.mtimeMs, position, rejectsBytes: rejects.flush(), ...(header ? { header } : {}) };
      const { done, errors } = tally();
      const t = performance.now();
      if (run.dryRun) {
        // A dry run's chunk read the real tables in a deferred (read) transaction and wrote only temporary tables.
        // Upgrading that snapshot to write its counts fails at once (SQLITE_BUSY_SNAPSHOT, "database is locked") if
        // anyone committed meanwhile, and waiting cannot help; so the chunk ends as a read, and the counts and
        // checkpoint go in a short write transaction of their own, which waits for the lock like any writer.
        db.exec('COMMIT');
        db.transaction(() => {
          adapter.runs.saveCounts(runId, counts);
          hooks.saveCheckpoint(checkpoint, done, errors);
        }).immediate();
      } else {
        adapter.runs.saveCounts(runId, counts);
        hooks.saveCheckpoint(checkpoint, done, errors);
        db.exec('COMMIT');
      }
      timings.commitMs += performance.now() - t;
      timings.transactions++;
      open = false;
    };
    const progress = (offset: number) => {
      const { done, errors } = tally();
      const total = offset > 0 ? Math.max(done, Math.round((done * stat.size) / offset)) : null;
      hooks.report(done, total, errors);
    };

    let outcome: 'succeeded' | 'cancelled' = 'succeeded';
    let lastPosition: Position | null = null;
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
    {
      const start = tally();
      hooks.report(start.done, null, start.errors, cp ? 'resuming' : 'starting');
      for (;;) {
        // The next batch is read and validated while a transaction may be open: holding the lock costs nobody
        // anything until the heartbeat says the main thread waits.
        const chunk = await readChunk(batches, readBatch, (records) => opened.prepare(records), needsHeader, run.fileName, timings);
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
        opened.store(chunk.items);
        // Buffered appends go out per batch, so a long transaction holds no more rows in memory than one batch.
        opened.flush?.();
        timings.writeMs += performance.now() - t;
        lastPosition = chunk.position;
        txnRows += chunk.items.length;
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
    }
    const hash = outcome === 'succeeded' ? `0x${fileHash.digest('hex')}` : '';
    adapter.runs.finish(runId, outcome, null, hash || null);
    const end = tally();
    hooks.report(end.done, outcome === 'succeeded' ? end.done : null, end.errors, outcome);
    return { runId, format: run.format, dryRun: run.dryRun, outcome, counts, rejectsPath, fileHash: hash, sampleRejects, timings, ...opened.result() };
  } catch (err) {
    if (open) {
      db.exec('ROLLBACK');
      session?.discard?.();
    }
    const e = err instanceof AppError ? { code: err.code, message: err.message } : { code: 'IMPORT_FAILED', message: err instanceof Error ? err.message : String(err) };
    adapter.runs.finish(runId, 'failed', e, null);
    throw err;
  } finally {
    await batches?.return(undefined);
    restore();
  }
}
