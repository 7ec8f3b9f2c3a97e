// Consent import runs in the one runs table (run-table.ts): their counts, and how the engine and the Imports page
// read them. Counts change only inside the transaction that commits the rows they count.
import type { Db } from '../db/connection';
import type { RunTable } from './engine';
import { createRun, getRun, listRuns, runTable, type ImportRunRow, type ListedImportRun, type NewImportRun } from './run-table';

export type ImportFormat = 'csv' | 'fhir';

export interface ImportCounts {
  rows_read: number;
  accepted: number;
  updated: number;
  rejected: number;
  duplicate: number;
  consents_written: number;
}

export type ConsentRunRow = ImportRunRow<ImportCounts>;

export function createImportRun(db: Db, run: NewImportRun): number {
  return createRun<ImportCounts>(db, 'consents', run, { rows_read: 0, accepted: 0, updated: 0, rejected: 0, duplicate: 0, consents_written: 0 });
}

export function getImportRun(db: Db, runId: number): ConsentRunRow | undefined {
  return getRun<ImportCounts>(db, runId, 'consents');
}

export const consentTally = (c: ImportCounts) => ({ done: c.rows_read, errors: c.rejected });

/** The consents' view of import_runs for the engine. */
export function consentRunTable(db: Db): RunTable<ImportCounts> {
  return runTable<ImportCounts>(db, 'consents', 'import run', consentTally);
}

/** Consent runs, newest first, keyset-paginated by id. */
export function listImportRuns(db: Db, limit: number, before: number | null): ListedImportRun<ImportCounts>[] {
  return listRuns<ImportCounts>(db, { kind: 'consents', limit, before });
}

/** When the first consent import that wrote to the database (not a dry run) succeeded, or null. */
export function firstCommittedImportAt(db: Db): string | null {
  const row = db.prepare(`SELECT min(finished_at) AS at FROM import_runs WHERE kind = 'consents' AND dry_run = 0 AND outcome = 'succeeded'`).get() as { at: string | null };
  return row.at;
}
