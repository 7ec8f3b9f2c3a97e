import { describe, expect, it, vi } from 'vitest';
import type { PushMessage } from '../api/events';
import { createDispatcher, type ApiHandlers, type Dispatch } from '../runtime/dispatcher';
import { EventBus } from '../runtime/event-bus';
import { silentLogger } from '../runtime/log';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './ipc-channels';
import { createInvokeHandler, forwardPushEvents, isTrustedSender, registerApiHandler, WindowSessions, type InvokeEvent, type PushTarget } from './ipc';

const appFrame = { url: 'app://custodian/index.html#/dashboard', parent: null };

describe('isTrustedSender', () => {
  it.each([
    [appFrame, true],
    [{ url: 'app://custodian/', parent: null }, true],
    [{ url: 'app://custodian/index.html', parent: {} }, false],
    [{ url: 'https://evil.example/', parent: null }, false],
    [{ url: 'file:///tmp/x.html', parent: null }, false],
    [{ url: 'about:blank', parent: null }, false],
    [{ url: '', parent: null }, false],
    [null, false],
    [undefined, false],
  ])('%o -> %s', (frame, expected) => {
    expect(isTrustedSender(frame)).toBe(expected);
  });
});

function fakeSender(id: number) {
  let onDestroyed: (() => void) | null = null;
  return {
    sender: { id, once: (_event: string, fn: () => void) => (onDestroyed = fn) } as unknown as InvokeEvent['sender'],
    destroy: () => onDestroyed?.(),
  };
}

describe('createInvokeHandler', () => {
  const ok: Dispatch = vi.fn(async (channel) => ({ ok: true as const, value: { channel } }));
  const fromApp = (id = 1) => ({ senderFrame: appFrame, sender: fakeSender(id).sender });

  it('dispatches over the electron transport with the window’s session, never a fixed principal', async () => {
    const dispatch = vi.fn<Dispatch>(async () => ({ ok: true, value: 1 }));
    const result = await createInvokeHandler(dispatch, new WindowSessions())(fromApp(), 'system.status', { a: 1 });
    expect(result).toEqual({ ok: true, value: 1 });
    const [channel, input, caller] = dispatch.mock.calls[0]!;
    expect([channel, input]).toEqual(['system.status', { a: 1 }]);
    expect(caller.transport).toBe('electron');
    expect(caller).not.toHaveProperty('principal');
    expect(caller.session?.get()).toBeUndefined();
  });

  it('keeps one session per window: a sign-in in one window does not sign in another', async () => {
    // A stand-in for auth.login: it stores a token in the caller's session; other calls report what they hold.
    const dispatch: Dispatch = async (channel, _input, caller) => {
      if (channel === 'auth.login') caller.session!.set(`token-${Math.random()}`);
      return { ok: true, value: caller.session!.get() ?? null };
    };
    const sessions = new WindowSessions();
    const invoke = createInvokeHandler(dispatch, sessions);
    const one = fakeSender(1);
    const two = fakeSender(2);
    const signedIn = await invoke({ senderFrame: appFrame, sender: one.sender }, 'auth.login', {});
    expect(await invoke({ senderFrame: appFrame, sender: one.sender }, 'auth.status', {})).toEqual(signedIn);
    expect(await invoke({ senderFrame: appFrame, sender: two.sender }, 'auth.status', {})).toEqual({ ok: true, value: null });
    expect(sessions.size).toBe(2);
    one.destroy();
    expect(sessions.size).toBe(1);
    const reopened = fakeSender(1);
    expect(await invoke({ senderFrame: appFrame, sender: reopened.sender }, 'auth.status', {})).toEqual({ ok: true, value: null });
  });

  it.each([
    { url: 'https://evil.example/', parent: null },
    { url: 'app://custodian/index.html', parent: { url: 'app://custodian/' } },
    null,
  ])('refuses a call from %o without dispatching', async (frame) => {
    const dispatch = vi.fn(ok);
    const result = await createInvokeHandler(dispatch, new WindowSessions())({ senderFrame: frame, sender: fakeSender(1).sender }, 'system.status', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_SENDER' } });
    expect(dispatch).not.toHaveBeenCalled();
  });

  it('refuses a channel name that is not a string', async () => {
    const dispatch = vi.fn(ok);
    for (const channel of [undefined, 42, { toString: () => 'system.status' }, ['system.status']]) {
      expect(await createInvokeHandler(dispatch, new WindowSessions())(fromApp(), channel, {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    }
    expect(dispatch).not.toHaveBeenCalled();
  });

  it('never lets a stack trace reach the page', async () => {
    const error = vi.fn();
    const dispatch: Dispatch = async () => {
      throw new Error('boom at /home/x/main/secret.ts:12');
    };
    const result = await createInvokeHandler(dispatch, new WindowSessions(), { ...silentLogger, error })(fromApp(), 'system.status', {});
    expect(result).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'The call failed unexpectedly; see the main process log.' } });
    expect(JSON.stringify(result)).not.toMatch(/secret\.ts|at /);
    expect(error).toHaveBeenCalled();
  });

  it('goes through the real dispatcher: unknown channels and sign-in are checked in main', async () => {
    const dispatch = createDispatcher({} as ApiHandlers, silentLogger);
    const invoke = createInvokeHandler(dispatch, new WindowSessions());
    expect(await invoke(fromApp(), 'ipcRenderer.send', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    expect(await invoke(fromApp(), 'staff.list', {})).toMatchObject({ ok: false, error: { code: 'NOT_AUTHENTICATED' } });
  });
});

describe('registerApiHandler', () => {
  it('registers exactly one invoke channel and can remove it', async () => {
    const handle = vi.fn();
    const removeHandler = vi.fn();
    const remove = registerApiHandler({ handle, removeHandler } as never, async () => ({ ok: true, value: 'pong' }));
    expect(handle).toHaveBeenCalledTimes(1);
    expect(handle.mock.calls[0]![0]).toBe(INVOKE_CHANNEL);
    const listener = handle.mock.calls[0]![1] as (event: unknown, ...args: unknown[]) => Promise<unknown>;
    expect(await listener({ senderFrame: appFrame, sender: fakeSender(7).sender }, 'system.status', {})).toEqual({ ok: true, value: 'pong' });
    remove();
    expect(removeHandler).toHaveBeenCalledWith(INVOKE_CHANNEL);
  });
});

describe('forwardPushEvents', () => {
  const target = (url: string, destroyed = false) => {
    const send = vi.fn();
    return { send, contents: { isDestroyed: () => destroyed, getURL: () => url, send } as unknown as PushTarget };
  };

  it('sends each event to live windows showing the app, and stops on unsubscribe', () => {
    const bus = new EventBus();
    const live = target('app://custodian/index.html');
    const gone = target('app://custodian/index.html', true);
    const elsewhere = target('https://evil.example/');
    const unsubscribe = forwardPushEvents(bus, () => [live.contents, gone.contents, elsewhere.contents]);
    const payload = { state: 'idle', pending: 0 } as const;
    bus.emit('sync.state', payload);
    expect(live.send).toHaveBeenCalledWith(EVENT_CHANNEL, { event: 'sync.state', payload } satisfies PushMessage);
    expect(gone.send).not.toHaveBeenCalled();
    expect(elsewhere.send).not.toHaveBeenCalled();
    unsubscribe();
    bus.emit('sync.state', payload);
    expect(live.send).toHaveBeenCalledTimes(1);
    expect(bus.size).toBe(0);
  });
});
