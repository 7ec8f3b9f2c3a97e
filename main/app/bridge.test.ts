import { describe, expect, it, vi } from 'vitest';
import type { PushMessage } from '../api/events';
import { createBridge, type BridgeIpc } from './bridge';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './ipc-channels';

function fakeIpc() {
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  const ipc = {
    invoke: vi.fn(async (..._args: unknown[]) => ({ ok: true, value: 'v' })),
    on: vi.fn((channel: string, listener: (...args: unknown[]) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(listener);
      return ipc;
    }),
    removeListener: vi.fn((channel: string, listener: (...args: unknown[]) => void) => {
      listeners.get(channel)?.delete(listener);
      return ipc;
    }),
  };
  const emit = (channel: string, ...args: unknown[]) => listeners.get(channel)?.forEach((l) => l(...args));
  return { ipc, bridgeIpc: ipc as unknown as BridgeIpc, emit, count: (channel: string) => listeners.get(channel)?.size ?? 0 };
}

describe('createBridge', () => {
  it('exposes invoke and subscribe only', () => {
    expect(Object.keys(createBridge(fakeIpc().bridgeIpc)).sort()).toEqual(['invoke', 'subscribe']);
  });

  it('sends every call over the one invoke channel with the API channel as an argument', async () => {
    const { ipc, bridgeIpc } = fakeIpc();
    const bridge = createBridge(bridgeIpc);
    await expect(bridge.invoke('system.status', {})).resolves.toEqual({ ok: true, value: 'v' });
    expect(ipc.invoke).toHaveBeenCalledWith(INVOKE_CHANNEL, 'system.status', {});
  });

  it('rejects a channel that is not a string before anything is sent', async () => {
    const { ipc, bridgeIpc } = fakeIpc();
    const bridge = createBridge(bridgeIpc);
    await expect(bridge.invoke(42 as never, {} as never)).rejects.toThrow(TypeError);
    expect(ipc.invoke).not.toHaveBeenCalled();
  });

  it('hands listeners the message only (never the IPC event), and unsubscribes', () => {
    const { bridgeIpc, emit, count } = fakeIpc();
    const bridge = createBridge(bridgeIpc);
    const listener = vi.fn();
    const unsubscribe = bridge.subscribe(listener);
    const message: PushMessage = { event: 'sync.state', payload: { state: 'idle', pending: 0 } };
    emit(EVENT_CHANNEL, { sender: 'ipcRenderer', ports: [] }, message);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener.mock.calls[0]).toEqual([message]);
    expect(count(EVENT_CHANNEL)).toBe(1);
    unsubscribe();
    expect(count(EVENT_CHANNEL)).toBe(0);
    emit(EVENT_CHANNEL, {}, message);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(() => bridge.subscribe('not a function' as never)).toThrow(TypeError);
  });
});
