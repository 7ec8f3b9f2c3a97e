// The one source of truth for "is this workstation connected?": folds the chain runtime's node probe and the sync
// engine's own attempts into one ConnectionHealth, with the outbox depth, and announces each change on the bus.
import type { SyncState } from '../api/events';
import type { ChainStatus, ConnectionHealth } from '../api/system';

export interface ConnectionHealthOptions {
  mode: 'embedded' | 'external';
  /** No chain configured (CUSTODIAN_CHAIN=none): health is 'disabled', whatever the probe says. */
  disabled: boolean;
  /** Outbox events not yet confirmed on chain (read on every answer, so the count is never stale). */
  queued: () => number;
  now: () => Date;
  emit?: (health: ConnectionHealth) => void;
}

/** Failures of the sender that mean the node cannot be reached (as opposed to a revert, a nonce, funds …). */
const SENDER_OFFLINE_REASONS: ReadonlySet<string> = new Set(['offline', 'rpc']);
/** Failures found before the node was asked (a payload check, a locked key): they say nothing of the connection. */
const SAYS_NOTHING_OF_NODE: ReadonlySet<string> = new Set(['payload', 'signer']);

/**
 * A state machine over two inputs. The node is down when the probe says so OR the sender's last attempt failed to
 * reach it; it is connected only when the probe answers AND the sender has not failed since. "Offline since" is the
 * earliest moment either side saw the outage and holds until the connection is back.
 */
export class ConnectionHealthMonitor {
  private node: ChainStatus | null = null;
  private senderDown: { since: string; reason: string } | null = null;
  private offlineSince: string | null = null;
  private connectedSince: string | null = null;
  private mismatchSince: string | null = null;
  private last = '';

  constructor(private readonly options: ConnectionHealthOptions) {}

  /** A new reading of the chain runtime's probe (its `chain.connection` event, or its current status). */
  nodeStatus(status: ChainStatus): void {
    this.node = status;
    this.announce();
  }

  /** A state the sync engine announced: a failure to reach the node marks it down; any progress marks it up. */
  senderState(state: SyncState): void {
    if (state.state === 'failed' && SENDER_OFFLINE_REASONS.has(state.reason)) {
      this.senderDown = { since: this.senderDown?.since ?? this.options.now().toISOString(), reason: state.message };
    } else if (state.state !== 'paused' && !(state.state === 'failed' && SAYS_NOTHING_OF_NODE.has(state.reason))) {
      // idle, queued, sending, sent, confirmed, or a refusal the node itself gave: the sender reached the node.
      this.senderDown = null;
    }
    this.announce();
  }

  /** The queue depth changed (an outbox write): re-announce if the shown count moved. */
  refresh(): void {
    this.announce();
  }

  get current(): ConnectionHealth {
    const { mode, disabled } = this.options;
    const queued = this.options.queued();
    const now = this.options.now().toISOString();
    const node = this.node;
    if (disabled) return { state: 'disabled', mode, since: null, queued, reason: 'No chain is configured for this workstation; records stay here.' };

    const nodeDown = node?.state === 'offline';
    if (nodeDown || this.senderDown) {
      this.connectedSince = null;
      this.mismatchSince = null;
      const seen = [nodeDown ? node.since : null, this.senderDown?.since ?? null].filter((s): s is string => s !== null).sort();
      this.offlineSince ??= seen[0] ?? now;
      const source = nodeDown ? 'node' : 'sender';
      const reason = nodeDown ? node.reason : this.senderDown!.reason;
      return { state: 'offline', mode, since: this.offlineSince, queued, reason, source };
    }
    this.offlineSince = null;
    if (!node || node.state === 'connecting') {
      this.connectedSince = null;
      return { state: 'connecting', mode, since: node?.since ?? now, queued };
    }
    if (node.state === 'mismatch') {
      this.connectedSince = null;
      this.mismatchSince ??= now;
      return {
        state: 'mismatch',
        mode,
        since: this.mismatchSince,
        queued,
        reason: `Configured for chain id ${node.expectedChainId}, but the node at ${node.rpcUrl} reports ${node.actualChainId}. Nothing is sent until this is fixed.`,
      };
    }
    this.mismatchSince = null;
    this.connectedSince ??= now;
    return { state: 'connected', mode, since: this.connectedSince, queued, blockNumber: node.blockNumber };
  }

  private announce(): void {
    const health = this.current;
    // The connected block number moves every probe: not a change a person needs pushed (the status poll shows it).
    const key = JSON.stringify({ ...health, blockNumber: undefined });
    if (key === this.last) return;
    this.last = key;
    this.options.emit?.(health);
  }
}
