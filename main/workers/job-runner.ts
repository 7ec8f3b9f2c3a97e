// Runs long jobs in worker threads and keeps their rows in the jobs table: queued -> running -> outcome.
// Forwards throttled, monotonic progress to the event bus; a job found 'running' at start-up was interrupted.
import crypto from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { z } from 'zod';
import { AppError } from '../api/errors';
import type { JobProgress } from '../api/events';
import { JOB_KINDS, type JobKindTable } from '../api/jobs';
import type { JobError, JobState, JobSummary } from '../api/system';
import type { Db, DbKey } from '../db/connection';
import type { EventBus } from '../runtime/event-bus';
import type { Logger } from '../runtime/log';
import { parseJobParams } from './job-params';
import { cancelIdleJob, finishJob, insertQueuedJob, jobRow, latestJobRows, markJobRunning, markUnfinishedInterrupted, type JobRow } from './job-store';
import { MainThreadHeartbeat } from './main-thread-watch';
import { ProgressTracker } from './progress';
import { startTsWorker } from './ts-worker';
import type { JobWorkerData, MainToWorker, WorkerToMain } from './protocol';

export interface JobRunnerOptions<T extends JobKindTable = typeof JOB_KINDS> {
  db: Db;
  dbPath: string;
  /** The at-rest key; each worker opens its own connection with it (null: a plain database, unit tests only). */
  dbKey?: DbKey | null;
  events: EventBus;
  log: Logger;
  nativeBinding?: string;
  /** Bundled worker entry (Electron build); by default the TypeScript source is loaded through tsx. */
  workerEntry?: string;
  /** A registry module other than the production one (tests): give its table as kindDefs too. */
  registryUrl?: string;
  /** The kinds this runner starts, with their params schemas; the production table by default. */
  kindDefs?: T;
  progressIntervalMs?: number;
  /**
   * The job worker's old-generation cap in MiB: JOB_WORKER_OLD_GENERATION_MB unless set; null leaves V8's default
   * (no cap). Tests (a small cap to run out of) and the bench (with and without the cap) set it; production does not.
   */
  oldGenerationMb?: number | null;
}

/** A job row's error: 'The app stopped…' rows from before error codes were stored read as interrupted. */
const INTERRUPTED: JobError = { code: 'JOB_INTERRUPTED', message: 'The app stopped while this job ran' };

interface Running {
  worker: Worker;
  kind: string;
  tracker: ProgressTracker;
  finished: Promise<JobSummary>;
}

function toSummary(row: JobRow): JobSummary {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    done: row.done,
    total: row.total,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error === null ? null : { code: row.error_code ?? 'JOB_FAILED', message: row.error },
  };
}

/**
 * A job worker's young generation (V8's nursery for short-lived objects), in MiB. A job allocates row after row of
 * short-lived objects, and the nursery V8 gives a worker thread on Node 24 by default is 192 MiB: an
 * import's peak RSS (the importing process) was 451 MB for 1,000,000 rows and 422 MB for 200,000, against 285 MB for
 * 1,000,000 on Node 20. Capped, 200,000 rows under the same load: 48 MiB 322 MB, 24 MiB 315 MB, 12 MiB 291 MB. Only
 * the nursery is capped: objects that live on move to the old generation as before. The bench prints the figure (`npm run bench --
 * consent-import`, import peak RSS).
 */
export const JOB_WORKER_YOUNG_GENERATION_MB = 16;

/**
 * A job worker's old generation (objects that outlive the nursery), in MiB. V8 lets the old generation grow past its
 * live size before the next full collection by a factor it scales with this maximum; uncapped (sized from the
 * machine's memory) it grew to about 4x, and the import's peak RSS at 1,000,000 rows on Node 24 stayed at 328-352 MB
 * with only the nursery capped. Measured 2026-12-07 on the loaded 2-core machine (`npm run bench -- consent-import`,
 * BENCH_OLD_GENERATION_AB), console path, plain database: 200,000 rows in 5 alternating pairs, 215-224 MB capped
 * against 292-327 MB uncapped; 1,000,000 rows, 224 MB against 322 MB. The CLI (`custodian import consents`,
 * encrypted) peaked at 301 MB for 1,000,000 rows, of which 281 MB is its own floor (the same command on 10 rows).
 * The cap does not look free in speed (more full collections, presumably): 3,346 against 3,704 rows/s on average
 * over the pairs (capped slower in 4 of 5, pair ratios 0.80-1.14), 4,689 against 6,216 at 1,000,000 rows (one run
 * each, not alternated). 1,024 MiB, tried in two alternating runs of 512 / 1,024 / uncapped at 200,000 rows, kept
 * the same RSS (220 / 218 MB against 228 / 207 capped at 512 and 320 / 299 uncapped; at 1,000,000 rows 231 against
 * 217 MB, 3,279 against 2,835 rows/s) at about half the cost (3,973 / 17,970 rows/s against 3,637 / 16,009 and 4,637
 * / 19,518): a candidate, not yet enough runs. A job that needs more than this fails with JOB_OUT_OF_MEMORY and can
 * be resumed from its last checkpoint, like an interrupted one.
 */
