// The import_runs table: one row per import (file, format, dry run, counts, rejects file), read by the Imports
// page's history and summary. Counts change only inside the transaction that commits the rows they count.
import type { Db } from '../db/connection';
import type { RunTable } from './engine';

export type ImportFormat = 'csv' | 'fhir';

export interface ImportCounts {
  rows_read: number;
  accepted: number;
  updated: number;
  rejected: number;
  duplicate: number;
  consents_written: number;
}

export interface ImportRunRow extends ImportCounts {
  id: number;
  job_id: string | null;
  file_name: string;
  file_path: string;
  file_size: number;
  file_hash: string | null;
  format: ImportFormat;
  dry_run: 0 | 1;
  rejects_path: string | null;
  outcome: 'succeeded' | 'failed' | 'cancelled' | null;
  error: string | null;
  started_by: string;
  created_at: string;
  finished_at: string | null;
}

export interface NewImportRun {
  filePath: string;
  fileName: string;
  fileSize: number;
  format: ImportFormat;
  dryRun: boolean;
  startedBy: string;
}

export function createImportRun(db: Db, run: NewImportRun): number {
  return Number(
    db
      .prepare('INSERT INTO import_runs (file_name, file_path, file_size, format, dry_run, started_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(run.fileName, run.filePath, run.fileSize, run.format, run.dryRun ? 1 : 0, run.startedBy, new Date().toISOString()).lastInsertRowid,
  );
}

export function setImportJob(db: Db, runId: number, jobId: string): void {
  db.prepare('UPDATE import_runs SET job_id = ? WHERE id = ?').run(jobId, runId);
}

export function getImportRun(db: Db, runId: number): ImportRunRow | undefined {
  return db.prepare('SELECT * FROM import_runs WHERE id = ?').get(runId) as ImportRunRow | undefined;
}

export function startImportRun(db: Db, runId: number, fileHash: string | null, rejectsPath: string, fresh: boolean): void {
  if (fresh) {
    db.prepare(
      `UPDATE import_runs SET file_hash = ?, rejects_path = ?, rows_read = 0, accepted = 0, updated = 0, rejected = 0, duplicate = 0,
         consents_written = 0, outcome = NULL, error = NULL, finished_at = NULL WHERE id = ?`,
    ).run(fileHash, rejectsPath, runId);
  } else {
    db.prepare('UPDATE import_runs SET outcome = NULL, error = NULL, finished_at = NULL WHERE id = ?').run(runId);
  }
}

export function saveImportCounts(db: Db, runId: number, c: ImportCounts): void {
  db.prepare('UPDATE import_runs SET rows_read = ?, accepted = ?, updated = ?, rejected = ?, duplicate = ?, consents_written = ? WHERE id = ?').run(
    c.rows_read,
    c.accepted,
    c.updated,
    c.rejected,
    c.duplicate,
    c.consents_written,
    runId,
  );
}

export function finishImportRun(db: Db, runId: number, outcome: 'succeeded' | 'failed' | 'cancelled', error: string | null, fileHash: string | null = null): void {
  db.prepare('UPDATE import_runs SET outcome = ?, error = ?, file_hash = COALESCE(?, file_hash), finished_at = ? WHERE id = ?').run(outcome, error, fileHash, new Date().toISOString(), runId);
}

/** import_runs as the import framework reads and writes a run. */
export function consentRunTable(db: Db): RunTable<ImportCounts> {
  return {
    label: 'import run',
    get(runId) {
      const r = getImportRun(db, runId);
      if (!r) return undefined;
      const counts: ImportCounts = { rows_read: r.rows_read, accepted: r.accepted, updated: r.updated, rejected: r.rejected, duplicate: r.duplicate, consents_written: r.consents_written };
      return { filePath: r.file_path, fileName: r.file_name, format: r.format, dryRun: r.dry_run === 1, startedBy: r.started_by, counts };
    },
    start: (runId, rejectsPath, fresh) => startImportRun(db, runId, null, rejectsPath, fresh),
    saveCounts: (runId, counts) => saveImportCounts(db, runId, counts),
    finish: (runId, outcome, error, fileHash) => finishImportRun(db, runId, outcome, error?.message ?? null, fileHash),
  };
}

/** Newest first, keyset-paginated by id. The state comes from the job row when there is one. */
export function listImportRuns(db: Db, limit: number, before: number | null): (ImportRunRow & { job_state: string | null })[] {
  return db
    .prepare(
      `SELECT r.*, j.state AS job_state FROM import_runs r LEFT JOIN jobs j ON j.id = r.job_id
       WHERE r.id < ? ORDER BY r.id DESC LIMIT ?`,
    )
    .all(before ?? Number.MAX_SAFE_INTEGER, limit) as (ImportRunRow & { job_state: string | null })[];
}

/** When the first import that wrote to the database (not a dry run) succeeded, or null. */
export function firstCommittedImportAt(db: Db): string | null {
  const row = db.prepare(`SELECT min(finished_at) AS at FROM import_runs WHERE dry_run = 0 AND outcome = 'succeeded'`).get() as { at: string | null };
  return row.at;
}
