// What the Imports page shows of a run while it goes and after: pushed job progress merged so the bar never goes
// backwards (the row total is an estimate from the bytes read and may move), and reject reasons split by column.
import type { JobProgress } from '../../../../main/api/events';
import type { ImportRunSummary } from '../../../../main/api/imports';
import type { JobState } from '../../../../main/api/system';

export type RunState = JobState | 'unknown';

const TERMINAL: ReadonlySet<RunState> = new Set<RunState>(['succeeded', 'failed', 'cancelled', 'interrupted', 'unknown']);

export function isFinished(state: RunState): boolean {
  return TERMINAL.has(state);
}

/** Interrupted (the app stopped mid-import) and failed runs continue from their checkpoint. */
export function isResumable(state: RunState): boolean {
  return state === 'interrupted' || state === 'failed';
}

export interface LiveProgress {
  jobId: string;
  state: JobState;
  done: number;
  total: number | null;
  rate: number;
  etaSeconds: number | null;
  errors: number;
  /** 0–100, never lower than any value shown before for this job. */
  percent: number | null;
  message: string | null;
}

/** Folds one pushed event into what is shown: counts and the bar only move forward; a finished job stays finished. */
export function mergeLive(previous: LiveProgress | undefined, next: JobProgress): LiveProgress {
  if (previous && isFinished(previous.state) && !isFinished(next.state)) return previous;
  const done = Math.max(previous?.done ?? 0, next.done);
  const total = next.total ?? previous?.total ?? null;
  const raw = next.state === 'succeeded' ? 100 : total && total > 0 ? Math.min(100, (done / total) * 100) : null;
  const percent = raw === null ? (previous?.percent ?? null) : Math.max(previous?.percent ?? 0, raw);
  return {
    jobId: next.jobId,
    state: next.state,
    done,
    total: total === null ? null : Math.max(total, done),
    rate: next.rate,
    etaSeconds: isFinished(next.state) ? null : next.etaSeconds,
    errors: Math.max(previous?.errors ?? 0, next.errors),
    percent,
    message: next.message ?? previous?.message ?? null,
  };
}

/** The state to show for a run: the pushed state when it is newer (the list is polled), else the list's. */
export function effectiveState(run: Pick<ImportRunSummary, 'state'>, live: LiveProgress | undefined): RunState {
  if (!live) return run.state;
  if (isFinished(run.state) && run.state !== 'unknown') return run.state;
  // The job has ended but its run has not been read again yet: the run's counts are from before its last chunks,
  // so it stays 'running' until the run itself says how it ended (the page reads it on the job's final push).
  if (isFinished(live.state) && run.state !== 'unknown') return run.state;
  return live.state;
}

export interface ReasonPart {
  /** The column (CSV), or "resource" / "rule 2 purpose" (FHIR); null when the reason names none. */
  column: string | null;
  reason: string;
}

/**
 * Splits a reject reason as main writes it ("purpose: unknown purpose code …; period_start: is not a real date")
 * into one part per column. A part that does not start with "<column>: " stays whole.
 */
export function splitReason(reason: string): ReasonPart[] {
  const parts = reason.split(/; (?=[A-Za-z(][\w() -]{0,40}: )/);
  return parts.map((part) => {
    const m = /^([A-Za-z(][\w() -]{0,40}): ([\s\S]*)$/.exec(part);
    return m ? { column: m[1]!, reason: m[2]! } : { column: null, reason: part };
  });
}

/** Codes that mean the file itself must change; anything else (the database, the job) is not the file's fault. */
const FILE_PROBLEMS = new Set([
  'IMPORT_CSV_MALFORMED',
  'IMPORT_HEADER_MISSING',
  'IMPORT_HEADER_DUPLICATE',
  'IMPORT_HEADER_TOO_WIDE',
  'IMPORT_FILE_EMPTY',
  'IMPORT_NOT_JSON',
  'IMPORT_NOT_FHIR',
  'IMPORT_ENCODING_UNSUPPORTED',
  'IMPORT_FILE_CHANGED',
  'CLAIMS_HEADER_MISSING',
  'ROSTER_HEADER_MISSING',
  'ROSTER_HEADER_DUPLICATE',
]);

/** What to do after a run stopped, by what stopped it: fix the file only when the file is the problem. */
export function failureAdvice(code: string | null, dry: boolean): string {
  const kept = dry ? 'A dry run writes nothing.' : 'Rows counted below were committed before it stopped and are kept.';
  if (code && FILE_PROBLEMS.has(code)) return `${kept} The file needs fixing at the place named above; then import it again: rows already imported are skipped.`;
  return `${kept} The file is not the problem: this stopped because of the workstation (${code ?? 'no code'}). Start the same ${dry ? 'dry run' : 'import'} again; if it stops again, give the code above to your IT administrator.`;
}

/** A staff id as a person reads it: "you" for the signed-in staff member, the CLI, or a short id. */
export function describeStarter(startedBy: string, me: { id: string; name: string } | null): string {
  if (me && startedBy === me.id) return `${me.name} (you)`;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(startedBy)) return `staff ${startedBy.slice(0, 8)}`;
  return startedBy;
}
