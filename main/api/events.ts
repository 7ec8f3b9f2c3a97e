// Every event main pushes to the renderer, by name, with its payload. Sent over IPC under Electron and
// over the push stream in browser mode.
import type { ChainStatus, ConnectionHealth, JobState } from './system';

export interface JobProgress {
  jobId: string;
  kind: string;
  state: JobState;
  done: number;
  total: number | null;
  /** Items per second over the job so far. */
  rate: number;
  /** Seconds left at the current rate, or null when unknown. */
  etaSeconds: number | null;
  errors: number;
  message?: string;
}

/**
 * Why the sync engine reports a failure: the node is unreachable ('offline') or answers badly ('rpc'); the contract
 * refused a batch ('revert'); the signer cannot pay ('funds'), its nonce collided ('nonce') or its key cannot be
 * unlocked ('signer'); the node is on another chain ('chain-id'); a reorg removed blocks that held our batches or
 * pulled changes ('reorg'); an outbox payload failed the chain schema and is never sent ('payload'); another party
 * used the batch's id first ('batch-id-taken': the batch is not confirmed, its events go again under a new id); the
 * contract applied a batch but skipped one of its items with a named reason ('item-skipped', e.g. a credential
 * status without its issuer's signature); the chain's storage holds our batch as applied but no block holds its event, so
 * nobody can pull it ('applied-without-log': a node state torn by a crash; not confirmed, the changes are sent again
 * where the kind can).
 */
export const SYNC_FAILURE_REASONS = ['offline', 'revert', 'funds', 'nonce', 'chain-id', 'rpc', 'reorg', 'signer', 'payload', 'batch-id-taken', 'item-skipped', 'applied-without-log'] as const;
export type SyncFailureReason = (typeof SYNC_FAILURE_REASONS)[number];

export type SyncState =
  | { state: 'idle'; pending: number }
  | { state: 'queued'; pending: number }
  | { state: 'sending'; batchId: string; events: number }
  | { state: 'sent'; batchId: string; txHash: string }
  | { state: 'confirmed'; batchId: string; txHash: string; blockNumber: number }
  | { state: 'failed'; batchId: string | null; reason: SyncFailureReason; message: string }
  | { state: 'paused'; pending: number };

export interface PushEvents {
  'job.progress': JobProgress;
  'sync.state': SyncState;
  'chain.connection': ChainStatus;
  /** The shared connection health changed (state, since, queue depth): every health display follows it. */
  'connection.health': ConnectionHealth;
}

export type PushEventName = keyof PushEvents;
export type PushMessage = { [K in PushEventName]: { event: K; payload: PushEvents[K] } }[PushEventName];
export const PUSH_EVENT_NAMES: readonly PushEventName[] = ['job.progress', 'sync.state', 'chain.connection', 'connection.health'];
