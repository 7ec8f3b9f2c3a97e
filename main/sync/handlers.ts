// Handlers of the sync channels: status for the Sync page and status bar, the batches table, one outbox event
// with its batch, and the controls. Read from SQLite and the engine; never return a key or a rejected payload.
import type { HandlersFor } from '../api/channel';
import { AppError } from '../api/errors';
import { SYNC_BATCH_STATES, type ConsentConflictSummary, type syncChannels, type SyncBatchState, type SyncBatchSummary, type SyncStatus } from '../api/sync';
import type { Db } from '../db/connection';
import type { ConnectionHealth } from '../api/system';
import type { ChainRuntime } from '../runtime/chain-runtime';
import type { RequestContext } from '../runtime/dispatcher';
import type { SyncEngine } from './engine';
import { dryRunPlan } from './dry-run';
import { finalityText } from './finality';
import { heldEventCounts, heldEventReasons, replacedEventCount } from './outbox';
import type { SyncRegistry } from './plugin';
import { SyncStore, type BatchRow } from './store';

/** A lost consent change to write again: the consent row it changed and whether it revoked. */
export interface ReapplyRequest {
  conflictId: number;
  consentId: number;
  revoked: boolean;
  /** The winner's stamp (16 hex) when the chain reported it: the new change is stamped above it. */
  winningHlc: string | null;
}

/** What the sync channels need of a conflict row (consents/consent-conflicts.ts owns the table and its rows). */
export interface SyncConflictRow {
  id: number;
  outboxId: number;
  consentId: number;
  reason: 'STALE' | 'FUTURE' | 'OVERRIDDEN';
  winningOrder: string | null;
  resolution: 'accepted' | 'reapplied' | null;
}

/** The consent conflicts the sync channels list and resolve, handed in by the composition root (sync imports no domain). */
export interface SyncConflictLedger<Row extends SyncConflictRow = SyncConflictRow, Lost extends { revoked: boolean } = { revoked: boolean }> {
  openCount(): number;
  list(opts: { open?: boolean; consentId?: number; limit?: number }): Row[];
  summary(row: Row): ConsentConflictSummary;
  byId(id: number): Row | undefined;
  /** The patient the conflict's consent belongs to (for the audit entry), or null. */
  patientIdOf(consentId: number): number | null;
  lostChange(row: Row): Lost | undefined;
  laterOwnChange(row: Row, lost: Lost): number | undefined;
  resolve(id: number, resolution: 'accepted' | 'reapplied', by: string): boolean;
}

