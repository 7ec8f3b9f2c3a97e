// The import_runs table, one row per import of any kind (consents, provider rosters, claims): the only module
// that holds its SQL. The engine reads and writes a run through `runTable`; each domain maps a row to its views.
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import type { ImportKind, RunOutcome, RunTable, SourceFormat } from './adapter';

export type RunError = { code: string; message: string };

/** A run of any kind; `counts` are its kind's own (consents: accepted, updated…; claims: passed, failed…). */
export interface ImportRunRow<C = Record<string, number>> {
  id: number;
  kind: ImportKind;
  job_id: string | null;
  file_name: string;
  file_path: string;
  file_size: number;
  file_hash: string | null;
  format: SourceFormat;
  dry_run: 0 | 1;
  /** Records read and refused, whatever the kind calls them. */
  rows_read: number;
  rejected: number;
  counts: C;
  rejects_path: string | null;
  outcome: RunOutcome | null;
  error: RunError | null;
  started_by: string;
  created_at: string;
  finished_at: string | null;
}

/** A row as listed: with its job's state and result and the display name of who started it. */
export type ListedImportRun<C = Record<string, number>> = ImportRunRow<C> & { job_state: string | null; job_result: string | null; started_by_name: string | null };

type StoredRow = Omit<ImportRunRow, 'counts' | 'error'> & { counts: string; error_code: string | null; error: string | null };
type StoredListed = StoredRow & { job_state: string | null; job_result: string | null; started_by_name: string | null };

function fromStored<C>(r: StoredRow): ImportRunRow<C> {
  const { error_code, error, counts, ...rest } = r;
  return { ...rest, counts: JSON.parse(counts) as C, error: error_code !== null && error !== null ? { code: error_code, message: error } : null };
}

export interface NewImportRun {
  filePath: string;
  fileName: string;
  fileSize: number;
  format: SourceFormat;
  dryRun: boolean;
  startedBy: string;
}

/**
 * A new run of `kind`, its counts starting at the kind's zeros: a run is listed (and its summary read) before its first
 * chunk commits, and every count of the kind must read as a number from the start, never as missing.
 */
