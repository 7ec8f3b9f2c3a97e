// Combines the polled job list with pushed progress so a bar never goes backwards and a finished job
// never flips back to running because of a late progress message.
import type { JobProgress } from '../../../../main/api/events';
import { isJobKind, JOB_KINDS, type JobProgressUnit } from '../../../../main/api/jobs';
import type { JobError, JobState, JobSummary } from '../../../../main/api/system';

export interface JobRow extends JobSummary {
  rate: number | null;
  etaSeconds: number | null;
  errors: number | null;
  message: string | null;
}

const TERMINAL: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

export function isTerminal(state: JobState): boolean {
  return TERMINAL.has(state);
}

/** Keeps the newest progress per job, never lowering `done` and never leaving a terminal state. */
export function mergeProgress(previous: JobProgress | undefined, next: JobProgress): JobProgress {
  if (!previous) return next;
  if (isTerminal(previous.state) && !isTerminal(next.state)) return previous;
  return { ...next, done: Math.max(previous.done, next.done) };
}

export function jobRows(summaries: readonly JobSummary[], live: Readonly<Record<string, JobProgress>>): JobRow[] {
  return summaries.map((job) => {
    const progress = live[job.id];
    if (!progress) return { ...job, rate: null, etaSeconds: null, errors: null, message: null };
    const state = isTerminal(job.state) ? job.state : progress.state;
    return {
      ...job,
      state,
      done: Math.max(job.done, progress.done),
      total: progress.total ?? job.total,
      rate: isTerminal(state) ? null : progress.rate,
      etaSeconds: isTerminal(state) ? null : progress.etaSeconds,
      errors: progress.errors,
      message: progress.message ?? null,
    };
  });
}

/** Pushed progress for jobs the list does not know yet: the list should be fetched again. */
export function hasUnknownJobs(summaries: readonly JobSummary[] | undefined, live: Readonly<Record<string, JobProgress>>): boolean {
  const known = new Set((summaries ?? []).map((j) => j.id));
  return Object.keys(live).some((id) => !known.has(id));
}

/**
 * A failed job's error ({code, message} as main stored it) as a person reads it: what went wrong and what to do,
 * never a bare code. The code stays available (for the tooltip and support).
 */
export function jobErrorText(error: JobError): { text: string; code: string } {
  const { code } = error;
  const message = error.message.trim();
  if (code === 'SQLITE_BUSY' || /database is locked|SQLITE_BUSY/i.test(message)) {
    return { code, text: 'The database was busy with another task and the job stopped. Nothing is wrong with its input: run it again.' };
  }
  if (code === 'JOB_INTERRUPTED') {
    return { code, text: 'The app stopped while this job ran. It can be resumed where it stopped (imports: the Imports page).' };
  }
  if (/worker stopped without a result/i.test(message)) {
    return { code, text: 'The job stopped unexpectedly (its background worker ended). Run it again; if it stops again, tell IT.' };
  }
  return { code, text: message.length ? message : 'The job failed without a reason.' };
}

const UNIT_WORDS: Record<JobProgressUnit, [one: string, many: string]> = {
  rows: ['row', 'rows'],
  credentials: ['credential', 'credentials'],
  consents: ['consent', 'consents'],
  pages: ['page', 'pages'],
};

/** What a job's done/total count, from its kind's declared progress unit ('items' for a kind this version does not know). */
export function progressUnitWord(kind: string, n: number): string {
  if (!isJobKind(kind)) return n === 1 ? 'item' : 'items';
  const [one, many] = UNIT_WORDS[JOB_KINDS[kind].progress];
  return n === 1 ? one : many;
}
