// The 'import.consents' job kind: runs the import pipeline in a worker thread with its own connection, the
// job context supplying the checkpoint (resume), progress reporting and cancellation. Params arrive parsed by
// the kind's schema (main/api/jobs.ts).
import type { JobOf } from '../workers/protocol';
import { runConsentImport } from './pipeline';

export const consentImportJob: JobOf<'import.consents'> = async (ctx) =>
  runConsentImport(
    ctx.db,
    ctx.params.runId,
    {
      checkpoint: ctx.checkpoint,
      saveCheckpoint: (checkpoint, done, errors) => ctx.saveCheckpoint(checkpoint, done, errors),
      report: (done, total, errors, message) => ctx.report(done, total, errors, message),
      get cancelled() {
        return ctx.cancelled;
      },
      mainThread: ctx.mainThread,
    },
    ctx.params.chunkRows ? { chunkRows: ctx.params.chunkRows } : {},
  );
