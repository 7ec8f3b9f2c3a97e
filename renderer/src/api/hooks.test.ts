// useApiQuery's behaviour, on the same TanStack Query options the hook uses, observed without a DOM: stale data is
// kept with the error of a later read, polling runs after each answer (in the background too, never two reads at
// once), a held query reads nothing, a session change reads again, and an unshown query leaves the cache.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
// TanStack Query never polls where there is no window (it takes that for a server): give it a bare one, before it loads.
vi.hoisted(() => {
  (globalThis as { window?: unknown }).window ??= { addEventListener: () => undefined, removeEventListener: () => undefined };
});
import { QueryObserver, type QueryClient } from '@tanstack/react-query';
import { ApiCallError, notifySessionChanged, type invoke } from './client';
import { apiQueryOptions } from './hooks';
import { createQueryClient } from './query';

type Call = typeof invoke;

/** A client whose answers the test hands out one by one. */
function scriptedCall() {
  const calls: { channel: string; input: unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  const call = ((channel: string, input: unknown) => new Promise((resolve, reject) => calls.push({ channel, input, resolve, reject }))) as unknown as Call;
  return { calls, call };
}

let client: QueryClient;
beforeEach(() => {
  vi.useFakeTimers();
  client = createQueryClient();
});
afterEach(() => {
  client.clear();
  vi.useRealTimers();
});

const flush = () => vi.advanceTimersByTimeAsync(0);

describe('useApiQuery on TanStack Query', () => {
  it('keys by channel and input, and keeps the last good answer beside a later error', async () => {
    const { calls, call } = scriptedCall();
    const observer = new QueryObserver(client, apiQueryOptions('sync.batches', { limit: 5 }, {}, call));
    const seen: { data: unknown; error: unknown; pending: boolean }[] = [];
    const stop = observer.subscribe((r) => seen.push({ data: r.data, error: r.error, pending: r.isPending }));
    await flush();
    expect(calls.map((c) => [c.channel, c.input])).toEqual([['sync.batches', { limit: 5 }]]);
    expect(observer.getCurrentResult().isPending).toBe(true);
    calls[0]!.resolve(['first']);
    await flush();
    expect(observer.getCurrentResult()).toMatchObject({ data: ['first'], error: null, isPending: false });

    void observer.refetch();
    await flush();
    calls[1]!.reject(new ApiCallError('sync.batches', 'SYNC_OFFLINE', 'offline'));
    await flush();
    expect(observer.getCurrentResult()).toMatchObject({ data: ['first'], isPending: false });
    expect((observer.getCurrentResult().error as ApiCallError).code).toBe('SYNC_OFFLINE');
    stop();
  });

  it('polls after each answer while hidden too, one read at a time', async () => {
    const { calls, call } = scriptedCall();
    const observer = new QueryObserver(client, apiQueryOptions('sync.status', {}, { refreshMs: 1000 }, call));
    const stop = observer.subscribe(() => undefined);
    await flush();
    expect(calls).toHaveLength(1);
    // The first read is still out: the interval does not start a second one.
    await vi.advanceTimersByTimeAsync(2500);
    expect(calls).toHaveLength(1);
    calls[0]!.resolve({ n: 1 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    calls.at(-1)!.resolve({ n: 2 });
    await flush();
    expect(observer.getCurrentResult().data).toEqual({ n: 2 });
    expect(apiQueryOptions('sync.status', {}, { refreshMs: 1000 }, call)).toMatchObject({ refetchInterval: 1000, refetchIntervalInBackground: true });
    stop();
  });

  it('reads nothing while held, and again at once after a session change', async () => {
    const { calls, call } = scriptedCall();
    const held = new QueryObserver(client, apiQueryOptions('sync.conflicts', { open: true, limit: 10 }, { enabled: false }, call));
    const stopHeld = held.subscribe(() => undefined);
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toHaveLength(0);
    expect(held.getCurrentResult().isPending).toBe(true);
    stopHeld();

    const observer = new QueryObserver(client, apiQueryOptions('system.status', {}, {}, call));
    const stop = observer.subscribe(() => undefined);
    await flush();
    calls[0]!.resolve({ who: 'clerk' });
    await flush();
    notifySessionChanged();
    await flush();
    expect(calls).toHaveLength(2);
    stop();
  });

  it('drops a query no screen shows, so opening the screen again reads afresh', async () => {
    const { calls, call } = scriptedCall();
    const options = apiQueryOptions('sync.event', { id: 3 }, {}, call);
    const first = new QueryObserver(client, options);
    const stop = first.subscribe(() => undefined);
    await flush();
    calls[0]!.resolve({ id: 3 });
    await flush();
    stop();
    await vi.advanceTimersByTimeAsync(10);
    expect(client.getQueryData(options.queryKey)).toBeUndefined();
    const again = new QueryObserver(client, options);
    expect(again.getCurrentResult().isPending).toBe(true);
  });
});
