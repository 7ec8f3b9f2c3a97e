// Handlers of the imports channels: preview a file, start or resume an import job, and the imports history.
// The import itself runs in a worker thread (job kind import.consents); these only create runs and jobs.
import type { HandlersFor } from '../api/channel';
import { AppError } from '../api/errors';
import type { importsChannels, ImportRunDetail, ImportRunSummary } from '../api/imports';
import type { JobState } from '../api/system';
import type { Db } from '../db/connection';
import type { RequestContext } from '../runtime/dispatcher';
import type { JobRunner } from '../workers/job-runner';
import { checkImportFile, previewImport, resolveFormat } from './preview';
import { createImportRun, getImportRun, listImportRuns, setImportJob, type ImportRunRow } from './runs';

export const IMPORT_JOB_KIND = 'import.consents';

export interface ImportsDeps {
  db: Db;
  jobs: JobRunner;
}

function summary(r: ImportRunRow, jobState: string | null): ImportRunSummary {
  return {
    id: r.id,
    jobId: r.job_id,
    fileName: r.file_name,
    filePath: r.file_path,
    format: r.format,
    dryRun: r.dry_run === 1,
    state: (jobState as JobState | null) ?? (r.outcome ?? 'unknown'),
    rowsRead: r.rows_read,
    accepted: r.accepted,
    updated: r.updated,
    rejected: r.rejected,
    duplicate: r.duplicate,
    consentsWritten: r.consents_written,
    rejectsPath: r.rejects_path,
    fileHash: r.file_hash,
    error: r.error,
    startedBy: r.started_by,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

/** Creates the run and starts its job; shared by the API and the CLI. */
export function startConsentImport(deps: ImportsDeps, input: { path: string; format?: 'csv' | 'fhir'; dryRun: boolean }, startedBy: string): { runId: number; jobId: string } {
  const file = checkImportFile(input.path);
  const runId = createImportRun(deps.db, {
    filePath: file.path,
    fileName: file.name,
    fileSize: file.size,
    format: resolveFormat(file.path, input.format),
    dryRun: input.dryRun,
    startedBy,
  });
  const job = deps.jobs.start(IMPORT_JOB_KIND, { runId });
  setImportJob(deps.db, runId, job.id);
  return { runId, jobId: job.id };
}

export function createImportsHandlers(deps: ImportsDeps): HandlersFor<typeof importsChannels, RequestContext> {
  const { db } = deps;
  const run = (runId: number) => {
    const r = getImportRun(db, runId);
    if (!r) throw new AppError('NOT_FOUND', `There is no import run ${runId}.`);
    return r;
  };
  const jobRow = (jobId: string | null) =>
    jobId ? (db.prepare('SELECT state, result FROM jobs WHERE id = ?').get(jobId) as { state: string; result: string | null } | undefined) : undefined;
  return {
    'imports.preview': ({ path, format, rows }) => previewImport(path, format, rows),
    'imports.start': (input, ctx) => startConsentImport(deps, input, ctx.principal.id),
    'imports.resume': ({ runId }) => {
      const r = run(runId);
      if (!r.job_id) throw new AppError('CONFLICT', `Import run ${runId} has no job to resume.`);
      checkImportFile(r.file_path);
      deps.jobs.resume(r.job_id);
      return { runId, jobId: r.job_id };
    },
    'imports.list': ({ limit, before }) => listImportRuns(db, limit, before ?? null).map((r) => summary(r, r.job_state)),
    'imports.get': ({ runId }): ImportRunDetail => {
      const r = run(runId);
      const job = jobRow(r.job_id);
      const result = job?.result ? (JSON.parse(job.result) as { sampleRejects?: { row: number; reason: string }[]; ignoredColumns?: string[] }) : {};
      return { ...summary(r, job?.state ?? null), sampleRejects: result.sampleRejects ?? [], ignoredColumns: result.ignoredColumns ?? [] };
    },
  };
}
