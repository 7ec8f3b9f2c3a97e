// `custodian import consents FILE [--format csv|fhir] [--dry-run]`, `import runs` (every kind) and `import resume RUN`: the same
// pipeline as the console (a job in a worker thread, through the dispatcher), printing progress at most once a
// second, then the summary.
import { AppError } from '../api/errors';
import type { JobProgress } from '../api/events';
import type { ImportRunDetail, ImportRunListing } from '../api/imports';
import { typedCall } from '../runtime/call';
import type { CallerContext, Dispatch } from '../runtime/dispatcher';
import type { EventBus } from '../runtime/event-bus';
import type { JobRunner } from '../workers/job-runner';

/** What these commands use of the started services (the CLI passes its Services): typed here, so the domain never imports the composition root. */
type CommandServices = { dispatch: Dispatch; events: EventBus; jobs: JobRunner };

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function formatProgress(p: Pick<JobProgress, 'done' | 'total' | 'rate' | 'etaSeconds' | 'errors'>): string {
  return `${p.done.toLocaleString('en-US')}${p.total !== null ? ` / ~${p.total.toLocaleString('en-US')}` : ''} rows, ${Math.round(p.rate).toLocaleString('en-US')} rows/s, ETA ${duration(p.etaSeconds)}, ${p.errors.toLocaleString('en-US')} rejected`;
}

export function formatImportSummary(r: ImportRunDetail): string {
  // A FHIR resource may write several consent rows: its counts are resources, and the rows written are said apart.
  const unit = r.format === 'fhir' ? 'resources' : 'rows';
  const lines = [
    `${r.dryRun ? 'Dry run of' : 'Imported'} ${r.fileName} (${r.format}): ${r.state}`,
    `  ${unit} read:${r.format === 'fhir' ? '' : '    '} ${r.rowsRead.toLocaleString('en-US')}`,
    `  ${r.dryRun ? 'would add' : 'accepted'}:   ${r.accepted.toLocaleString('en-US')}`,
    `  ${r.dryRun ? 'would update' : 'updated'}:${r.dryRun ? '' : '    '}${r.updated.toLocaleString('en-US')}`,
    `  duplicates: ${r.duplicate.toLocaleString('en-US')}`,
    `  rejected:   ${r.rejected.toLocaleString('en-US')}${r.rejected ? ` (${unit} and reasons in ${r.rejectsPath})` : ''}`,
    `  consent rows ${r.dryRun ? 'that would be written' : 'written'}: ${r.consentsWritten.toLocaleString('en-US')}`,
  ];
  if (r.ignoredColumns.length) lines.push(`  ignored columns: ${r.ignoredColumns.join(', ')}`);
  for (const s of r.sampleRejects.slice(0, 5)) lines.push(`  row ${s.row}: ${s.reason}`);
  if (r.rejectsPath) lines.push(`Rejects file: ${r.rejectsPath}`);
  return lines.join('\n');
}

export async function importConsentsCommand(
  services: CommandServices,
  caller: CallerContext,
  uploadId: string,
  options: { format?: string; dryRun: boolean; json: boolean },
  io: Output,
): Promise<number> {
  if (options.format !== undefined && options.format !== 'csv' && options.format !== 'fhir') {
    throw new AppError('VALIDATION_FAILED', `--format must be csv or fhir, got ${options.format}`);
  }
  const started = await typedCall(services.dispatch, caller)('imports.start', { uploadId, ...(options.format ? { format: options.format } : {}), dryRun: options.dryRun });
  return followImportJob(services, caller, started, options.json, io);
}

/** `custodian import runs`: the latest import runs of every kind (one table, one id sequence), newest first. */
export async function listImportRunsCommand(services: CommandServices, caller: CallerContext, options: { json: boolean }, io: Output): Promise<number> {
  const runs = await typedCall(services.dispatch, caller)('imports.runs', { limit: 20 });
  if (options.json) {
    io.out(`${JSON.stringify(runs, null, 2)}\n`);
    return 0;
  }
  if (runs.length === 0) {
    io.out('No import runs yet.\n');
    return 0;
  }
  for (const r of runs) io.out(`${formatListingLine(r)}\n`);
  const resumable = runs.find((r) => r.resumable);
  if (resumable) io.out(`\nResume with: custodian import resume ${resumable.id}\n`);
  return 0;
}

export function formatListingLine(r: ImportRunListing): string {
  const what = `${r.dryRun ? 'dry run ' : ''}${r.fileName} (${r.format})`;
  const counts = `${r.rowsRead.toLocaleString('en-US')} read, ${r.rejected.toLocaleString('en-US')} rejected`;
  const error = r.error ? ` [${r.error.code}]` : '';
  return `run ${r.id}  ${r.kind.padEnd(9)} ${r.state.padEnd(11)} ${r.createdAt}  ${what}: ${counts}${error}${r.resumable ? '  (can be resumed)' : ''}`;
}

/** Prints progress at most once a second while the job runs, then the run's summary; a failed job is an error. */
export async function followImportJob(services: CommandServices, caller: CallerContext, started: { runId: number; jobId: string }, json: boolean, io: Output): Promise<number> {
  let last = 0;
  const unsubscribe = services.events.subscribe((m) => {
    // Nothing read yet says nothing (it used to print a stray "0 rows, 0 rows/s, ETA ?" on quick imports).
    if (m.event !== 'job.progress' || m.payload.jobId !== started.jobId || m.payload.state !== 'running' || m.payload.done === 0) return;
    const now = Date.now();
    if (now - last < 1000) return;
    last = now;
    io.err(`${formatProgress(m.payload)}\n`);
  });
  try {
    const job = await services.jobs.waitFor(started.jobId);
    const run = await typedCall(services.dispatch, caller)('imports.get', { runId: started.runId });
    if (job.state !== 'succeeded') {
      // The job's error code is what a script acts on.
      throw new AppError(job.error?.code ?? 'IMPORT_FAILED', `Import run ${started.runId} ${job.state}: ${job.error?.message ?? 'no detail'}`, { runId: started.runId });
    }
    io.out(json ? `${JSON.stringify(run, null, 2)}\n` : `${formatImportSummary(run)}\n`);
    return 0;
  } finally {
    unsubscribe();
  }
}
