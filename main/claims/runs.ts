// Rows of claim_import_runs: one per bulk claim import, with counts saved in the same transaction as the claims.
import type { Db } from '../db/connection';
import type { RunTable } from '../imports/engine';

export interface ClaimImportCounts {
  rowsRead: number;
  passed: number;
  failed: number;
  rejected: number;
  duplicate: number;
}

export interface ClaimImportRunRow {
  id: number;
  job_id: string | null;
  file_name: string;
  file_path: string;
  file_size: number;
  file_hash: string | null;
  dry_run: 0 | 1;
  rows_read: number;
  passed: number;
  failed: number;
  rejected: number;
  duplicate: number;
  rejects_path: string | null;
  outcome: 'succeeded' | 'failed' | 'cancelled' | null;
  error: string | null;
  started_by: string;
  created_at: string;
  finished_at: string | null;
}

export function createClaimImportRun(db: Db, r: { filePath: string; fileName: string; fileSize: number; startedBy: string; dryRun?: boolean }): number {
  return Number(
    db
      .prepare(`INSERT INTO claim_import_runs (file_name, file_path, file_size, dry_run, started_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(r.fileName, r.filePath, r.fileSize, r.dryRun ? 1 : 0, r.startedBy, new Date().toISOString()).lastInsertRowid,
  );
}

export function setClaimImportJob(db: Db, runId: number, jobId: string): void {
  db.prepare(`UPDATE claim_import_runs SET job_id = ? WHERE id = ?`).run(jobId, runId);
}

export function getClaimImportRun(db: Db, runId: number): ClaimImportRunRow | undefined {
  return db.prepare(`SELECT * FROM claim_import_runs WHERE id = ?`).get(runId) as ClaimImportRunRow | undefined;
}

export function listClaimImportRuns(db: Db, limit: number): (ClaimImportRunRow & { job_state: string | null })[] {
  return db
    .prepare(`SELECT r.*, j.state AS job_state FROM claim_import_runs r LEFT JOIN jobs j ON j.id = r.job_id ORDER BY r.id DESC LIMIT ?`)
    .all(limit) as (ClaimImportRunRow & { job_state: string | null })[];
}

export function saveClaimImportCounts(db: Db, runId: number, c: ClaimImportCounts): void {
  db.prepare(`UPDATE claim_import_runs SET rows_read = ?, passed = ?, failed = ?, rejected = ?, duplicate = ? WHERE id = ?`).run(c.rowsRead, c.passed, c.failed, c.rejected, c.duplicate, runId);
}

export function finishClaimImportRun(db: Db, runId: number, outcome: 'succeeded' | 'failed' | 'cancelled', error: string | null, fileHash: string | null = null): void {
  db.prepare(`UPDATE claim_import_runs SET outcome = ?, error = ?, file_hash = COALESCE(?, file_hash), finished_at = ? WHERE id = ?`).run(outcome, error, fileHash, new Date().toISOString(), runId);
}

/** claim_import_runs as the import framework reads and writes a run. */
export function claimRunTable(db: Db): RunTable<ClaimImportCounts> {
  return {
    label: 'claim import run',
    get(runId) {
      const r = getClaimImportRun(db, runId);
      if (!r) return undefined;
      const counts: ClaimImportCounts = { rowsRead: r.rows_read, passed: r.passed, failed: r.failed, rejected: r.rejected, duplicate: r.duplicate };
      return { filePath: r.file_path, fileName: r.file_name, format: 'csv', dryRun: r.dry_run === 1, startedBy: r.started_by, counts };
    },
    start(runId, rejectsPath, fresh) {
      if (fresh) {
        db.prepare(
          `UPDATE claim_import_runs SET rejects_path = ?, rows_read = 0, passed = 0, failed = 0, rejected = 0, duplicate = 0, outcome = NULL, error = NULL, finished_at = NULL WHERE id = ?`,
        ).run(rejectsPath, runId);
      } else db.prepare(`UPDATE claim_import_runs SET rejects_path = ?, outcome = NULL, error = NULL, finished_at = NULL WHERE id = ?`).run(rejectsPath, runId);
    },
    saveCounts: (runId, counts) => saveClaimImportCounts(db, runId, counts),
    // The error keeps its code in front ("CODE: message"), as claims runs always have.
    finish: (runId, outcome, error, fileHash) => finishClaimImportRun(db, runId, outcome, error ? `${error.code}: ${error.message}` : null, fileHash),
  };
}
