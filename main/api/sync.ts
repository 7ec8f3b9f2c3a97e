// Channels of the sync domain: the engine's status, its batches, one outbox event with its batch, and the
// controls (sync now, pause, resume, retry a failed batch). Pure TypeScript + zod; handlers live in main/sync.
import { z } from 'zod';
import { channel } from './channel';
import type { SyncState } from './events';

export const SYNC_BATCH_STATES = ['pending', 'signed', 'sent', 'confirmed', 'failed', 'replaced'] as const;
export type SyncBatchState = (typeof SYNC_BATCH_STATES)[number];

export interface SyncStatus {
  /** The chain connection as the sync engine sees it; 'disabled' when no chain is configured. */
  connection: 'connected' | 'connecting' | 'offline' | 'mismatch' | 'disabled';
  rpcUrl: string | null;
  chainId: number | null;
  blockHeight: number | null;
  signer: { address: string | null; balanceWei: string | null };
  /** Outbox events not yet confirmed on chain, by kind. */
  queue: { total: number; byKind: Record<string, number> };
  batches: Record<SyncBatchState, number>;
  paused: boolean;
  /** The latest state the engine announced (also pushed as `sync.state`). */
  state: SyncState;
  offlineSince: string | null;
  lastError: { code: string; subtype: string; message: string } | null;
  /** Latest nonce notice (a gap, another process using the key), for the operator. */
  notice: string | null;
  confirmationsRequired: number;
  /** How a batch counts as final on this connection: the node's 'finalized' block, or N blocks deep and why; null before connecting. */
  finality: string | null;
  /** Consent changes of this workstation that lost under the ordering rule and nobody has resolved yet. */
  openConflicts: number;
  /**
   * Pulled consent changes kept and not applied: `unknownPatient` waits for its patient to appear here; `unopenable`
   * (sealed terms that do not open) and `unregisteredWriter` (written by no registered signer of this facility at
   * its block: a forged ledger) are problems, never applied.
   */
  heldPulledChanges: { unknownPatient: number; unopenable: number; unregisteredWriter: number };
}

/** A consent change of this workstation that lost under the ordering rule (main/sync/README.md). */
export interface ConsentConflictSummary {
  id: number;
  outboxId: number;
  consentId: number;
  opKey: string;
  reason: 'STALE' | 'FUTURE' | 'OVERRIDDEN';
  /** hlc (16 hex) || rank (0/1) || writer (40 hex). */
  myOrder: string;
  winningOrder: string | null;
  winningWriter: string | null;
  batchId: string | null;
  txHash: string | null;
  raisedAt: string;
  resolution: 'accepted' | 'reapplied' | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
}

export interface SyncBatchSummary {
  id: string;
  kind: string;
  events: number;
  state: SyncBatchState;
  txHash: string | null;
  nonce: number | null;
  blockNumber: number | null;
  confirmations: number;
  gasUsed: number | null;
  estimatedGas: number;
  attempts: number;
  error: { subtype: string; message: string } | null;
  createdAt: string;
  updatedAt: string;
}

export interface SyncEventDetail {
  id: number;
  kind: string;
  state: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  /** The payload when it is a valid chain payload (pseudonyms, hashes, codes); null for a rejected one. */
  payload: Record<string, unknown> | null;
  batch: SyncBatchSummary | null;
  /** For audit roots: where the root is anchored, once the puller has seen it ("verify on chain"). */
  anchor: { blockNumber: number; blockHash: string; txHash: string; anchorIndex: number } | null;
}

export interface SyncNowResult {
  outcome: 'idle' | 'worked' | 'paused' | 'busy' | 'offline' | 'failed';
  sent: number;
  confirmed: number;
  message: string | null;
}

const empty = z.object({}).strict();
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 0x-prefixed 32-byte hex id');

export const syncChannels = {
  // Status polling, like system.status: no patient data, so not an audit entry per refresh.
  'sync.status': channel<SyncStatus>()(empty, 'sync.view', { audited: false }),
  'sync.batches': channel<SyncBatchSummary[]>()(
    z.object({ limit: z.number().int().min(1).max(500).default(100), state: z.enum(SYNC_BATCH_STATES).optional() }).strict(),
    'sync.view',
    { audited: false },
  ),
  'sync.event': channel<SyncEventDetail>()(z.object({ id: z.number().int().positive() }).strict(), 'sync.view'),
  'sync.now': channel<SyncNowResult>()(empty, 'sync.run'),
  'sync.retryBatch': channel<{ retried: boolean }>()(z.object({ batchId: bytes32 }).strict(), 'sync.run'),
  // Consent conflicts: ids, order stamps and signer addresses only (no patient data), like the batch list.
  'sync.conflicts': channel<ConsentConflictSummary[]>()(
    z.object({ open: z.boolean().default(true), consentId: z.number().int().positive().optional(), limit: z.number().int().min(1).max(500).default(100) }).strict(),
    'sync.view',
    { audited: false },
  ),
  // Accepting the winner closes the conflict (the consent already shows it). Re-applying the lost change as a new
  // change with a fresh stamp is not offered yet: a person makes that change on the consent itself.
  'sync.resolveConflict': channel<{ resolved: boolean }>()(z.object({ id: z.number().int().positive(), resolution: z.literal('accepted') }).strict(), 'consents.revoke'),
  'sync.pause': channel<{ paused: boolean }>()(empty, 'sync.configure'),
  'sync.resume': channel<{ paused: boolean }>()(empty, 'sync.configure'),
};
