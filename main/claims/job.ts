// The 'import.claims' job kind: the claims import pipeline in a worker thread with its own connection; the job
// context supplies the checkpoint (resume), progress and cancellation. Params arrive parsed (main/api/jobs.ts).
import type { JobOf } from '../workers/protocol';
import { runClaimImport } from './pipeline';

export const CLAIM_IMPORT_JOB_KIND = 'import.claims';

// The job context is the import's hooks as it is (checkpoint, progress, cancellation, the main thread's heartbeat).
export const claimImportJob: JobOf<'import.claims'> = async (ctx) => runClaimImport(ctx.db, ctx.params.runId, ctx);
