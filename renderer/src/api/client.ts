// The renderer's one way to reach main: typed calls and pushed events over the Electron preload bridge
// (window.custodian) when present, else over HTTP to `custodian serve` (browser mode).
import type { ApiResult } from '../../../main/api/errors';
import type { PushEventName, PushEvents, PushMessage } from '../../../main/api/events';
import type { ChannelInput, ChannelName, ChannelResult, CustodianBridge } from '../../../main/api/index';
import { createHttpBridge, type HttpBridge, type PushConnectionState } from './http-bridge';
import { takeSessionToken } from './token';

/** A call that main (or the transport) answered with an error: its code is stable, its message is for people. */
export class ApiCallError extends Error {
  readonly code: string;
  readonly details: unknown;
  readonly channel: ChannelName;
  constructor(channel: ChannelName, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiCallError';
    this.channel = channel;
    this.code = code;
    this.details = details;
  }
}

export type TransportKind = 'electron' | 'http';

interface Transport {
  kind: TransportKind;
  bridge: CustodianBridge;
  http: HttpBridge | null;
  /** Browser mode: the per-launch token, for the file routes (upload, download) beside the API. */
  token: string | null;
}

let transport: Transport | null = null;

function currentTransport(): Transport {
  if (transport) return transport;
  if (window.custodian) {
    transport = { kind: 'electron', bridge: window.custodian, http: null, token: null };
  } else {
    const token = takeSessionToken();
    const http = createHttpBridge({ token, baseUrl: window.location.origin });
    transport = { kind: 'http', bridge: http, http, token };
  }
  return transport;
}

/** Chooses the transport now: in browser mode this also moves the session token out of the address bar. */
export function initTransport(): TransportKind {
  return currentTransport().kind;
}

/** Browser mode's file routes need the same token as the API; null under Electron (files go through dialogs). */
export function fileRouteAuth(): { baseUrl: string; headers: Record<string, string> } | null {
  const t = currentTransport();
  if (t.kind !== 'http') return null;
  return { baseUrl: window.location.origin, headers: t.token ? { Authorization: `Bearer ${t.token}` } : {} };
}

/** Calls one channel; resolves with its result or throws an ApiCallError. */
export async function invoke<K extends ChannelName>(channel: K, input: ChannelInput<K>): Promise<ChannelResult<K>> {
  const epoch = sessionEpoch;
  let result: ApiResult<ChannelResult<K>>;
  try {
    result = await currentTransport().bridge.invoke(channel, input);
  } catch (err) {
    throw new ApiCallError(channel, 'TRANSPORT_FAILED', `The call ${channel} could not be delivered: ${(err as Error).message ?? String(err)}`);
  }
  if (result.ok) return result.value;
  const error = new ApiCallError(channel, result.error.code, result.error.message, result.error.details);
  // A refusal of a call sent under an earlier session (answered after a sign-out and a new sign-in) says nothing
  // about the current one.
  if (SESSION_ERROR_CODES.has(error.code) && !SESSION_CHANNELS.has(channel) && epoch === sessionEpoch) notifySessionProblem(error);
  throw error;
}

// Session problems seen on any call: main ended or locked the staff member's session (idle lock, sign-out elsewhere,
// account disabled). The session provider listens and shows the lock screen; the calls of the sign-in screens
// report their own errors and are left out.
const SESSION_ERROR_CODES: ReadonlySet<string> = new Set(['SESSION_LOCKED', 'NOT_AUTHENTICATED']);
const SESSION_CHANNELS: ReadonlySet<string> = new Set(['auth.status', 'auth.setup', 'auth.login', 'auth.logout']);
const sessionProblemListeners = new Set<(error: ApiCallError) => void>();
let sessionEpoch = 0;
const sessionChangeListeners = new Set<() => void>();

function notifySessionProblem(error: ApiCallError): void {
  for (const listener of [...sessionProblemListeners]) listener(error);
}

/** Hears every SESSION_LOCKED / NOT_AUTHENTICATED answer to an ordinary call; returns the function that stops. */
export function onSessionProblem(listener: (error: ApiCallError) => void): () => void {
  sessionProblemListeners.add(listener);
  return () => sessionProblemListeners.delete(listener);
}

/** Says that who is signed in changed (sign-in, unlock, sign-out): queries read again under the new session. */
export function notifySessionChanged(): void {
  sessionEpoch += 1;
  for (const listener of [...sessionChangeListeners]) listener();
}

export function onSessionChanged(listener: () => void): () => void {
  sessionChangeListeners.add(listener);
  return () => sessionChangeListeners.delete(listener);
}

// Pushed events: one bridge subscription, fanned out to typed listeners per event name.
type AnyListener = (payload: never) => void;
const eventListeners = new Map<PushEventName, Set<AnyListener>>();
let bridgeUnsubscribe: (() => void) | null = null;

function route(message: PushMessage): void {
  const set = eventListeners.get(message.event);
  if (!set) return;
  for (const listener of [...set]) {
    try {
      (listener as (payload: PushMessage['payload']) => void)(message.payload);
    } catch (err) {
      console.error(`Custodian listener for ${message.event} failed`, err);
    }
  }
}

function listenerCount(): number {
  let n = 0;
  for (const set of eventListeners.values()) n += set.size;
  return n;
}

/** Listens to one pushed event; returns the function that stops listening. */
export function subscribe<E extends PushEventName>(event: E, listener: (payload: PushEvents[E]) => void): () => void {
  let set = eventListeners.get(event);
  if (!set) {
    set = new Set();
    eventListeners.set(event, set);
  }
  set.add(listener as AnyListener);
  if (!bridgeUnsubscribe) bridgeUnsubscribe = currentTransport().bridge.subscribe(route);
  return () => {
    set.delete(listener as AnyListener);
    if (listenerCount() === 0 && bridgeUnsubscribe) {
      bridgeUnsubscribe();
      bridgeUnsubscribe = null;
    }
  };
}

/** Follows the push connection (browser mode); under Electron IPC is always 'open'. */
export function onPushConnectionState(listener: (state: PushConnectionState) => void): () => void {
  const { http } = currentTransport();
  if (!http) {
    listener('open');
    return () => {};
  }
  return http.onConnectionState(listener);
}

export type { PushConnectionState };