export const JOB_WORKER_OLD_GENERATION_MB = 512;

/** The job row's error when the worker reached its heap cap (V8 stopped the thread: ERR_WORKER_OUT_OF_MEMORY). */
function outOfMemory(limitMb: number | null): JobError {
  return {
    code: 'JOB_OUT_OF_MEMORY',
    message:
      `The job used more memory than its ${limitMb === null ? '' : `${limitMb} MB `}limit and was stopped. What it had saved is kept: ` +
      'resume it to continue from its last checkpoint (imports: the Imports page or `custodian import resume RUN`). If it stops again, tell IT.',
  };
}

function oldGenerationCap(options: JobRunnerOptions<JobKindTable>): number | null {
  return options.oldGenerationMb === undefined ? JOB_WORKER_OLD_GENERATION_MB : options.oldGenerationMb;
}

function createWorker(options: JobRunnerOptions<JobKindTable>, data: JobWorkerData): Worker {
  const oldGenerationMb = oldGenerationCap(options);
  const resourceLimits = { maxYoungGenerationSizeMb: JOB_WORKER_YOUNG_GENERATION_MB, ...(oldGenerationMb === null ? {} : { maxOldGenerationSizeMb: oldGenerationMb }) };
  if (options.workerEntry) return new Worker(options.workerEntry, { workerData: data, resourceLimits });
  // From source (CLI, browser mode, tests): register tsx inside the worker, then load the TypeScript entry. The entry
  // is the top of its thread (it loads the job registry), so it lives with the composition root, not in this layer.
  return startTsWorker(new URL('../compose/job-worker.ts', import.meta.url), data, resourceLimits);
}

export class JobRunner<T extends JobKindTable = typeof JOB_KINDS> {
  private readonly running = new Map<string, Running>();
  private readonly db: Db;
  private readonly kindDefs: JobKindTable;
  /** Lets a worker holding the write lock see that this thread waits for it (beats only while jobs run). */
  private readonly heartbeat = new MainThreadHeartbeat();

  constructor(private readonly options: JobRunnerOptions<T>) {
    this.db = options.db;
    this.kindDefs = options.kindDefs ?? JOB_KINDS;
  }

  /** Jobs left 'running' or 'queued' by a crash are marked interrupted, so the UI can offer to resume them. */
  markInterrupted(): number {
    return markUnfinishedInterrupted(this.db, INTERRUPTED);
  }

  /** Starts a job of a declared kind; params that its schema refuses never reach the table (VALIDATION_FAILED). */
  start<K extends keyof T & string>(kind: K, params: z.input<T[K]['params']>): JobSummary {
    const def = Object.prototype.hasOwnProperty.call(this.kindDefs, kind) ? this.kindDefs[kind] : undefined;
    if (!def) throw new AppError('JOB_FAILED', `Unknown job kind ${kind}`);
    const parsed = parseJobParams(def, kind, params);
    const id = crypto.randomUUID();
    insertQueuedJob(this.db, id, kind, parsed);
    this.launch(this.row(id));
    return this.get(id);
  }

  /** Continues an interrupted (or failed) job from its last checkpoint. */
  resume(jobId: string): JobSummary {
    const row = this.row(jobId);
    if (row.state !== 'interrupted' && row.state !== 'failed') {
      throw new AppError('CONFLICT', `Job ${jobId} is ${row.state}; only an interrupted or failed job can be resumed.`);
    }
    this.launch(row);
    return this.get(jobId);
  }

  cancel(jobId: string): boolean {
    const running = this.running.get(jobId);
    if (!running) {
      return cancelIdleJob(this.db, jobId, new Date().toISOString());
    }
    running.worker.postMessage({ type: 'cancel' } satisfies MainToWorker);
    return true;
  }

  get(jobId: string): JobSummary {
    return this.withLiveProgress(toSummary(this.row(jobId)));
  }

  /** The summary with the error count and the result the job recorded when it ended (null until then). */
  detail(jobId: string): JobSummary & { errors: number; result: unknown } {
    const row = this.row(jobId);
    return { ...this.withLiveProgress(toSummary(row)), errors: row.errors, result: row.result === null ? null : (JSON.parse(row.result) as unknown) };
  }

  list(limit: number): JobSummary[] {
    return latestJobRows(this.db, limit).map((r) => this.withLiveProgress(toSummary(r)));
  }

