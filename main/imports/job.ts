// The 'import.consents' job kind: runs the import pipeline in a worker thread with its own connection, the
// job context supplying the checkpoint (resume), progress reporting and cancellation.
import { z } from 'zod';
import { AppError } from '../api/errors';
import type { JobImplementation } from '../workers/protocol';
import { runConsentImport } from './pipeline';

const params = z
  .object({
    runId: z.number().int().positive(),
    chunkRows: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();

export const consentImportJob: JobImplementation = async (ctx) => {
  const parsed = params.safeParse(ctx.params);
  if (!parsed.success) throw new AppError('VALIDATION_FAILED', `import.consents needs {runId}: ${parsed.error.issues[0]?.message}`);
  return runConsentImport(
    ctx.db,
    parsed.data.runId,
    {
      checkpoint: ctx.checkpoint,
      saveCheckpoint: (checkpoint, done, errors) => ctx.saveCheckpoint(checkpoint, done, errors),
      report: (done, total, errors, message) => ctx.report(done, total, errors, message),
      get cancelled() {
        return ctx.cancelled;
      },
      mainThread: ctx.mainThread,
    },
    parsed.data.chunkRows ? { chunkRows: parsed.data.chunkRows } : {},
  );
};
