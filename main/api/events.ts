// Every event main pushes to the renderer, by name, with its payload. Sent over IPC under Electron and
// over the push stream in browser mode.
import type { ChainStatus, JobState } from './system';

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

export type SyncState =
  | { state: 'idle'; pending: number }
  | { state: 'queued'; pending: number }
  | { state: 'sending'; batchId: string; events: number }
  | { state: 'sent'; batchId: string; txHash: string }
  | { state: 'confirmed'; batchId: string; txHash: string; blockNumber: number }
  | { state: 'failed'; batchId: string | null; reason: 'offline' | 'revert' | 'funds' | 'nonce' | 'chain-id' | 'rpc'; message: string }
  | { state: 'paused'; pending: number };

export interface PushEvents {
  'job.progress': JobProgress;
  'sync.state': SyncState;
  'chain.connection': ChainStatus;
}

export type PushEventName = keyof PushEvents;
export type PushMessage = { [K in PushEventName]: { event: K; payload: PushEvents[K] } }[PushEventName];
export const PUSH_EVENT_NAMES: readonly PushEventName[] = ['job.progress', 'sync.state', 'chain.connection'];
