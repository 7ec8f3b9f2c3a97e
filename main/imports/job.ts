// The 'import.consents' job kind: runs the import pipeline in a worker thread with its own connection, the
// job context supplying the checkpoint (resume), progress reporting and cancellation. Params arrive parsed by
// the kind's schema (main/api/jobs.ts).
import type { JobOf } from '../workers/protocol';
import { runConsentImport } from './pipeline';

export const consentImportJob: JobOf<'import.consents'> = async (ctx) =>
  // The job context is the import's hooks as it is (checkpoint, progress, cancellation, the main thread's heartbeat).
  runConsentImport(ctx.db, ctx.params.runId, ctx, ctx.params.chunkRows ? { chunkRows: ctx.params.chunkRows } : {});
