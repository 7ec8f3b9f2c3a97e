// Paces the engine's `sync.state` announcements for people: at most one per interval (100 ms by default), the
// latest state always delivered last (a trailing update), and a failure never coalesced away by what follows it.
// Sits between the engine's transitions and the event bus; the engine's own `state` is never delayed.
import type { SyncState } from '../api/events';

export const SYNC_STATE_INTERVAL_MS = 100;

/**
 * A failure is a change a person must see even if the engine recovers within the interval (offline, then back;
 * a revert, then the next batch): it is kept in the queue, and only a newer failure of the same reason and batch
 * (e.g. "offline since …, 12 queued" becoming "…, 13 queued") replaces it.
 */
function isTerminal(s: SyncState): s is Extract<SyncState, { state: 'failed' }> {
  return s.state === 'failed';
}

function sameFailure(a: SyncState, b: SyncState): boolean {
  return isTerminal(a) && isTerminal(b) && a.reason === b.reason && a.batchId === b.batchId;
}

export class SyncStateThrottle {
  /** States waiting for their slot, oldest first: failures kept as they came, at most one non-failure at the end. */
  private readonly queue: SyncState[] = [];
  private lastDeliveredAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deliver: (state: SyncState) => void,
    private readonly intervalMs = SYNC_STATE_INTERVAL_MS,
  ) {}

  push(state: SyncState): void {
    const tail = this.queue[this.queue.length - 1];
    if (tail && (!isTerminal(tail) || sameFailure(tail, state))) this.queue[this.queue.length - 1] = state;
    else this.queue.push(state);
    this.pump();
  }

  /** Delivers everything still queued now, in order (shutdown: nothing is left behind), and stops the timer. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const s of this.queue.splice(0)) this.deliver(s);
    this.lastDeliveredAt = Date.now();
  }

  /** States not yet delivered (for tests and status). */
  get pending(): number {
    return this.queue.length;
  }

  private pump(): void {
    if (this.timer !== null || this.queue.length === 0) return;
    const wait = this.lastDeliveredAt + this.intervalMs - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, wait);
      this.timer.unref?.();
      return;
    }
    this.lastDeliveredAt = Date.now();
    const next = this.queue.shift()!;
    try {
      this.deliver(next);
    } finally {
      this.pump();
    }
  }
}
