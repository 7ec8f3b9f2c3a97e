// Rows of claim_import_runs: one per bulk claim import, with counts saved in the same transaction as the claims.
import type { Db } from '../db/connection';

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

export function createClaimImportRun(db: Db, r: { filePath: string; fileName: string; fileSize: number; startedBy: string }): number {
  return Number(
    db
      .prepare(`INSERT INTO claim_import_runs (file_name, file_path, file_size, started_by, created_at) VALUES (?, ?, ?, ?, ?)`)
      .run(r.fileName, r.filePath, r.fileSize, r.startedBy, new Date().toISOString()).lastInsertRowid,
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

export function saveClaimImportCounts(db: Db, runId: number, c: ClaimImportCounts, rejectsPath: string): void {
  db.prepare(`UPDATE claim_import_runs SET rows_read = ?, passed = ?, failed = ?, rejected = ?, duplicate = ?, rejects_path = ? WHERE id = ?`).run(
    c.rowsRead,
    c.passed,
    c.failed,
    c.rejected,
    c.duplicate,
    rejectsPath,
    runId,
  );
}

export function finishClaimImportRun(db: Db, runId: number, outcome: 'succeeded' | 'failed' | 'cancelled', error: string | null): void {
  db.prepare(`UPDATE claim_import_runs SET outcome = ?, error = ?, finished_at = ? WHERE id = ?`).run(outcome, error, new Date().toISOString(), runId);
}
