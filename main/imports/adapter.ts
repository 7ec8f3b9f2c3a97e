// The contract of the import framework (engine.ts): what a kind of import supplies (its runs table, its counts,
// how a batch is validated outside the write lock and stored inside it) and what its host supplies (hooks).
import type { Db } from '../db/connection';
import type { MainThreadWatch } from '../workers/main-thread-watch';
import type { CsvPosition, CsvRecord } from './csv-source';
import type { FhirPosition, FhirRecord } from './fhir-source';

export type ImportKind = 'consents' | 'providers' | 'claims';
export type SourceFormat = 'csv' | 'fhir';
export type RunOutcome = 'succeeded' | 'failed' | 'cancelled';
export type Position = CsvPosition | FhirPosition;
export type SourceRecord = CsvRecord | FhirRecord;

/** What an import needs from its host: the job context in a worker, or a plain object in tests and benches. */
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
export interface ImportTimings {
  parseMs: number;
  validateMs: number;
  /** Work of the adapter's prepare step that is not validation (consents: pseudonym HMAC, document hash). */
  hashMs: number;
  /** Holding the write lock: lookups, inserts, flushes and the COMMIT (commitMs is the COMMIT alone). */
  writeMs: number;
  commitMs: number;
  /** Idle between transactions so other writers get the lock: waiting for the main thread, courtesy pauses. */
  pauseMs: number;
  /** Transactions committed, and how many of them ended because the main thread waited. */
  transactions: number;
  yieldedToMain: number;
}

/** The file and mode of a run, as its kind's runs table holds them. */
export interface RunFile {
  filePath: string;
  fileName: string;
  format: SourceFormat;
  dryRun: boolean;
  startedBy: string;
}

/** A kind's view of the one runs table (run-table.ts): the engine reads and writes a run only through this. */
export interface RunTable<C> {
  /** How a message names a run of this kind ("import run", "roster import run"). */
  readonly label: string;
  /** The run, if it is one of this kind; rejectsPath is the file it has written (null before it started). */
  get(runId: number): (RunFile & { rejectsPath: string | null; counts: C }) | undefined;
  /** Before reading: a fresh run (not a resume) starts its counts (at `zero`) and rejects over. */
  start(runId: number, rejectsPath: string, fresh: boolean, zero: C): void;
  /** Inside the transaction that commits the rows counted. */
  saveCounts(runId: number, counts: C): void;
  finish(runId: number, outcome: RunOutcome, error: { code: string; message: string } | null, fileHash: string | null): void;
}

/** Where the adapter sends a refused record: its line of the rejects file and a sample for the summary. */
export interface RejectSink {
  reject(row: number, reason: string, line: string): void;
  /** A line that is not a refused record (the header of a rejects file the adapter lays out itself). */
  header(line: string): void;
}

export interface AdapterContext<C> {
  db: Db;
  runId: number;
  run: RunFile;
  /** The run's counts: the adapter counts each record it stores; the engine saves them with every commit. */
  counts: C;
  dataDir: string;
  rejects: RejectSink;
  timings: ImportTimings;
}

/** One run of an adapter: validates batches outside the write lock and stores them inside it. */
export interface RecordSession<Item, R extends object> {
  /** CSV: the header line (or on resume, the one the checkpoint kept). Throws a named AppError when unusable. */
  header?(fields: string[]): void;
  /**
   * FHIR only: a first pass over the whole file, from its start, before any record is prepared (also on resume),
   * for kinds whose resources refer to each other (a PractitionerRole to its Practitioner): the reader is streamed,
   * the session keeps what it needs to resolve references.
   */
  index?(records: readonly SourceRecord[]): void;
  /** Validates records without touching the write lock (signatures, hashes, field rules). */
  prepare(records: readonly SourceRecord[]): Item[];
  /** Stores prepared items in file order, inside the chunk's transaction; counts and rejects each one. */
  store(items: readonly Item[]): void;
  /** A transaction begins / is about to commit (write buffered rows) / was rolled back (drop caches). */
  begin?(): void;
  flush?(): void;
  discard?(): void;
  /** Kind-specific fields of the summary (ignored columns, samples of duplicates…). */
  result(): R;
}

/** A kind of import: its runs table, its counts and how its records are validated and stored. */
export interface RecordAdapter<C, Item, R extends object> {
  readonly kind: ImportKind;
  readonly runs: RunTable<C>;
  /** Rows per transaction unless the caller says otherwise. */
  readonly chunkRows: number;
  zero(): C;
  /** Records read and refused, for progress and the job's counters. */
  tally(counts: C): { done: number; errors: number };
  rejectsPath(dataDir: string, runId: number, format: SourceFormat): string;
  open(ctx: AdapterContext<C>): RecordSession<Item, R>;
  /** Around the whole run (consents: a larger page cache); restored by the returned function. */
  tune?(db: Db): () => void;
}

export interface EngineOptions {
  /** At most this many rows per transaction (tests use small ones to commit often). */
  chunkRows?: number;
  /** Where secrets/ and imports/ live; the database's folder by default. */
  dataDir?: string;
  /** Longest a transaction stays open when nobody waits (TXN_HOLD_MS; tests raise it to be deterministic). */
  holdMs?: number;
}

/** What a kind's job result says of its run, beside the kind's counts. */
export interface RunResultBase {
  runId: number;
  dryRun: boolean;
  outcome: 'succeeded' | 'cancelled';
  rejectsPath: string;
  fileHash: string;
  ignoredColumns: string[];
  sampleRejects: { row: number; reason: string }[];
}

export interface EngineSummary<C> {
  runId: number;
  format: SourceFormat;
  dryRun: boolean;
  outcome: 'succeeded' | 'cancelled';
  counts: C;
  rejectsPath: string;
  fileHash: string;
  sampleRejects: { row: number; reason: string }[];
  timings: ImportTimings;
}

