// Handlers of the sync channels: status for the Sync page and status bar, the batches table, one outbox event
// with its batch, and the controls. Read from SQLite and the engine; never return a key or a rejected payload.
import type { HandlersFor } from '../api/channel';
import { AppError } from '../api/errors';
import { SYNC_BATCH_STATES, type syncChannels, type SyncBatchState, type SyncBatchSummary, type SyncStatus } from '../api/sync';
import type { Db } from '../db/connection';
import type { ChainRuntime } from '../runtime/chain-runtime';
import type { RequestContext } from '../runtime/dispatcher';
import type { SyncEngine } from './engine';
import { isSyncKind, parsePayload } from './payloads';
import { ConsentConflicts } from './consent-conflicts';
import { SyncStore, type BatchRow } from './store';

export interface SyncHandlerDeps {
  db: Db;
  engine: SyncEngine | null;
  chain: ChainRuntime;
  confirmations: number;
}

export function toBatchSummary(b: BatchRow): SyncBatchSummary {
  return {
    id: b.id,
    kind: b.kind,
    events: b.event_count,
    state: b.state,
    txHash: b.tx_hash,
    nonce: b.nonce,
    blockNumber: b.block_number,
    confirmations: b.confirmations,
    gasUsed: b.gas_used,
    estimatedGas: b.estimated_gas,
    attempts: b.attempts,
    error: b.last_error ? { subtype: b.error_subtype ?? 'unknown', message: b.last_error } : null,
    createdAt: b.created_at,
    updatedAt: b.updated_at,
  };
}

function engineOf(deps: SyncHandlerDeps): SyncEngine {
  if (!deps.engine) throw new AppError('SYNC_DISABLED', 'Sync is off: no chain is configured for this workstation.');
  return deps.engine;
}

/**
 * Leaves the dispatcher's transaction (it wraps a handler's synchronous start), so that a ctx.commit after this is
 * durable before the handler acts outside the database; with `commitNow`, commits this call's entry at once.
 */
async function auditedFirst(ctx: RequestContext, commitNow = false): Promise<void> {
  await Promise.resolve();
  if (commitNow) ctx.commit(() => undefined);
}

export function createSyncHandlers(deps: SyncHandlerDeps): HandlersFor<typeof syncChannels, RequestContext> {
  const store = new SyncStore(deps.db);
  const conflicts = new ConsentConflicts(deps.db);
  return {
    'sync.status': async () => {
      const engine = deps.engine;
      const chain = deps.chain.current;
      const byKind = store.queueDepth();
      const counts = deps.db.prepare(`SELECT state, count(*) AS n FROM sync_batches GROUP BY state`).all() as { state: SyncBatchState; n: number }[];
      const batches = Object.fromEntries(SYNC_BATCH_STATES.map((s) => [s, counts.find((c) => c.state === s)?.n ?? 0])) as Record<SyncBatchState, number>;
      const address = engine ? await engine.signer() : null;
      const provider = engine?.provider ?? deps.chain.connection?.provider ?? null;
      const balanceWei = address && provider ? await provider.getBalance(address).then((b) => b.toString(), () => null) : null;
      const failure = engine?.failure ?? null;
      const status: SyncStatus = {
        connection: !engine ? 'disabled' : chain.state,
        rpcUrl: chain.rpcUrl,
        chainId: chain.state === 'connected' ? chain.chainId : chain.state === 'mismatch' ? chain.actualChainId : null,
        blockHeight: engine?.blockHeight ?? (chain.state === 'connected' ? chain.blockNumber : null),
        signer: { address, balanceWei },
        queue: { total: Object.values(byKind).reduce((a, b) => a + b, 0), byKind },
        batches,
        paused: engine?.isPaused ?? false,
        state: engine?.state ?? { state: 'idle', pending: 0 },
        offlineSince: engine?.offline?.since ?? null,
        lastError: failure ? { code: failure.code, subtype: failure.subtype, message: failure.message } : null,
        notice: engine?.notice?.message ?? null,
        confirmationsRequired: deps.confirmations,
        openConflicts: conflicts.openCount(),
      };
      return status;
    },
    'sync.batches': ({ limit, state }) => store.listBatches(limit, state).map(toBatchSummary),
    'sync.event': ({ id }) => {
      const row = store.event(id);
      if (!row) throw new AppError('NOT_FOUND', `There is no outbox event ${id}.`);
      // Only a payload that passes the chain schema is shown: a rejected one might hold what must not leave.
      const parsed = isSyncKind(row.kind) ? parsePayload(row.kind, row.payload) : null;
      const batch = row.batch_id ? store.batch(row.batch_id) : undefined;
      let anchor = null;
      if (row.kind === 'audit.root' && parsed?.ok) {
        const a = deps.db
          .prepare(`SELECT block_number, block_hash, tx_hash, anchor_index FROM sync_chain_audit_roots WHERE merkle_root = ? ORDER BY block_number DESC LIMIT 1`)
          .get(((parsed.value as { rootHash: string }).rootHash ?? '').toLowerCase()) as { block_number: number; block_hash: string; tx_hash: string; anchor_index: number } | undefined;
        if (a) anchor = { blockNumber: a.block_number, blockHash: a.block_hash, txHash: a.tx_hash, anchorIndex: a.anchor_index };
      }
      return {
        id: row.id,
        kind: row.kind,
        state: row.state,
        attempts: row.attempts,
        lastError: row.last_error,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        payload: parsed?.ok ? (parsed.value as Record<string, unknown>) : null,
        batch: batch ? toBatchSummary(batch) : null,
        anchor,
      };
    },
    // Controls that act on the chain or the engine commit their audit entry first and act only after: if the
    // entry cannot be written, nothing is sent, retried, paused or resumed.
    'sync.now': async (_input, ctx) => {
      const engine = engineOf(deps);
      await auditedFirst(ctx, true);
      const report = await engine.syncNow();
      return { outcome: report.outcome, sent: report.sent, confirmed: report.confirmed, message: report.failure?.message ?? null };
    },
    'sync.retryBatch': async ({ batchId }, ctx) => {
      await auditedFirst(ctx);
      const retried = ctx.commit(() => {
        const done = store.retry(batchId.toLowerCase()) || store.retry(batchId);
        if (!done && !store.batch(batchId.toLowerCase()) && !store.batch(batchId)) throw new AppError('NOT_FOUND', `There is no batch ${batchId}.`);
        return done;
      });
      if (retried) void deps.engine?.syncNow().catch(() => undefined);
      return { retried };
    },
    'sync.conflicts': ({ open, consentId, limit }) => conflicts.list({ open, limit, ...(consentId === undefined ? {} : { consentId }) }),
    'sync.resolveConflict': ({ id }, ctx) => {
      const row = conflicts.byId(id);
      if (!row) throw new AppError('NOT_FOUND', `There is no consent conflict ${id}.`);
      // A FUTURE change never reached the chain, so the consent here still shows it: accepting would hide a divergence.
      if (row.reason === 'FUTURE') throw new AppError('CONFLICT', `Conflict ${id} is a change the chain refused as stamped in the future; make the change again on the consent (a fresh stamp) instead.`);
      return { resolved: conflicts.resolve(id, 'accepted', ctx.principal.id) };
    },
    'sync.pause': async (_input, ctx) => {
      const engine = engineOf(deps);
      await auditedFirst(ctx, true);
      engine.pause();
      return { paused: true };
    },
    'sync.resume': async (_input, ctx) => {
      const engine = engineOf(deps);
      await auditedFirst(ctx, true);
      engine.resume();
      return { paused: false };
    },
  };
}