export function createRun<C extends object>(db: Db, kind: ImportKind, run: NewImportRun, zeroCounts: C): number {
  return Number(
    db
      .prepare('INSERT INTO import_runs (kind, file_name, file_path, file_size, format, dry_run, started_by, created_at, counts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(kind, run.fileName, run.filePath, run.fileSize, run.format, run.dryRun ? 1 : 0, run.startedBy, new Date().toISOString(), JSON.stringify(zeroCounts)).lastInsertRowid,
  );
}

export function setRunJob(db: Db, runId: number, jobId: string): void {
  db.prepare('UPDATE import_runs SET job_id = ? WHERE id = ?').run(jobId, runId);
}

/** The file and mode of the run a job runs (a job runs at most one run). */
export function runFileOfJob(db: Db, jobId: string): { file_path: string; dry_run: 0 | 1 } | undefined {
  return db.prepare('SELECT file_path, dry_run FROM import_runs WHERE job_id = ?').get(jobId) as { file_path: string; dry_run: 0 | 1 } | undefined;
}

/** The run with this id; with a kind, only if it is a run of that kind (run ids are one sequence for every kind). */
export function getRun<C = Record<string, number>>(db: Db, runId: number, kind?: ImportKind): ImportRunRow<C> | undefined {
  const r = db.prepare('SELECT * FROM import_runs WHERE id = ?').get(runId) as StoredRow | undefined;
  if (!r || (kind !== undefined && r.kind !== kind)) return undefined;
  return fromStored<C>(r);
}

/** Like getRun, but a run of another kind is a named error, so a person who typed the wrong kind is told which. */
export function runOfKind<C = Record<string, number>>(db: Db, runId: number, kind: ImportKind): ImportRunRow<C> {
  const r = getRun<C>(db, runId);
  if (!r) throw new AppError('NOT_FOUND', `There is no import run ${runId}.`);
  if (r.kind !== kind) throw new AppError('IMPORT_RUN_KIND_MISMATCH', `Import run ${runId} is a ${r.kind} import, not ${kind}.`, { runId, kind: r.kind });
  return r;
}

const LISTED = `SELECT r.*, j.state AS job_state, j.result AS job_result, s.display_name AS started_by_name
  FROM import_runs r LEFT JOIN jobs j ON j.id = r.job_id LEFT JOIN staff s ON s.id = r.started_by`;

/** Newest first, keyset-paginated by id; of one kind, or of every kind when none is named. */
export function listRuns<C = Record<string, number>>(db: Db, options: { limit: number; before?: number | null; kind?: ImportKind }): ListedImportRun<C>[] {
  const before = options.before ?? Number.MAX_SAFE_INTEGER;
  const rows = (
    options.kind
      ? db.prepare(`${LISTED} WHERE r.kind = ? AND r.id < ? ORDER BY r.id DESC LIMIT ?`).all(options.kind, before, options.limit)
      : db.prepare(`${LISTED} WHERE r.id < ? ORDER BY r.id DESC LIMIT ?`).all(before, options.limit)
  ) as StoredListed[];
  return rows.map((r) => ({ ...fromStored<C>(r), job_state: r.job_state, job_result: r.job_result, started_by_name: r.started_by_name }));
}

/** One listed run (for a domain's detail view). */
export function listedRun<C = Record<string, number>>(db: Db, runId: number, kind: ImportKind): ListedImportRun<C> | undefined {
  const r = db.prepare(`${LISTED} WHERE r.id = ? AND r.kind = ?`).get(runId, kind) as StoredListed | undefined;
  return r && { ...fromStored<C>(r), job_state: r.job_state, job_result: r.job_result, started_by_name: r.started_by_name };
}

const JOB_STATES = new Set(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']);
export type RunState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted' | 'unknown';

/** The run's outcome is written in the transaction that ends it; until then its job says where it is. */
export function runState(r: { outcome: RunOutcome | null; job_state: string | null }): RunState {
  return r.outcome ?? (r.job_state && JOB_STATES.has(r.job_state) ? (r.job_state as RunState) : 'unknown');
}

/**
 * import_runs as the engine reads and writes a run of one kind. `tally` says which of the kind's counts are rows
 * read and refused; they are saved beside the counts (in the same statement) for lists of every kind.
 */
export function runTable<C extends object>(db: Db, kind: ImportKind, label: string, tally: (counts: C) => { done: number; errors: number }): RunTable<C> {
  const save = db.prepare('UPDATE import_runs SET counts = ?, rows_read = ?, rejected = ? WHERE id = ?');
  const saveCounts = (runId: number, counts: C) => {
    const { done, errors } = tally(counts);
    save.run(JSON.stringify(counts), done, errors, runId);
  };
  return {
    label,
    get(runId) {
      const r = getRun<C>(db, runId, kind);
      if (!r) return undefined;
      return { filePath: r.file_path, fileName: r.file_name, format: r.format, dryRun: r.dry_run === 1, startedBy: r.started_by, rejectsPath: r.rejects_path, counts: r.counts };
    },
    start(runId, rejectsPath, fresh, zero) {
      db.prepare('UPDATE import_runs SET rejects_path = ?, outcome = NULL, error_code = NULL, error = NULL, finished_at = NULL WHERE id = ?').run(rejectsPath, runId);
      if (fresh) {
        db.prepare('UPDATE import_runs SET file_hash = NULL WHERE id = ?').run(runId);
        saveCounts(runId, zero);
      }
    },
    saveCounts,
    finish(runId, outcome, error, fileHash) {
      db.prepare('UPDATE import_runs SET outcome = ?, error_code = ?, error = ?, file_hash = COALESCE(?, file_hash), finished_at = ? WHERE id = ?').run(
        outcome,
        error?.code ?? null,
        error?.message ?? null,
        fileHash,
        new Date().toISOString(),
        runId,
      );
    },
  };
}
