// The 'import.claims' job kind: the claims import pipeline in a worker thread with its own connection; the job
// context supplies the checkpoint (resume), progress and cancellation. Params arrive parsed (main/api/jobs.ts).
import type { JobOf } from '../workers/protocol';
import { runClaimImport } from './pipeline';

export const CLAIM_IMPORT_JOB_KIND = 'import.claims';

export const claimImportJob: JobOf<'import.claims'> = async (ctx) =>
  runClaimImport(ctx.db, ctx.params.runId, {
    checkpoint: ctx.checkpoint,
    saveCheckpoint: (checkpoint, done, errors) => ctx.saveCheckpoint(checkpoint, done, errors),
    report: (done, total, errors, message) => ctx.report(done, total, errors, message),
    get cancelled() {
      return ctx.cancelled;
    },
    mainThread: ctx.mainThread,
  });
