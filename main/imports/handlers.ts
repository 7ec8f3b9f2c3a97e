// Handlers of the imports channels: preview a file, start or resume an import job, and the imports history.
// The import itself runs in a worker thread (job kind import.consents); these only create runs and jobs.
import fs from 'node:fs';
import path from 'node:path';
import type { HandlersFor } from '../api/channel';
import { AppError } from '../api/errors';
import { jobResultView, type JobKind } from '../api/jobs';
import type { DownloadFile, importsChannels, ImportRunDetail, ImportRunListing, ImportRunSummary } from '../api/imports';
import type { JobState } from '../api/system';
import type { Db } from '../db/connection';
import type { RequestContext } from '../runtime/dispatcher';
import type { JobRunner } from '../workers/job-runner';
import { patientIdsOf } from '../consents/queries';
import { pickWithDialog, resolveIncoming, saveWithDialog, type FileDialogs, type UploadStore } from '../runtime/file-transfer';
import { checkImportFile, previewImport, resolveFormat } from './preview';
import { createImportRun, getImportRun, listImportRuns, type ConsentRunRow } from './runs';
import { getRun, listRuns, runOfKind, runState, setRunJob } from './run-table';

export const IMPORT_JOB_KIND = 'import.consents' satisfies JobKind;

export interface ImportsDeps {
  db: Db;
  jobs: JobRunner;
  /** Uploads, picked files and files the CLI registered, by id and owner. */
  uploads?: UploadStore;
  /** Where rejects files are written (<data dir>/imports); downloads serve nothing outside it. */
  dataDir?: string;
  dialogs?: FileDialogs;
}

/**
 * The file an import reads: the path main keeps for the caller's upload or picked file, or (rerunOf) the file
 * of an earlier run the same staff member started. A path never comes from the caller.
 */
function sourceOf(deps: ImportsDeps, input: { uploadId?: string | undefined; rerunOf?: number | undefined }, caller: string): { path: string; fileName: string } {
  if (input.rerunOf !== undefined) {
    const r = getImportRun(deps.db, input.rerunOf);
    if (!r || r.started_by !== caller) throw new AppError('NOT_FOUND', `There is no import run ${input.rerunOf} of yours to run again.`);
    if (!fs.existsSync(r.file_path)) {
      throw new AppError('IMPORT_FILE_GONE', `The file of import run ${input.rerunOf} (${r.file_name}) is no longer kept: an upload is removed once its import commits. Choose the file again to import it.`);
    }
    return { path: r.file_path, fileName: r.file_name };
  }
  const file = resolveIncoming(deps.uploads, input.uploadId!, caller);
  return { path: file.path, fileName: file.fileName };
}

