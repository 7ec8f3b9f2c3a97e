// In-process bus for the events main pushes to the renderer (job progress, sync state, chain connection).
// The Electron shell forwards it over IPC; browser mode forwards it over the push stream.
import type { PushEventName, PushEvents, PushMessage } from '../api/events';

export type PushListener = (message: PushMessage) => void;

export class EventBus {
  private readonly listeners = new Set<PushListener>();

  emit<K extends PushEventName>(event: K, payload: PushEvents[K]): void {
    const message = { event, payload } as PushMessage;
    for (const listener of [...this.listeners]) {
      try {
        listener(message);
      } catch {
        // A failing subscriber (a closed window, a dropped stream) must not stop the others.
      }
    }
  }

  subscribe(listener: PushListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }
}
