// What the preload exposes as window.custodian: typed invoke over the one IPC channel and a subscription to
// pushed events. Imports only types (plus the channel names), so the sandboxed preload bundle needs only 'electron'.
import type { IpcRenderer, IpcRendererEvent } from 'electron';
import type { ApiResult } from '../api/errors';
import type { PushMessage } from '../api/events';
import type { ChannelInput, ChannelName, ChannelResult, CustodianBridge } from '../api/index';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './ipc-channels';

export type BridgeIpc = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>;

/**
 * The page never sees ipcRenderer, an event object or a channel of its choosing: only these two functions.
 * Main validates the API channel name and the input again; the checks here just fail early and clearly.
 */
export function createBridge(ipc: BridgeIpc): CustodianBridge {
  const bridge = {
    invoke<K extends ChannelName>(channel: K, input: ChannelInput<K>): Promise<ApiResult<ChannelResult<K>>> {
      if (typeof channel !== 'string') return Promise.reject(new TypeError('custodian.invoke: the channel must be a string'));
      return ipc.invoke(INVOKE_CHANNEL, channel, input) as Promise<ApiResult<ChannelResult<K>>>;
    },
    subscribe(listener: (message: PushMessage) => void): () => void {
      if (typeof listener !== 'function') throw new TypeError('custodian.subscribe: the listener must be a function');
      // The IPC event (sender, ports) stays here; the page gets the message only.
      const onEvent = (_event: IpcRendererEvent, message: PushMessage) => listener(message);
      ipc.on(EVENT_CHANNEL, onEvent);
      return () => {
        ipc.removeListener(EVENT_CHANNEL, onEvent);
      };
    },
  } satisfies CustodianBridge;
  return bridge;
}
