// Browser mode's implementation of CustodianBridge: POST /api/invoke/<channel> for calls and a long-lived
// GET /api/events stream (fetch + ReadableStream, since EventSource cannot send the Authorization header).
import type { ApiErrorShape, ApiResult } from '../../../main/api/errors';
import { isApiErrorShape } from '../../../main/api/errors';
import type { PushMessage } from '../../../main/api/events';
import type { ChannelInput, ChannelName, ChannelResult, CustodianBridge } from '../../../main/api/index';
import { SseParser } from './sse';

export type PushConnectionState = 'idle' | 'connecting' | 'open' | 'retrying';

export interface HttpBridge extends CustodianBridge {
  /** Follows the push stream's connection, e.g. to refresh data after a reconnect. */
  onConnectionState(listener: (state: PushConnectionState) => void): () => void;
}

export interface HttpBridgeOptions {
  token: string | null;
  /** Origin of the Custodian service; the page's own origin in browser mode. */
  baseUrl: string;
  requestTimeoutMs?: number;
  fetchImpl?: typeof fetch;
}

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 15_000;
/** A connection that stayed up this long counts as healthy: the next drop retries from the minimum delay. */
const HEALTHY_CONNECTION_MS = 10_000;

function failure(code: string, message: string, details?: unknown): { ok: false; error: ApiErrorShape } {
  return { ok: false, error: details === undefined ? { code, message } : { code, message, details } };
}

function isApiResult(value: unknown): value is ApiResult<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { ok?: unknown; error?: unknown };
  return v.ok === true ? 'value' in v : v.ok === false && isApiErrorShape(v.error);
}

function isPushMessage(value: unknown): value is PushMessage {
  return typeof value === 'object' && value !== null && typeof (value as PushMessage).event === 'string' && 'payload' in value;
}

export function createHttpBridge(options: HttpBridgeOptions): HttpBridge {
  const fetchImpl = options.fetchImpl ?? globalThis.fetch.bind(globalThis);
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const headers = (extra: Record<string, string>): Record<string, string> =>
    options.token ? { ...extra, Authorization: `Bearer ${options.token}` } : extra;

  async function invoke<K extends ChannelName>(channel: K, input: ChannelInput<K>): Promise<ApiResult<ChannelResult<K>>> {
    let response: Response;
    try {
      response = await fetchImpl(`${options.baseUrl}/api/invoke/${encodeURIComponent(channel)}`, {
        method: 'POST',
        headers: headers({ 'Content-Type': 'application/json', Accept: 'application/json' }),
        body: JSON.stringify(input ?? {}),
        cache: 'no-store',
        // The staff session rides in an HttpOnly cookie set by this same origin (scoped to /api): send and keep it.
        credentials: 'same-origin',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
      return timedOut
        ? failure('TIMEOUT', `The Custodian service did not answer ${channel} within ${Math.round(timeoutMs / 1000)} s.`)
        : failure('SERVICE_UNREACHABLE', `Cannot reach the Custodian service (${(err as Error).message}). Is \`custodian serve\` still running?`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      return failure(`HTTP_${response.status}`, `The Custodian service answered ${channel} with HTTP ${response.status} and no readable result.`);
    }
    if (isApiResult(body)) return body as ApiResult<ChannelResult<K>>;
    return failure('BAD_RESPONSE', `The Custodian service answered ${channel} with an unexpected body (HTTP ${response.status}).`);
  }

  // One shared push stream, opened while at least one listener is subscribed.
  const listeners = new Set<(message: PushMessage) => void>();
  const stateListeners = new Set<(state: PushConnectionState) => void>();
  let state: PushConnectionState = 'idle';
  let controller: AbortController | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let attempt = 0;

  function setState(next: PushConnectionState): void {
    if (next === state) return;
    state = next;
    for (const l of [...stateListeners]) l(next);
  }

  function dispatch(data: string): void {
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      console.warn('Custodian push stream: ignored a message that is not JSON');
      return;
    }
    if (!isPushMessage(message)) return;
    for (const l of [...listeners]) {
      try {
        l(message);
      } catch (err) {
        console.error('Custodian push listener failed', err);
      }
    }
  }

  async function connect(): Promise<void> {
    const ctrl = new AbortController();
    controller = ctrl;
    setState(attempt === 0 ? 'connecting' : 'retrying');
    let openedAt: number | null = null;
    try {
      const response = await fetchImpl(`${options.baseUrl}/api/events`, {
        headers: headers({ Accept: 'text/event-stream' }),
        cache: 'no-store',
        credentials: 'omit',
        signal: ctrl.signal,
      });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      openedAt = Date.now();
      setState('open');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = new SseParser();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const data of parser.push(value)) dispatch(data);
      }
    } catch {
      // Dropped, refused or aborted: decided below.
    }
    if (ctrl.signal.aborted || controller !== ctrl) return;
    if (openedAt !== null && Date.now() - openedAt >= HEALTHY_CONNECTION_MS) attempt = 0;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** attempt);
    attempt += 1;
    setState('retrying');
    // Jitter, so several windows do not reconnect in lockstep after a restart.
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void connect();
    }, delay * (0.75 + Math.random() * 0.5));
  }

  function disconnect(): void {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    controller?.abort();
    controller = null;
    attempt = 0;
    setState('idle');
  }

  return {
    invoke,
    subscribe(listener) {
      listeners.add(listener);
      if (listeners.size === 1) void connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) disconnect();
      };
    },
    onConnectionState(listener) {
      stateListeners.add(listener);
      listener(state);
      return () => stateListeners.delete(listener);
    },
  };
}
