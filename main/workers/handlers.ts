// Handlers of the jobs channels (main/api/jobs.ts): one job with its recorded result. The channel needs status.read;
// the job's kind decides who may read it (its result says what that kind's own screen shows).
import type { HandlersFor } from '../api/channel';
import { AppError } from '../api/errors';
import { jobKindPermission, type JobResultView, type jobsChannels, type RosterImportJobResult, type VerifyAllJobResult } from '../api/jobs';
import type { RequestContext } from '../runtime/dispatcher';
import type { JobRunner } from './job-runner';

export interface JobsDeps {
  jobs: Pick<JobRunner, 'detail'>;
}

/** The result a job recorded, as the UI sees it: only kinds with a declared shape, and only the declared fields. */
export function resultView(kind: string, result: unknown): JobResultView | null {
  if (result === null || typeof result !== 'object') return null;
  const r = result as Record<string, unknown>;
  if (kind === 'credentials.verifyAll') {
    const { checked, byVerdict, offlineReason, blockNumber, registryCalls, durationMs } = r as unknown as VerifyAllJobResult;
    return { kind, summary: { checked, byVerdict, offlineReason, blockNumber, registryCalls, durationMs } };
  }
  if (kind === 'import.providers') {
    const s = r as unknown as RosterImportJobResult;
    return {
      kind,
      summary: {
        runId: s.runId,
        outcome: s.outcome,
        rows_read: s.rows_read,
        providers_added: s.providers_added,
        providers_updated: s.providers_updated,
        credentials_added: s.credentials_added,
        duplicate: s.duplicate,
        rejected: s.rejected,
        ignoredColumns: s.ignoredColumns ?? [],
        sampleRejects: s.sampleRejects ?? [],
      },
    };
  }
  return { kind: 'none' };
}

export function createJobsHandlers(deps: JobsDeps): HandlersFor<typeof jobsChannels, RequestContext> {
  return {
    'jobs.get': ({ jobId }, ctx) => {
      const job = deps.jobs.detail(jobId);
      const needs = jobKindPermission(job.kind);
      if (!ctx.allows(needs)) throw new AppError('PERMISSION_DENIED', `Reading a ${job.kind} job needs the ${needs} permission.`);
      return { ...job, result: resultView(job.kind, job.result) };
    },
  };
}
