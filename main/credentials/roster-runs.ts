// The history of roster imports for the Credentials page: each run with its counts and state, and one run with its
// rejected rows read back from its rejects file (row, field, reason). Reads only; the import writes them.
import fs from 'node:fs';
import type { RosterRejectedRow, RosterRunDetail, RosterRunSummary } from '../api/credentials';
import type { RosterImportJobResult } from '../api/jobs';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { readCsvBatches } from '../imports/csv-source';
import type { RosterRunRow } from './roster-import';

type RunWithJob = RosterRunRow & { job_state: string | null; job_result: string | null; started_by_name: string | null };

const RUN_SQL = `SELECT r.*, j.state AS job_state, j.result AS job_result, s.display_name AS started_by_name
  FROM roster_import_runs r LEFT JOIN jobs j ON j.id = r.job_id LEFT JOIN staff s ON s.id = r.started_by`;

const JOB_STATES = new Set(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']);

export function rosterRunSummary(r: RunWithJob): RosterRunSummary {
  // The run's outcome is written in the transaction that ends it; until then the job says where it is.
  const state = (r.outcome ?? (r.job_state && JOB_STATES.has(r.job_state) ? r.job_state : 'unknown')) as RosterRunSummary['state'];
  return {
    id: r.id,
    jobId: r.job_id,
    fileName: r.file_name,
    fileSize: r.file_size,
    state,
    rowsRead: r.rows_read,
    providersAdded: r.providers_added,
    providersUpdated: r.providers_updated,
    credentialsAdded: r.credentials_added,
    duplicate: r.duplicate,
    rejected: r.rejected,
    dryRun: r.dry_run === 1,
    fileHash: r.file_hash,
    error: r.error,
    startedBy: r.started_by_name ?? r.started_by,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

export function listRosterRuns(db: Db, limit: number, before: number | null): RosterRunSummary[] {
  const rows = db.prepare(`${RUN_SQL} WHERE r.id < ? ORDER BY r.id DESC LIMIT ?`).all(before ?? Number.MAX_SAFE_INTEGER, limit) as RunWithJob[];
  return rows.map(rosterRunSummary);
}

// A problem list as roster.ts describeRosterProblems writes it: "column: reason; column: reason".
const NEXT_PROBLEM = /; (?=(?:[a-z][a-z0-9_]*|\(row\)): )/;

/** Splits a reject reason back into its problems; text that does not follow the pattern stays one problem. */
export function parseRejectReason(reason: string): RosterRejectedRow['problems'] {
  return reason
    .split(NEXT_PROBLEM)
    .filter((part) => part !== '')
    .map((part) => {
      const m = /^([a-z][a-z0-9_]*|\(row\)): ([\s\S]*)$/.exec(part);
      return m ? { field: m[1]!, reason: m[2]! } : { field: '(row)', reason: part };
    });
}

/** The rejects file neutralises cells a spreadsheet would run (a leading ' before = + - @); undo it for display. */
function unneutralize(cell: string): string {
  return /^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell;
}

/** The first `limit` rejected rows of a rejects file: its last three columns are reject_row, reject_line, reject_reason. */
export async function readRosterRejects(file: string, limit: number): Promise<{ rejects: RosterRejectedRow[]; truncated: boolean }> {
  const rejects: RosterRejectedRow[] = [];
  let truncated = false;
  const batches = readCsvBatches({ file, batchRecords: Math.min(limit + 1, 1_000) });
  try {
    for await (const batch of batches) {
      for (const rec of batch.records) {
        if (rejects.length === limit) {
          truncated = true;
          break;
        }
        const n = rec.fields.length;
        if (n < 3) continue;
        rejects.push({ row: Number(rec.fields[n - 3]), line: Number(rec.fields[n - 2]), problems: parseRejectReason(unneutralize(rec.fields[n - 1]!)) });
      }
      if (truncated) break;
    }
  } finally {
    await batches.return(undefined);
  }
  return { rejects, truncated };
}

export async function rosterRunDetail(db: Db, runId: number, limit: number): Promise<RosterRunDetail> {
  const r = db.prepare(`${RUN_SQL} WHERE r.id = ?`).get(runId) as RunWithJob | undefined;
  if (!r) throw new AppError('NOT_FOUND', `There is no roster import run ${runId}.`);
  const summary = rosterRunSummary(r);
  const result = r.job_result ? (JSON.parse(r.job_result) as Partial<RosterImportJobResult>) : {};
  let rejects: RosterRejectedRow[] = [];
  let truncated = false;
  let missing = false;
  if (r.rejected > 0) {
    if (r.rejects_path && fs.existsSync(r.rejects_path)) ({ rejects, truncated } = await readRosterRejects(r.rejects_path, limit));
    else missing = true;
  }
  return { ...summary, rejects, rejectsTruncated: truncated, rejectsMissing: missing, ignoredColumns: result.ignoredColumns ?? [] };
}
