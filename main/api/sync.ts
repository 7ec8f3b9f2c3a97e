// Channels of the sync domain: the engine's status, its batches, one outbox event with its batch, and the
// controls (sync now, pause, resume, retry a failed batch). Pure TypeScript + zod; handlers live in main/sync.
import { z } from 'zod';
import { channel } from './channel';
import type { SyncState } from './events';
import type { ConnectionHealth } from './system';

export const SYNC_BATCH_STATES = ['pending', 'signed', 'sent', 'confirmed', 'failed', 'replaced'] as const;
export type SyncBatchState = (typeof SYNC_BATCH_STATES)[number];

export interface SyncStatus {
  /** The chain connection as the sync engine sees it; 'disabled' when no chain is configured. */
  connection: 'connected' | 'connecting' | 'offline' | 'mismatch' | 'disabled';
  /** The shared connection health (the same object system.status carries): what the Sync page's chain card shows. */
  health: ConnectionHealth;
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
  /**
   * Outbox events of this workstation that failed before any batch and will not be sent (a payload the chain check
   * refused, SYNC_PAYLOAD_INVALID; a sharing proposal queued before proposals were sealed, SHARING_PROPOSAL_LEGACY),
   * by the code their reason starts with; the newest few with their own reason, which names what to do.
   */
  heldOutboxEvents?: { total: number; byCode: Record<string, number>; latest: { id: number; kind: string; reason: string }[] };
  /**
   * Outbox events replaced by a later event of their kind before they were batched (a sharing proposal queued
   * before proposals were sealed, sent as its converted event): never sent, neither queued nor held (migration 0025).
   */
  replacedOutboxEvents?: number;
}

export type ConflictReason = 'STALE' | 'FUTURE' | 'OVERRIDDEN';

/** A consent change of this workstation that lost under the ordering rule (main/sync/README.md), as it is stored. */
export interface ConsentConflictRecord {
  id: number;
  outboxId: number;
  consentId: number;
  opKey: string;
  reason: ConflictReason;
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

/** A lost consent change as staff see it: the stored record with what each side wrote and what the consent shows now. */
export interface ConsentConflictSummary extends ConsentConflictRecord {
  /** When the lost change and the winner were made (the milliseconds of their order stamps, ISO). */
  myAt: string;
  winningAt: string | null;
  /** The consent's key in staff words: patient number (no name or MRN), grantee, purpose, category. */
  consent: { patientId: number; grantee: string; granteeKind: 'npi' | 'org'; purpose: string; category: string } | null;
  /** What this workstation wrote (from its outbox event); null when the event is gone. */
  mine: { change: 'create' | 'revoke' | 'supersede'; decision: 'permit' | 'deny'; revoked: boolean } | null;
  /** What the consent shows here now (the winner, once pulled): its current row for the key. */
  now: { consentId: number; decision: 'permit' | 'deny'; status: string; writer: string | null } | null;
}

export const CONFLICT_RESOLUTIONS = ['accepted', 'reapplied'] as const;
export type ConflictResolution = (typeof CONFLICT_RESOLUTIONS)[number];

export interface ResolveConflictResult {
  /** False when the conflict was already resolved (nothing was changed or queued). */
  resolved: boolean;
  resolution: ConflictResolution | null;
  /** For 'reapplied': the consent row that now carries the change (queued for the chain with a fresh stamp). */
  consentId: number | null;
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
  /** For a replaced event (state 'replaced', never sent): the id of the event sent instead (migration 0025). */
  replacedBy?: number | null;
}

export interface SyncNowResult {
  outcome: 'idle' | 'worked' | 'paused' | 'busy' | 'offline' | 'failed';
  sent: number;
  confirmed: number;
  message: string | null;
}

/** What the batcher would send now (`custodian sync --dry-run`): nothing persisted, signed or sent. */
export interface DryRunPlan {
  batches: { kind: string; contract: string; events: number; estimatedGas: number; firstEventId: number; lastEventId: number }[];
  invalid: { id: number; reason: string }[];
  inFlight: number;
}

const empty = z.object({}).strict();
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 0x-prefixed 32-byte hex id');

export const syncChannels = {
  // Status polling, like system.status: no patient data, so not an audit entry per refresh.
  'sync.status': channel<SyncStatus>()(empty, 'sync.view', { audited: false }),
  'sync.dryRun': channel<DryRunPlan>()(empty, 'sync.view', { audited: false }),
  'sync.batches': channel<SyncBatchSummary[]>()(
    z.object({ limit: z.number().int().min(1).max(500).default(100), state: z.enum(SYNC_BATCH_STATES).optional() }).strict(),
    'sync.view',
    { audited: false },
  ),
  'sync.event': channel<SyncEventDetail>()(z.object({ id: z.number().int().positive() }).strict(), 'sync.view'),
  'sync.now': channel<SyncNowResult>()(empty, 'sync.run'),
  'sync.retryBatch': channel<{ retried: boolean }>()(z.object({ batchId: bytes32 }).strict(), 'sync.run'),
  // Consent conflicts: the consent's key (patient number, grantee, purpose, category: never a name or MRN), order
  // stamps and signer addresses. Audited like consents.list, so the page reads it on change, not on a timer.
  'sync.conflicts': channel<ConsentConflictSummary[]>()(
    z.object({ open: z.boolean().default(true), consentId: z.number().int().positive().optional(), limit: z.number().int().min(1).max(500).default(100) }).strict(),
    'sync.view',
  ),
  // 'accepted' closes the conflict (the consent already shows the winner). 'reapplied' writes the lost change again
  // as a new local change with a fresh stamp (it wins by the rule now), through the consents write path, in the same
  // transaction as the audit entry. Either is a consent decision: a records manager's (consents.revoke).
  'sync.resolveConflict': channel<ResolveConflictResult>()(z.object({ id: z.number().int().positive(), resolution: z.enum(CONFLICT_RESOLUTIONS) }).strict(), 'consents.revoke'),
  'sync.pause': channel<{ paused: boolean }>()(empty, 'sync.configure'),
  'sync.resume': channel<{ paused: boolean }>()(empty, 'sync.configure'),
};
