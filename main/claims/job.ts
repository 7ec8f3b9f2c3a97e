// The 'import.claims' job kind: the claims import pipeline in a worker thread with its own connection; the job
// context supplies the checkpoint (resume), progress and cancellation.
import { z } from 'zod';
import { AppError } from '../api/errors';
import type { JobImplementation } from '../workers/protocol';
import { runClaimImport } from './pipeline';

export const CLAIM_IMPORT_JOB_KIND = 'import.claims';

const params = z.object({ runId: z.number().int().positive() }).strict();

export const claimImportJob: JobImplementation = async (ctx) => {
  const parsed = params.safeParse(ctx.params);
  if (!parsed.success) throw new AppError('VALIDATION_FAILED', `import.claims needs {runId}: ${parsed.error.issues[0]?.message}`);
  return runClaimImport(ctx.db, parsed.data.runId, {
    checkpoint: ctx.checkpoint,
    saveCheckpoint: (checkpoint, done, errors) => ctx.saveCheckpoint(checkpoint, done, errors),
    report: (done, total, errors, message) => ctx.report(done, total, errors, message),
    get cancelled() {
      return ctx.cancelled;
    },
    mainThread: ctx.mainThread,
  });
};
