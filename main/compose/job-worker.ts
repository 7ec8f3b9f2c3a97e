// Worker-thread entry for long jobs: opens its own database connection, runs one job kind, and reports
// progress, checkpoints and the outcome to the job runner. Nothing here touches the UI thread.
import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../api/errors';
import path from 'node:path';
import { dbKeyFromHex, openDatabase } from '../db/connection';
import { unlockSecretFiles } from '../db/secret-files';
import { watchMainThread } from '../workers/main-thread-watch';
import { parseJobParams } from '../workers/job-params';
import { checkpointWriter } from '../workers/job-store';
import { JobCancelled, type JobContext, type JobRegistryModule, type JobWorkerData, type MainToWorker, type WorkerToMain } from '../workers/protocol';

const data = workerData as JobWorkerData;
const port = parentPort!;
const send = (message: WorkerToMain) => port.postMessage(message);

let cancelled = false;
port.on('message', (message: MainToWorker) => {
  if (message.type === 'cancel') cancelled = true;
});
// Listening for a cancel must not keep the thread alive once the job's own work is done.
port.unref();

async function run(): Promise<void> {
  const registry = (data.registryUrl ? await import(data.registryUrl) : await import('./job-registry')) as JobRegistryModule;
  const def = Object.prototype.hasOwnProperty.call(registry.jobKindDefs, data.kind) ? registry.jobKindDefs[data.kind] : undefined;
  const implementation = def ? registry.jobKinds[data.kind] : undefined;
  if (!def || !implementation) throw new AppError('JOB_FAILED', `Unknown job kind ${data.kind}`);
  // Checked again here, not only when main started the job: a resumed job's params come back from the database.
  const params = parseJobParams(def, data.kind, data.params);
  const db = openDatabase(data.dbPath, {
    ...(data.nativeBinding ? { nativeBinding: data.nativeBinding } : {}),
    ...(data.dbKeyHex ? { key: dbKeyFromHex(data.dbKeyHex) } : {}),
  });
  // The job reads the folder's sealed secret files (facility secret) as the services do: unlocked by the same key.
  if (data.dbKeyHex) unlockSecretFiles(path.dirname(data.dbPath), Buffer.from(data.dbKeyHex, 'hex'));
  const saveCheckpoint = checkpointWriter(db, data.jobId);
  const ctx: JobContext = {
    jobId: data.jobId,
    db,
    params,
    checkpoint: data.checkpoint,
    report: (done, total, errors = 0, message) => send({ type: 'progress', done, total, errors, ...(message ? { message } : {}) }),
    saveCheckpoint: (checkpoint, done, errors = 0) => {
      saveCheckpoint(checkpoint, done, errors);
    },
    get cancelled() {
      return cancelled;
    },
    mainThread: data.heartbeat ? watchMainThread(data.heartbeat) : null,
  };
  try {
    const result = await implementation(ctx);
    send(cancelled ? { type: 'cancelled' } : { type: 'succeeded', result: result ?? null });
  } finally {
    db.close();
  }
}

run().catch((err: unknown) => {
  if (err instanceof JobCancelled) send({ type: 'cancelled' });
  else if (err instanceof AppError) send({ type: 'failed', code: err.code, message: err.message });
  else send({ type: 'failed', code: 'JOB_FAILED', message: err instanceof Error ? err.message : String(err) });
});
