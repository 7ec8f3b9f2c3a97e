// The pacing of sync.state pushes, on fake timers: one per 100 ms, the latest state always delivered last, and
// failures never coalesced away.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SyncState } from '../api/events';
import { SyncStateThrottle } from './state-throttle';

const queued = (pending: number): SyncState => ({ state: 'queued', pending });
const sending = (events: number): SyncState => ({ state: 'sending', batchId: `0x${'ab'.repeat(32)}`, events });
const failed = (reason: Extract<SyncState, { state: 'failed' }>['reason'], message: string = reason): SyncState => ({ state: 'failed', batchId: null, reason, message });

function harness(intervalMs = 100) {
  const delivered: { at: number; state: SyncState }[] = [];
  const throttle = new SyncStateThrottle((state) => delivered.push({ at: Date.now(), state }), intervalMs);
  return { delivered, throttle, states: () => delivered.map((d) => d.state) };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SyncStateThrottle', () => {
  it('delivers the first state at once, then at most one per 100 ms with the latest state trailing', () => {
    const { delivered, throttle, states } = harness();
    throttle.push(queued(1));
    expect(states()).toEqual([queued(1)]);
    for (let i = 2; i <= 50; i++) {
      vi.advanceTimersByTime(7);
      throttle.push(queued(i));
    }
    vi.advanceTimersByTime(1_000);
    // 50 states over 343 ms: the first, then one per 100 ms, the last one being the latest pushed.
    expect(states().at(-1)).toEqual(queued(50));
    expect(delivered.length).toBeLessThanOrEqual(5);
    expect(delivered.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < delivered.length; i++) expect(delivered[i]!.at - delivered[i - 1]!.at).toBeGreaterThanOrEqual(100);
    expect(throttle.pending).toBe(0);
  });

  it('a lone state after a quiet period goes out immediately', () => {
    const { throttle, states } = harness();
    throttle.push(queued(1));
    vi.advanceTimersByTime(250);
    throttle.push(sending(3));
    expect(states()).toEqual([queued(1), sending(3)]);
  });

  it('never drops a failure that is followed within the interval by a recovery', () => {
    const { delivered, throttle, states } = harness();
    throttle.push(sending(5));
    vi.advanceTimersByTime(10);
    throttle.push(failed('offline', 'Offline since …, 5 event(s) queued'));
    vi.advanceTimersByTime(10);
    throttle.push(queued(5));
    throttle.push(sending(5));
    vi.advanceTimersByTime(500);
    expect(states()).toEqual([sending(5), failed('offline', 'Offline since …, 5 event(s) queued'), sending(5)]);
    for (let i = 1; i < delivered.length; i++) expect(delivered[i]!.at - delivered[i - 1]!.at).toBeGreaterThanOrEqual(100);
  });

  it('keeps failures of different reasons in order; a newer failure of the same reason replaces the older', () => {
    const { throttle, states } = harness();
    throttle.push(queued(1));
    throttle.push(failed('offline', 'offline, 1 queued'));
    throttle.push(failed('offline', 'offline, 2 queued'));
    throttle.push(failed('reorg'));
    throttle.push(failed('payload'));
    throttle.push(queued(2));
    vi.advanceTimersByTime(1_000);
    expect(states()).toEqual([queued(1), failed('offline', 'offline, 2 queued'), failed('reorg'), failed('payload'), queued(2)]);
  });

  it('flush delivers what is still queued at once, in order, and cancels the trailing timer', () => {
    const { throttle, states } = harness();
    throttle.push(queued(1));
    throttle.push(failed('signer'));
    throttle.push(queued(2));
    expect(states()).toEqual([queued(1)]);
    throttle.flush();
    expect(states()).toEqual([queued(1), failed('signer'), queued(2)]);
    vi.advanceTimersByTime(1_000);
    expect(states()).toHaveLength(3);
  });

  it('an interval of 0 passes every state through unchanged', () => {
    const { throttle, states } = harness(0);
    const all = [queued(1), sending(2), queued(3), failed('rpc'), queued(4)];
    for (const s of all) throttle.push(s);
    expect(states()).toEqual(all);
  });
});
