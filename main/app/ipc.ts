// Main's side of the IPC bridge: one invoke handler that hands every call to the shared dispatcher (channel
// known -> session -> permission -> zod -> handler), and the forwarding of pushed events to the app's own windows.
import type { IpcMain, WebContents, WebFrameMain } from 'electron';
import type { ApiResult } from '../api/errors';
import { memorySession, type Dispatch, type SessionHolder } from '../runtime/dispatcher';
import type { EventBus } from '../runtime/event-bus';
import type { Logger } from '../runtime/log';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './ipc-channels';
import { isAppUrl } from './url-policy';

export type SenderFrame = Pick<WebFrameMain, 'url'> & { readonly parent: unknown };

/** Only the app's own top-level document may call the API: not a subframe, not a page that got navigated elsewhere. */
export function isTrustedSender(frame: SenderFrame | null | undefined): boolean {
  return frame != null && frame.parent === null && isAppUrl(frame.url);
}

const UNTRUSTED_SENDER: ApiResult<never> = {
  ok: false,
  error: { code: 'FORBIDDEN_SENDER', message: 'Only the Custodian console page may call its API.' },
};

export type SessionOwner = Pick<WebContents, 'id' | 'once'>;

/**
 * The staff session of each window, kept here in main by webContents id: the renderer never holds the token.
 * It lives as long as the window's webContents (a reload keeps it, like browser mode's cookie); the database
 * ends an abandoned session after its idle timeout.
 */
export class WindowSessions {
  private readonly holders = new Map<number, SessionHolder>();

  holderFor(owner: SessionOwner): SessionHolder {
    let holder = this.holders.get(owner.id);
    if (!holder) {
      holder = memorySession();
      this.holders.set(owner.id, holder);
      owner.once('destroyed', () => this.holders.delete(owner.id));
    }
    return holder;
  }

  get size(): number {
    return this.holders.size;
  }
}

export interface InvokeEvent {
  senderFrame: SenderFrame | null;
  sender: SessionOwner;
}

export type InvokeHandler = (event: InvokeEvent, channel: unknown, input: unknown) => Promise<ApiResult<unknown>>;

export function createInvokeHandler(dispatch: Dispatch, sessions: WindowSessions, log?: Logger): InvokeHandler {
  return async (event, channel, input) => {
    if (!isTrustedSender(event.senderFrame)) {
      log?.warn('refused an API call from a frame outside the app origin');
      return UNTRUSTED_SENDER;
    }
    if (typeof channel !== 'string') {
      return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: 'The API channel name must be a string.' } };
    }
    try {
      // Who is calling is the window's signed-in staff member (or nobody yet): never a fixed principal.
      return await dispatch(channel, input, { transport: 'electron', session: sessions.holderFor(event.sender), source: `window-${event.sender.id}` });
    } catch (err) {
      // The dispatcher already turns handler errors into values; this is the last line, so no stack reaches the page.
      log?.error(`IPC call ${channel.slice(0, 80)} failed: ${err instanceof Error ? err.message : String(err)}`);
      return { ok: false, error: { code: 'INTERNAL', message: 'The call failed unexpectedly; see the main process log.' } };
    }
  };
}

/** Registers the one invoke channel; returns its removal. */
export function registerApiHandler(ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>, dispatch: Dispatch, log?: Logger): () => void {
  const handler = createInvokeHandler(dispatch, new WindowSessions(), log);
  ipcMain.handle(INVOKE_CHANNEL, (event, channel: unknown, input: unknown) => handler(event, channel, input));
  return () => ipcMain.removeHandler(INVOKE_CHANNEL);
}

export type PushTarget = Pick<WebContents, 'isDestroyed' | 'getURL' | 'send'>;

/** Sends every pushed event to the live windows that still show the app; returns the unsubscribe. */
export function forwardPushEvents(events: Pick<EventBus, 'subscribe'>, targets: () => Iterable<PushTarget>): () => void {
  return events.subscribe((message) => {
    for (const contents of targets()) {
      if (contents.isDestroyed() || !isAppUrl(contents.getURL())) continue;
      contents.send(EVENT_CHANNEL, message);
    }
  });
}