export interface SyncHandlerDeps {
  db: Db;
  engine: SyncEngine | null;
  chain: ChainRuntime;
  /** The shared connection health (main/runtime/connection-health.ts). */
  health: { readonly current: ConnectionHealth };
  confirmations: number;
  /**
   * The consents domain's write path for "re-apply mine" (ConsentWrites.reapply), handed in by the composition root
   * so sync imports no domain: a new local change with a fresh stamp and its outbox event. Returns the consent row
   * that carries it. Absent: re-applying is refused.
   */
  reapplyConsentChange?: (request: ReapplyRequest, actor: string) => number;
  registry: SyncRegistry;
  conflicts: SyncConflictLedger;
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

/** Pulled consent changes kept in sync_pending_consent_changes, by reason (the consent sink writes them). */
export function heldPulledChanges(db: Db): SyncStatus['heldPulledChanges'] {
  const rows = db.prepare(`SELECT reason, count(*) AS n FROM sync_pending_consent_changes GROUP BY reason`).all() as { reason: string; n: number }[];
  const of = (reason: string) => rows.find((r) => r.reason === reason)?.n ?? 0;
  return { unknownPatient: of('UNKNOWN_PATIENT'), unopenable: of('UNOPENABLE'), unregisteredWriter: of('UNREGISTERED_WRITER') };
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
  const store = new SyncStore(deps.db, deps.registry.kinds);
  const conflicts = deps.conflicts;
  return {
    'sync.dryRun': () => dryRunPlan(deps.db, deps.registry),
    'sync.status': async () => {
      const engine = deps.engine;
      const chain = deps.chain.current;
      const byKind = store.queueDepth();
      const counts = deps.db.prepare(`SELECT state, count(*) AS n FROM sync_batches GROUP BY state`).all() as { state: SyncBatchState; n: number }[];
      const batches = Object.fromEntries(SYNC_BATCH_STATES.map((s) => [s, counts.find((c) => c.state === s)?.n ?? 0])) as Record<SyncBatchState, number>;
      const address = engine ? await engine.signer() : null;
      const provider = engine?.provider ?? deps.chain.connection?.provider ?? null;
      // A node known to be down is not asked (a paused node would hold this status read for the provider's timeout).
      const health = deps.health.current;
      const balanceWei = address && provider && health.state === 'connected' ? await provider.getBalance(address).then((b) => b.toString(), () => null) : null;
      const failure = engine?.failure ?? null;
      const status: SyncStatus = {
        connection: !engine ? 'disabled' : chain.state,
        health,
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
        finality: engine?.finality ? finalityText(engine.finality) : null,
        openConflicts: conflicts.openCount(),
        heldPulledChanges: heldPulledChanges(deps.db),
        heldOutboxEvents: { ...heldEventCounts(deps.db), latest: heldEventReasons(deps.db) },
        replacedOutboxEvents: replacedEventCount(deps.db),
      };
      return status;
    },
    'sync.batches': ({ limit, state }) => store.listBatches(limit, state).map(toBatchSummary),
    'sync.event': ({ id }) => {
      const row = store.event(id);
      if (!row) throw new AppError('NOT_FOUND', `There is no outbox event ${id}.`);
      // Only a payload that passes the chain schema is shown: a rejected one might hold what must not leave.
      const parsed = deps.registry.has(row.kind) ? deps.registry.parse(row.kind, row.payload) : null;
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
        replacedBy: row.replaced_by,
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
    'sync.conflicts': ({ open, consentId, limit }, ctx) => {
      const rows = conflicts.list({ open, limit, ...(consentId === undefined ? {} : { consentId }) }).map((r) => conflicts.summary(r));
      ctx.audit({ subject: consentId === undefined ? null : `consent:${consentId}`, details: { conflicts: rows.map((r) => r.id) } });
      return rows;
    },
    // Synchronous on purpose: the dispatcher runs it and its audit entry in one transaction, so a re-applied change,
    // its outbox event, the resolution and the audit entry commit together or not at all.
    'sync.resolveConflict': ({ id, resolution }, ctx) => {
      const row = conflicts.byId(id);
      if (!row) throw new AppError('NOT_FOUND', `There is no consent conflict ${id}.`);
      const patientId = conflicts.patientIdOf(row.consentId);
      ctx.audit({ patientId, subject: `consent:${row.consentId}`, details: { conflict: id, resolution, reason: row.reason } });
      if (row.resolution !== null) return { resolved: false, resolution: row.resolution, consentId: null };
      if (resolution === 'accepted') {
        // A FUTURE change never reached the chain, so the consent here still shows it: accepting would hide a divergence.
        if (row.reason === 'FUTURE') throw new AppError('CONFLICT', `Conflict ${id} is a change the chain refused as stamped in the future; re-apply it (a fresh stamp) once this workstation's clock is right.`);
        return { resolved: conflicts.resolve(id, 'accepted', ctx.principal.id), resolution, consentId: null };
      }
      if (!deps.reapplyConsentChange) throw new AppError('CONFLICT', `Conflict ${id} cannot be re-applied here: this process has no consent write path.`);
      const lost = conflicts.lostChange(row);
      if (!lost) throw new AppError('NOT_FOUND', `Conflict ${id}: its outbox event ${row.outboxId} is gone, so the lost change is not known; accept the chain's state or make the change again on the consent.`);
      const later = conflicts.laterOwnChange(row, lost);
      if (later !== undefined) {
        throw new AppError('CONFLICT', `Conflict ${id}: this workstation changed the same consent again afterwards (outbox event ${later}); re-applying would undo that. Accept the chain's state, or resolve the later conflict.`, { laterEvent: later });
      }
      const consentId = deps.reapplyConsentChange({ conflictId: id, consentId: row.consentId, revoked: lost.revoked, winningHlc: row.winningOrder?.slice(0, 16) ?? null }, ctx.principal.id);
      if (!conflicts.resolve(id, 'reapplied', ctx.principal.id)) throw new AppError('CONFLICT', `Conflict ${id} was resolved by someone else meanwhile.`);
      ctx.audit({ details: { conflict: id, resolution, reason: row.reason, reappliedAs: consentId } });
      return { resolved: true, resolution, consentId };
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
