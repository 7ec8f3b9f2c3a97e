// The history of roster imports for the Credentials page: each run with its counts and state, and one run with its
// rejected rows read back from its rejects file (row, field, reason). Reads only; the import writes them.
import fs from 'node:fs';
import type { RosterRejectedRow, RosterRunDetail, RosterRunSummary } from '../api/credentials';
import type { RosterImportJobResult } from '../api/jobs';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { readCsvBatches } from '../imports/csv-source';
import { listedRun, listRuns, runState, type ListedImportRun } from '../imports/run-table';
import type { RosterCounts } from './roster-import';

type RunWithJob = ListedImportRun<RosterCounts>;

export function rosterRunSummary(r: RunWithJob): RosterRunSummary {
  const state = runState(r);
  const c = r.counts;
  return {
    id: r.id,
    jobId: r.job_id,
    fileName: r.file_name,
    fileSize: r.file_size,
    dryRun: r.dry_run === 1,
    state,
    rowsRead: c.rows_read,
    providersAdded: c.providers_added,
    providersUpdated: c.providers_updated,
    credentialsAdded: c.credentials_added,
    duplicate: c.duplicate,
    rejected: c.rejected,
    fileHash: r.file_hash,
    rejectsPath: r.rejects_path,
    error: r.error,
    startedBy: r.started_by_name ?? r.started_by,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

export function listRosterRuns(db: Db, limit: number, before: number | null): RosterRunSummary[] {
  return listRuns<RosterCounts>(db, { kind: 'providers', limit, before }).map(rosterRunSummary);
}

// A problem list as roster.ts describeRosterProblems writes it: "column: reason; column: reason" (a FHIR roster's
// columns are paths such as PractitionerRole.period.end or Practitioner.identifier[0].value).
const FIELD = String.raw`(?:[a-z][a-z0-9_]*|[A-Z][A-Za-z]*(?:\.[A-Za-z]+(?:\[\d+\])?)+|resourceType|\(row\))`;
const NEXT_PROBLEM = new RegExp(`; (?=${FIELD}: )`);
const PROBLEM = new RegExp(`^(${FIELD}): ([\\s\\S]*)$`);

/** Splits a reject reason back into its problems; text that does not follow the pattern stays one problem. */
export function parseRejectReason(reason: string): RosterRejectedRow['problems'] {
  return reason
    .split(NEXT_PROBLEM)
    .filter((part) => part !== '')
    .map((part) => {
      const m = PROBLEM.exec(part);
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
  const r = listedRun<RosterCounts>(db, runId, 'providers');
  if (!r) throw new AppError('NOT_FOUND', `There is no roster import run ${runId}.`);
  const summary = rosterRunSummary(r);
  const result = r.job_result ? (JSON.parse(r.job_result) as Partial<RosterImportJobResult>) : {};
  let rejects: RosterRejectedRow[] = [];
  let truncated = false;
  let missing = false;
  if (r.counts.rejected > 0) {
    if (r.rejects_path && fs.existsSync(r.rejects_path)) ({ rejects, truncated } = await readRosterRejects(r.rejects_path, limit));
    else missing = true;
  }
  return { ...summary, rejects, rejectsTruncated: truncated, rejectsMissing: missing, ignoredColumns: result.ignoredColumns ?? [] };
}