function summary(r: ConsentRunRow, jobState: string | null): ImportRunSummary {
  return {
    id: r.id,
    jobId: r.job_id,
    fileName: r.file_name,
    filePath: r.file_path,
    format: r.format,
    dryRun: r.dry_run === 1,
    state: (jobState as JobState | null) ?? (r.outcome ?? 'unknown'),
    rowsRead: r.counts.rows_read,
    accepted: r.counts.accepted,
    updated: r.counts.updated,
    rejected: r.counts.rejected,
    duplicate: r.counts.duplicate,
    consentsWritten: r.counts.consents_written,
    rejectsPath: r.rejects_path,
    fileHash: r.file_hash,
    fileKept: fs.existsSync(r.file_path),
    error: r.error,
    startedBy: r.started_by,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

/** Creates the run and starts its job; shared by the API and the CLI. */
export function startConsentImport(
  deps: ImportsDeps,
  input: { uploadId?: string | undefined; rerunOf?: number | undefined; format?: 'csv' | 'fhir' | undefined; dryRun: boolean },
  startedBy: string,
): { runId: number; jobId: string } {
  const source = sourceOf(deps, input, startedBy);
  const file = checkImportFile(source.path);
  const runId = createImportRun(deps.db, {
    filePath: file.path,
    fileName: source.fileName,
    fileSize: file.size,
    format: resolveFormat(file.path, input.format),
    dryRun: input.dryRun,
    startedBy,
  });
  const job = deps.jobs.start(IMPORT_JOB_KIND, { runId });
  setRunJob(deps.db, runId, job.id);
  return { runId, jobId: job.id };
}

/** The rejects file of a run, if it has one on disk inside <data dir>/imports (the only place runs write them). */
export function rejectsFile(deps: Pick<ImportsDeps, 'dataDir'>, r: ConsentRunRow): DownloadFile {
  const missing = () => new AppError('NOT_FOUND', `Import run ${r.id} has no rejects file.`);
  if (!r.rejects_path || !deps.dataDir) throw missing();
  const folder = path.join(path.resolve(deps.dataDir), 'imports') + path.sep;
  const file = path.resolve(r.rejects_path);
  if (!file.startsWith(folder)) throw missing();
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw missing();
  }
  if (!stat.isFile()) throw missing();
  const csv = file.endsWith('.csv');
  return { path: file, fileName: path.basename(file), sizeBytes: stat.size, contentType: csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8' };
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
    'imports.preview': async ({ uploadId, format, rows }, ctx) => {
      const source = sourceOf(deps, { uploadId }, ctx.principal.id);
      const preview = await previewImport(source.path, format, rows);
      // The preview shows these rows' patients: the audit entry names those on file (ids), and counts the others.
      const facility = preview.columns.findIndex((c) => c.mappedTo === 'facility');
      const mrn = preview.columns.findIndex((c) => c.mappedTo === 'mrn');
      const pairs = facility >= 0 && mrn >= 0 ? preview.rows.map((r) => ({ facility: (r[facility] ?? '').trim(), mrn: (r[mrn] ?? '').trim() })) : [];
      const known = patientIdsOf(db, pairs);
      ctx.audit({ details: { patientIds: known, rowsShown: preview.rows.length + preview.resources.length } });
      return { ...preview, fileName: source.fileName };
    },
    'imports.start': (input, ctx) => startConsentImport(deps, input, ctx.principal.id),
    'imports.resume': ({ runId, kind }) => {
      // Every kind's runs are in one table: a kind named by the caller is checked, not needed.
      const found = kind ? runOfKind(db, runId, kind) : getRun(db, runId);
      if (!found) throw new AppError('NOT_FOUND', `There is no import run ${runId}.`);
      if (!found.job_id) throw new AppError('CONFLICT', `Import run ${runId} has no job to resume.`);
      checkImportFile(found.file_path);
      deps.jobs.resume(found.job_id);
      return { runId, jobId: found.job_id, kind: found.kind };
    },
    'imports.runs': ({ limit, before, kind }): ImportRunListing[] =>
      listRuns(db, { limit, before: before ?? null, ...(kind ? { kind } : {}) }).map((r) => {
        const state = runState(r);
        return {
          id: r.id,
          kind: r.kind,
          jobId: r.job_id,
          fileName: r.file_name,
          format: r.format,
          dryRun: r.dry_run === 1,
          state,
          rowsRead: r.rows_read,
          rejected: r.rejected,
          counts: r.counts,
          rejectsPath: r.rejects_path,
          error: r.error,
          resumable: r.job_id !== null && (state === 'interrupted' || state === 'failed'),
          createdAt: r.created_at,
          finishedAt: r.finished_at,
        };
      }),
    'imports.list': ({ limit, before }) => listImportRuns(db, limit, before ?? null).map((r) => summary(r, r.job_state)),
    'imports.get': ({ runId }): ImportRunDetail => {
      const r = run(runId);
      const job = jobRow(r.job_id);
      const view = job?.result ? jobResultView(IMPORT_JOB_KIND, JSON.parse(job.result)) : null;
      const result = view?.kind === IMPORT_JOB_KIND ? view.summary : null;
      return { ...summary(r, job?.state ?? null), sampleRejects: result?.sampleRejects ?? [], ignoredColumns: result?.ignoredColumns ?? [] };
    },
    'imports.upload': ({ fileName, sizeBytes }, ctx) => {
      if (!deps.uploads) throw new AppError('UPLOAD_UNAVAILABLE', 'Uploads are taken in browser mode only.');
      const { uploadId, fileName: stored } = deps.uploads.reserve(fileName, sizeBytes, ctx.principal.id);
      ctx.audit({ subject: `upload:${uploadId}`, details: { sizeBytes } });
      return { uploadId, fileName: stored, sizeBytes };
    },
    'imports.pickFile': async (_input, ctx) => {
      if (!deps.uploads) throw new AppError('DIALOG_UNAVAILABLE', 'Picking a file needs the desktop app.');
      const picked = await pickWithDialog(deps.dialogs, deps.uploads, ctx.principal.id);
      ctx.audit({ subject: picked ? `upload:${picked.uploadId}` : null, details: { picked: picked !== null } });
      return picked;
    },
    'imports.rejectsFile': ({ runId }, ctx) => {
      ctx.audit({ subject: `import-run:${runId}`, details: { file: 'rejects' } });
      return rejectsFile(deps, run(runId));
    },
    'imports.saveRejects': ({ runId }, ctx) => {
      ctx.audit({ subject: `import-run:${runId}`, details: { file: 'rejects' } });
      return saveWithDialog(deps.dialogs, rejectsFile(deps, run(runId)));
    },
  };
}
