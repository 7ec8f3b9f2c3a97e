// SQL of the jobs table, its one writer: the runner's state changes (main thread) and the worker's checkpoints
// (its own connection, compose/job-worker.ts). Other domains may read a job's row; none writes it.
import type { JobError, JobState } from '../api/system';
import type { Db } from '../db/connection';

export interface JobRow {
  id: string;
  kind: string;
  state: JobState;
  params: string;
  done: number;
  total: number | null;
  errors: number;
  checkpoint: string | null;
  result: string | null;
  error_code: string | null;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
}

export function jobRow(db: Db, jobId: string): JobRow | undefined {
  return db.prepare(`SELECT * FROM jobs WHERE id = ?`).get(jobId) as JobRow | undefined;
}

export function latestJobRows(db: Db, limit: number): JobRow[] {
  return db.prepare(`SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?`).all(limit) as JobRow[];
}

export function insertQueuedJob(db: Db, id: string, kind: string, params: unknown): void {
  db.prepare(`INSERT INTO jobs (id, kind, state, params) VALUES (?, ?, 'queued', ?)`).run(id, kind, JSON.stringify(params ?? {}));
}

/** Rows left 'running' or 'queued' by a process that stopped: interrupted, with this error. */
export function markUnfinishedInterrupted(db: Db, error: JobError): number {
  return db.prepare(`UPDATE jobs SET state = 'interrupted', error_code = ?, error = ? WHERE state IN ('running', 'queued')`).run(error.code, error.message).changes;
}

/** Cancels a job no worker runs (queued or interrupted); false when it is in another state. */
export function cancelIdleJob(db: Db, jobId: string, at: string): boolean {
  return db.prepare(`UPDATE jobs SET state = 'cancelled', finished_at = ? WHERE id = ? AND state IN ('queued', 'interrupted')`).run(at, jobId).changes > 0;
}

/** A worker takes the job: running, its first start kept, a previous run's error cleared. */
export function markJobRunning(db: Db, jobId: string, at: string): void {
  db.prepare(`UPDATE jobs SET state = 'running', started_at = COALESCE(started_at, ?), error_code = NULL, error = NULL WHERE id = ?`).run(at, jobId);
}

export interface JobOutcome {
  state: JobState;
  done: number;
  total: number | null;
  errors: number;
  /** JSON of the result (succeeded only). */
  result: string | null;
  error: JobError | null;
}

/** The job ended: counts never go below what its checkpoints saved. */
export function finishJob(db: Db, jobId: string, o: JobOutcome, at: string): void {
  db.prepare(
    `UPDATE jobs SET state = ?, finished_at = ?, done = MAX(done, ?), total = COALESCE(?, total), errors = MAX(errors, ?), result = ?, error_code = ?, error = ? WHERE id = ?`,
  ).run(o.state, at, o.done, o.total, o.errors, o.result, o.error?.code ?? null, o.error?.message ?? null, jobId);
}

/** The worker's checkpoint writer, prepared once on its connection (called inside each chunk's transaction). */
export function checkpointWriter(db: Db, jobId: string): (checkpoint: unknown, done: number, errors: number) => void {
  const stmt = db.prepare(`UPDATE jobs SET checkpoint = ?, done = ?, errors = ? WHERE id = ?`);
  return (checkpoint, done, errors) => {
    stmt.run(JSON.stringify(checkpoint), done, errors, jobId);
  };
}
