// Handlers of the jobs channels (main/api/jobs.ts): one job with its recorded result. The channel needs status.read;
// the job's kind decides who may read it, and its result schema decides what of the recorded result the UI sees.
import type { HandlersFor } from '../api/channel';
import { AppError } from '../api/errors';
import { jobKindPermission, jobResultView, type jobsChannels } from '../api/jobs';
import type { RequestContext } from '../runtime/dispatcher';
import type { JobRunner } from './job-runner';

export interface JobsDeps {
  jobs: Pick<JobRunner, 'detail'>;
}

export function createJobsHandlers(deps: JobsDeps): HandlersFor<typeof jobsChannels, RequestContext> {
  return {
    'jobs.get': ({ jobId }, ctx) => {
      const job = deps.jobs.detail(jobId);
      const needs = jobKindPermission(job.kind);
      if (!ctx.allows(needs)) throw new AppError('PERMISSION_DENIED', `Reading a ${job.kind} job needs the ${needs} permission.`);
      return { ...job, result: jobResultView(job.kind, job.result) };
    },
  };
}
