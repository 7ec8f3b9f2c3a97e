// Messages between the job runner (main thread) and a job's worker thread, and the contract a job implements.
import type { JobKind, JobKindTable, JobParams, JobResult } from '../api/jobs';
import type { Db } from '../db/connection';
import type { MainThreadWatch } from './main-thread-watch';

export interface JobWorkerData {
  jobId: string;
  kind: string;
  params: unknown;
  checkpoint: unknown;
  dbPath: string;
  /** The at-rest key (64 hex digits), handed in memory to the worker's own connection. */
  dbKeyHex?: string;
  nativeBinding?: string;
  /** Module exporting `jobKinds` and `jobKindDefs` (a JobRegistryModule); defaults to the production registry. Tests point it at fixtures. */
  registryUrl?: string;
  /** The main thread's heartbeat (main-thread-watch.ts). */
  heartbeat?: SharedArrayBuffer;
}

export type WorkerToMain =
  | { type: 'progress'; done: number; total: number | null; errors: number; message?: string }
  | { type: 'succeeded'; result: unknown }
  | { type: 'failed'; code: string; message: string }
  | { type: 'cancelled' };

export type MainToWorker = { type: 'cancel' };

export interface JobContext<P = unknown> {
  jobId: string;
  db: Db;
  /** Parsed with the kind's params schema before the job runs. */
  params: P;
  /** The last checkpoint saved by a previous run of this job (resume), or null. */
  checkpoint: unknown;
  report(done: number, total: number | null, errors?: number, message?: string): void;
  /** Stores a checkpoint. Call it inside the same transaction as the work it describes. */
  saveCheckpoint(checkpoint: unknown, done: number, errors?: number): void;
  readonly cancelled: boolean;
  /** Whether the main thread is waiting (for the write lock a job holds); null without a heartbeat. */
  mainThread: MainThreadWatch | null;
}

export type JobImplementation<P = unknown, R = unknown> = (ctx: JobContext<P>) => Promise<R>;

/**
 * The function for a declared kind: its params as parsed by the kind's schema; it records at least what the kind's
 * result schema declares (more is allowed: paths and timings main reads, stripped before the UI sees them).
 */
export type JobOf<K extends JobKind> = JobImplementation<JobParams<K>, JobResult<K>>;

/** What a registry module (the production one, or a test fixture) exports: the table, and a function per kind. */
export interface JobRegistryModule<T extends JobKindTable = JobKindTable> {
  jobKindDefs: T;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  jobKinds: { [K in keyof T]: JobImplementation<any, unknown> };
}

export class JobCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}
