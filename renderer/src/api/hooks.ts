// React hooks over the client: a polling query with loading / error / stale-data states, and pushed events.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { PushEventName, PushEvents } from '../../../main/api/events';
import type { ChannelInput, ChannelName, ChannelResult } from '../../../main/api/index';
import { ApiCallError, invoke, onPushConnectionState, onSessionChanged, subscribe, type PushConnectionState } from './client';

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

export function useApiQuery<K extends ChannelName>(channel: K, input: ChannelInput<K>, options: ApiQueryOptions = {}): ApiQuery<ChannelResult<K>> {
  const { refreshMs, enabled = true } = options;
  const inputKey = JSON.stringify(input ?? {});
  const [state, setState] = useState<Omit<ApiQuery<ChannelResult<K>>, 'refetch'>>({ data: undefined, error: null, loading: true, updatedAt: null });
  const runRef = useRef<() => void>(() => {});

  useEffect(() => {
    if (!enabled) return;
    let disposed = false;
    let inFlight = false;
    let again = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const parsedInput = JSON.parse(inputKey) as ChannelInput<K>;

    const run = (): void => {
      if (disposed) return;
      if (inFlight) {
        again = true;
        return;
      }
      if (timer) clearTimeout(timer);
      timer = null;
      inFlight = true;
      invoke(channel, parsedInput).then(
        (data) => {
          if (!disposed) setState({ data, error: null, loading: false, updatedAt: Date.now() });
        },
        (err: unknown) => {
          if (!disposed) setState((prev) => ({ ...prev, error: asApiCallError(channel, err), loading: false }));
        },
      ).finally(() => {
        inFlight = false;
        if (disposed) return;
        if (again) {
          again = false;
          run();
        } else if (refreshMs) {
          timer = setTimeout(run, refreshMs);
        }
      });
    };
    runRef.current = run;
    run();
    // A new session may see different data (or none): read again at once rather than at the next poll.
    const stopFollowingSession = onSessionChanged(run);
    return () => {
      disposed = true;
      stopFollowingSession();
      if (timer) clearTimeout(timer);
      runRef.current = () => {};
    };
  }, [channel, inputKey, refreshMs, enabled]);

  const refetch = useCallback(() => runRef.current(), []);
  return { ...state, refetch };
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
