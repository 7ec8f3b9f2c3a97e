// Signs a tree head soon after audit activity (every `intervalMs` while entries are unsigned), so the sync engine
// anchors one within a minute while online; offline, heads keep being signed and queued, and go out on reconnect.
import type { Logger } from '../runtime/log';
import { sealHeadNow, type SealDeps } from './handlers';

/** 30 s: with the engine's idle poll a head reaches the chain well within 60 s of the activity it covers. */
export const HEAD_INTERVAL_MS = 30_000;

export interface HeadSealerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: HeadSealerTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export function startHeadSealer(
  deps: SealDeps,
  log: Logger,
  options: { intervalMs?: number; timers?: HeadSealerTimers } = {},
): { stop(): void; tick(): Promise<void> } {
  const timers = options.timers ?? realTimers;
  const interval = options.intervalMs ?? HEAD_INTERVAL_MS;
  let handle: unknown = null;
  let stopped = false;
  let lastError = '';
  let running: Promise<void> | null = null;

  async function tick(): Promise<void> {
    try {
      const { head, unsignedReason } = await sealHeadNow(deps);
      if (head) log.info(`audit: signed tree head of ${head.treeSize} entries`);
      const message = unsignedReason ? `audit heads are not signed: ${unsignedReason}` : '';
      if (message && message !== lastError) log.warn(message);
      lastError = message;
    } catch (err) {
      const message = `audit head signing failed: ${err instanceof Error ? err.message : String(err)}`;
      if (message !== lastError) log.error(message);
      lastError = message;
    }
  }
  const schedule = () => {
    if (stopped) return;
    handle = timers.setTimeout(() => {
      running = tick().finally(() => {
        running = null;
        schedule();
      });
    }, interval);
  };
  schedule();
  return {
    stop() {
      stopped = true;
      if (handle !== null) timers.clearTimeout(handle);
    },
    /** One sealing now (and waits for a running one first); the CLI calls it before it exits. */
    async tick() {
      if (running) await running;
      await tick();
    },
  };
}
