// Uploads are kept until an import of them is done with them: removed once an import of the file succeeded or was
// cancelled, and swept hourly past their retention period. Reads the import runs; the store is runtime/file-transfer.ts.
import type { Db } from '../db/connection';
import type { EventBus } from '../runtime/event-bus';
import type { UploadStore } from '../runtime/file-transfer';
import type { Logger } from '../runtime/log';
import { runFileOfJob } from './run-table';

export interface UploadCleanupDeps {
  db: Db;
  events: Pick<EventBus, 'subscribe'>;
  uploads: UploadStore;
  log: Logger;
  sweepEveryMs?: number;
}

/**
 * Removes an upload once an import of it succeeded or was cancelled (not after a dry run, which is usually
 * followed by the real run, nor after a failure, which may be resumed), and sweeps expired uploads hourly.
 */
export function releaseFinishedUploads(deps: UploadCleanupDeps): { stop(): void } {
  const sweep = () => {
    try {
      const removed = deps.uploads.sweep();
      if (removed) deps.log.info(`removed ${removed} upload(s) past the retention period`);
    } catch (err) {
      deps.log.warn(`upload sweep failed: ${(err as Error).message}`);
    }
  };
  sweep();
  const timer = setInterval(sweep, deps.sweepEveryMs ?? 60 * 60 * 1000);
  timer.unref();
  const unsubscribe = deps.events.subscribe((message) => {
    if (message.event !== 'job.progress' || message.payload.kind !== 'import.consents') return;
    const { state, jobId } = message.payload;
    if (state !== 'succeeded' && state !== 'cancelled') return;
    const run = runFileOfJob(deps.db, jobId);
    if (!run || (state === 'succeeded' && run.dry_run === 1)) return;
    const id = deps.uploads.uploadIdOf(run.file_path);
    if (id) deps.uploads.discard(id);
  });
  return {
    stop: () => {
      clearInterval(timer);
      unsubscribe();
    },
  };
}
