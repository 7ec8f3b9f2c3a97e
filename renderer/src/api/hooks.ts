// React hooks over the client: a polling query with loading / error / stale-data states (on TanStack Query, like the
// paged tables), and pushed events.
import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { PushEventName, PushEvents } from '../../../main/api/events';
import type { ChannelInput, ChannelName, ChannelResult } from '../../../main/api/index';
import { ApiCallError, invoke, onPushConnectionState, subscribe, type PushConnectionState } from './client';

export interface ApiQueryOptions {
  /** Calls again this long after each answer; off when absent. */
  refreshMs?: number;
  /** False holds the query (e.g. until a prerequisite is known). */
  enabled?: boolean;
}

export interface ApiQuery<T> {
  /** The last good answer; kept while a later call fails, so the screen shows stale data plus the error. */
  data: T | undefined;
  error: ApiCallError | null;
  /** True until the first answer (good or bad) arrives. */
  loading: boolean;
  /** When `data` was last received (ms since epoch). */
  updatedAt: number | null;
  refetch: () => void;
}

function asApiCallError(channel: ChannelName, err: unknown): ApiCallError {
  return err instanceof ApiCallError ? err : new ApiCallError(channel, 'INTERNAL', (err as Error)?.message ?? String(err));
}

/**
 * The TanStack Query options of one channel read: keyed by channel and input, polled `refreshMs` after the previous
 * read (in the background too, and never two at once), and dropped from the cache when no screen shows it, so a
 * screen opened again reads afresh (loading) rather than showing an old answer. `call` is the client (tests pass one).
 */
export function apiQueryOptions<K extends ChannelName>(channel: K, input: ChannelInput<K>, options: ApiQueryOptions = {}, call: typeof invoke = invoke) {
  const { refreshMs, enabled = true } = options;
  const inputKey = JSON.stringify(input ?? {});
  return {
    queryKey: ['api', channel, inputKey] as const,
    queryFn: () => call(channel, JSON.parse(inputKey) as ChannelInput<K>),
    enabled,
    refetchInterval: refreshMs ?? false,
    refetchIntervalInBackground: true,
    gcTime: 0,
  } as const;
}

export function useApiQuery<K extends ChannelName>(channel: K, input: ChannelInput<K>, options: ApiQueryOptions = {}): ApiQuery<ChannelResult<K>> {
  const enabled = options.enabled ?? true;
  // A new session may see different data (or none): query.ts invalidates every query on a sign-in, sign-out or lock.
  const query = useQuery(apiQueryOptions(channel, input, options));
  const refetchQuery = query.refetch;
  // A held query is not read on demand either (its prerequisite is not known, or the role may not call it).
  const refetch = useCallback(() => {
    if (enabled) void refetchQuery();
  }, [enabled, refetchQuery]);
  return {
    data: query.data,
    error: query.error ? asApiCallError(channel, query.error) : null,
    loading: query.isPending,
    updatedAt: query.dataUpdatedAt > 0 ? query.dataUpdatedAt : null,
    refetch,
  };
}

/** Calls `callback` with each payload of a pushed event while the component is mounted. */
export function usePushEvent<E extends PushEventName>(event: E, callback: (payload: PushEvents[E]) => void): void {
  const latest = useRef(callback);
  useEffect(() => {
    latest.current = callback;
  });
  useEffect(() => subscribe(event, (payload) => latest.current(payload)), [event]);
}

/** The push connection's state, for a "live updates reconnecting" hint. */
export function usePushConnectionState(): PushConnectionState {
  const [state, setState] = useState<PushConnectionState>('idle');
  useEffect(() => onPushConnectionState(setState), []);
  return state;
}

/** One call on demand (a button), with its pending flag and last error. */
export function useApiAction<K extends ChannelName>(channel: K): {
  run: (input: ChannelInput<K>) => Promise<ChannelResult<K> | undefined>;
  pending: boolean;
  error: ApiCallError | null;
  clearError: () => void;
} {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiCallError | null>(null);
  const run = useCallback(
    async (input: ChannelInput<K>) => {
      setPending(true);
      setError(null);
      try {
        return await invoke(channel, input);
      } catch (err) {
        setError(asApiCallError(channel, err));
        return undefined;
      } finally {
        setPending(false);
      }
    },
    [channel],
  );
  return { run, pending, error, clearError: useCallback(() => setError(null), []) };
}
