// `custodian sync …`: signed in like every records command; status, a dry-run plan, one drain, or a running loop.
import { AppError } from '../../api/errors';
import { formatBatches, formatConflicts, formatCycle, formatDryRun, formatSyncStatus } from '../../sync/report-text';
import { commands } from '../command';

export const syncCommands = commands(
  {
    name: ['sync', 'status'],
    flags: ['json'],
    summary: 'Connection, signer, queue depth by kind and recent batches (--json for machine output)',
    channels: ['sync.status', 'sync.batches', 'sync.conflicts'],
    needs: 'signed-in',
    run: async (ctx, { call }) => {
      const status = await call('sync.status', {});
      const batches = await call('sync.batches', { limit: 10 });
      const conflicts = await call('sync.conflicts', { open: true, limit: 50 });
      ctx.print(`${formatSyncStatus(status)}\n\nRecent batches:\n${formatBatches(batches)}\n\nOpen consent conflicts:\n${formatConflicts(conflicts)}`, { status, batches, conflicts });
      return 0;
    },
  },
  {
    name: ['sync'],
    flags: ['once', 'dry-run', 'json'],
    summary:
      'Send the outbox to the chain and pull other workstations\' changes: keeps running until\nCtrl+C, or with --once until the queue is drained; --dry-run shows the batches only',
    channels: ['sync.dryRun', 'sync.status', 'sync.now'],
    needs: 'signed-in',
    run: async (ctx, { services: s, call }) => {
      if (ctx.flag('dry-run')) {
        const plan = await call('sync.dryRun', {});
        ctx.print(formatDryRun(plan), plan);
        return 0;
      }
      if (!s.sync) throw new AppError('SYNC_DISABLED', 'No chain is configured (CUSTODIAN_CHAIN=none); there is nothing to sync to.');
      if (ctx.flag('once')) {
        // One cycle per call, through the dispatcher (permission sync.run), until nothing is left to do.
        for (;;) {
          const r = await call('sync.now', {});
          const status = await call('sync.status', {});
          ctx.io.err(`${formatCycle(r, status.queue.total)}\n`);
          if (r.outcome === 'offline' || r.outcome === 'failed' || r.outcome === 'busy' || r.outcome === 'paused') {
            ctx.print(formatSyncStatus(status), status);
            return 1;
          }
          if (r.outcome === 'idle' && (status.queue.total === 0 || (status.batches.pending === 0 && status.batches.replaced === 0 && status.batches.signed === 0 && status.batches.sent === 0))) {
            ctx.print(formatSyncStatus(status), status);
            return status.batches.failed > 0 ? 1 : 0;
          }
        }
      }
      await call('sync.now', {});
      const engine = s.sync;
      const unsubscribe = s.events.subscribe((m) => {
        if (m.event === 'sync.state') ctx.io.err(`${new Date().toISOString()} ${JSON.stringify(m.payload)}\n`);
      });
      engine.start();
      ctx.io.err('Syncing; Ctrl+C to stop.\n');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      unsubscribe();
      return 0;
    },
  },
);