  /** A running job's counts come from its latest progress message, newer than its last checkpoint. */
  private withLiveProgress(summary: JobSummary): JobSummary {
    const running = this.running.get(summary.id);
    if (!running) return summary;
    const live = running.tracker.snapshot(Date.now());
    return { ...summary, done: Math.max(summary.done, live.done), total: live.total ?? summary.total };
  }

  /** Resolves with the final summary when the job finishes (at once if it already has). */
  async waitFor(jobId: string): Promise<JobSummary> {
    const running = this.running.get(jobId);
    if (running) return running.finished;
    return this.get(jobId);
  }

  /** Stops every running job's worker; their rows stay 'running' and count as interrupted at next start. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.worker.terminate()));
    this.running.clear();
  }

  private row(jobId: string): JobRow {
    const row = jobRow(this.db, jobId);
    if (!row) throw new AppError('JOB_NOT_FOUND', `No job with id ${jobId}`);
    return row;
  }

  private launch(row: JobRow): void {
    const now = new Date().toISOString();
    markJobRunning(this.db, row.id, now);
    const data: JobWorkerData = {
      jobId: row.id,
      kind: row.kind,
      params: JSON.parse(row.params),
      checkpoint: row.checkpoint ? JSON.parse(row.checkpoint) : null,
      dbPath: this.options.dbPath,
      ...(this.options.dbKey ? { dbKeyHex: this.options.dbKey.hex } : {}),
      ...(this.options.nativeBinding ? { nativeBinding: this.options.nativeBinding } : {}),
      ...(this.options.registryUrl ? { registryUrl: this.options.registryUrl } : {}),
      heartbeat: this.heartbeat.acquire(),
    };
    let worker: Worker;
    try {
      worker = createWorker(this.options, data);
    } catch (err) {
      this.heartbeat.release();
      throw err;
    }
    const tracker = new ProgressTracker(Date.now(), this.options.progressIntervalMs ?? 100, row.done);
    let outcome: WorkerToMain | null = null;
    const finished = new Promise<JobSummary>((resolve) => {
      worker.on('message', (message: WorkerToMain) => {
        if (message.type === 'progress') {
          // Kept in memory, not written here: while the worker holds a chunk's write lock, a write from this
          // thread would wait on it and freeze the window. The worker saves counts with its checkpoints, and
          // finish() writes the final counts once.
          const snap = tracker.update(Date.now(), message.done, message.total, message.errors);
          if (snap) this.emit(row.id, row.kind, 'running', snap, message.message);
        } else {
          outcome = message;
        }
      });
      worker.on('error', (err: Error & { code?: string }) => {
        // Out of memory is not a bug in the job's input or code: a named error that says to resume.
        const failure = err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? outOfMemory(oldGenerationCap(this.options)) : { code: 'JOB_FAILED', message: err.message };
        outcome ??= { type: 'failed', ...failure };
      });
      worker.on('exit', () => {
        this.running.delete(row.id);
        this.heartbeat.release();
        resolve(this.finish(row.id, row.kind, tracker, outcome ?? { type: 'failed', code: 'JOB_FAILED', message: 'The job worker stopped without a result' }));
      });
    });
    this.running.set(row.id, { worker, kind: row.kind, tracker, finished });
  }

  private finish(jobId: string, kind: string, tracker: ProgressTracker, outcome: WorkerToMain): JobSummary {
    const now = new Date().toISOString();
    const state: JobState = outcome.type === 'succeeded' ? 'succeeded' : outcome.type === 'cancelled' ? 'cancelled' : 'failed';
    const last = tracker.snapshot(Date.now());
    finishJob(
      this.db,
      jobId,
      {
        state,
        done: last.done,
        total: last.total,
        errors: last.errors,
        result: outcome.type === 'succeeded' ? JSON.stringify(outcome.result) : null,
        error: outcome.type === 'failed' ? { code: outcome.code, message: outcome.message } : null,
      },
      now,
    );
    const summary = this.get(jobId);
    const snap = tracker.update(Date.now(), summary.done, summary.total, 0, true)!;
    this.emit(jobId, kind, state, snap, outcome.type === 'failed' ? outcome.message : undefined);
    if (state === 'failed') this.options.log.warn(`job ${jobId} (${kind}) failed: ${summary.error?.code}: ${summary.error?.message}`);
    return summary;
  }

  private emit(jobId: string, kind: string, state: JobState, snap: { done: number; total: number | null; errors: number; rate: number; etaSeconds: number | null }, message?: string): void {
    const payload: JobProgress = { jobId, kind, state, ...snap, ...(message ? { message } : {}) };
    this.options.events.emit('job.progress', payload);
  }
}
