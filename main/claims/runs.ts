// Claim import runs in the one runs table (imports/run-table.ts): their counts, saved in the same transaction as
// the claims they count.
import type { Db } from '../db/connection';
import type { RunTable, SourceFormat } from '../imports/engine';
import { createRun, getRun, runTable, type ImportRunRow } from '../imports/run-table';

export interface ClaimImportCounts {
  rowsRead: number;
  passed: number;
  failed: number;
  rejected: number;
  duplicate: number;
}

export type ClaimImportRunRow = ImportRunRow<ClaimImportCounts>;

export function createClaimImportRun(db: Db, r: { filePath: string; fileName: string; fileSize: number; startedBy: string; dryRun?: boolean; format?: SourceFormat }): number {
  return createRun(db, 'claims', { filePath: r.filePath, fileName: r.fileName, fileSize: r.fileSize, format: r.format ?? 'csv', dryRun: r.dryRun ?? false, startedBy: r.startedBy }, {
    rowsRead: 0,
    passed: 0,
    failed: 0,
    rejected: 0,
    duplicate: 0,
  } satisfies ClaimImportCounts);
}

export function getClaimImportRun(db: Db, runId: number): ClaimImportRunRow | undefined {
  return getRun<ClaimImportCounts>(db, runId, 'claims');
}

export const claimTally = (c: ClaimImportCounts) => ({ done: c.rowsRead, errors: c.rejected });

/** The claims' view of import_runs for the engine. */
export function claimRunTable(db: Db): RunTable<ClaimImportCounts> {
  return runTable<ClaimImportCounts>(db, 'claims', 'claim import run', claimTally);
}
