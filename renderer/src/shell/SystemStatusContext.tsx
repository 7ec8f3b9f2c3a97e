// One poll of system.status for the whole window (every 2 s, and at once on a chain.connection push or a
// reconnect of the push stream), shared by the status bar, the dashboard, the Sync page and settings. The pushed
// connection health replaces the polled one until a newer poll: every display reads it from here.
import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactElement, type ReactNode } from 'react';
import type { ChainStatus, ConnectionHealth, SystemStatus } from '../../../main/api/system';
import type { ApiCallError } from '../api/client';
import { useApiQuery, usePushConnectionState, usePushEvent } from '../api/hooks';

export const STATUS_REFRESH_MS = 2000;

export interface SystemStatusValue {
  status: SystemStatus | undefined;
  error: ApiCallError | null;
  loading: boolean;
  updatedAt: number | null;
  refetch: () => void;
}

const SystemStatusContext = createContext<SystemStatusValue | null>(null);

export function SystemStatusProvider({ children }: { children: ReactNode }): ReactElement {
  const query = useApiQuery('system.status', {}, { refreshMs: STATUS_REFRESH_MS });
  const { refetch } = query;
  // A pushed chain state is shown at once, until a newer poll replaces it.
  const [pushedChain, setPushedChain] = useState<{ chain: ChainStatus; at: number } | null>(null);
  usePushEvent('chain.connection', (chain) => {
    setPushedChain({ chain, at: Date.now() });
    refetch();
  });

  const [pushedHealth, setPushedHealth] = useState<{ health: ConnectionHealth; at: number } | null>(null);
  usePushEvent('connection.health', (health) => setPushedHealth({ health, at: Date.now() }));

  const pushState = usePushConnectionState();
  const previous = useRef(pushState);
  useEffect(() => {
    if (pushState === 'open' && previous.current === 'retrying') refetch();
    previous.current = pushState;
  }, [pushState, refetch]);

  const value = useMemo<SystemStatusValue>(() => {
    let status = query.data;
    if (status && pushedChain && (query.updatedAt === null || pushedChain.at > query.updatedAt)) {
      status = { ...status, chain: pushedChain.chain };
    }
    if (status && pushedHealth && (query.updatedAt === null || pushedHealth.at > query.updatedAt)) {
      status = { ...status, health: pushedHealth.health };
    }
    return { status, error: query.error, loading: query.loading, updatedAt: query.updatedAt, refetch };
  }, [query.data, query.error, query.loading, query.updatedAt, pushedChain, pushedHealth, refetch]);

  return <SystemStatusContext.Provider value={value}>{children}</SystemStatusContext.Provider>;
}

export function useSystemStatus(): SystemStatusValue {
  const value = useContext(SystemStatusContext);
  if (!value) throw new Error('useSystemStatus must be used inside <SystemStatusProvider>');
  return value;
}
