// A heartbeat from the main thread to job workers, so a worker that holds SQLite's write lock can tell when the
// main thread is waiting for it. better-sqlite3 waits for a lock synchronously: while the main thread waits, its
// event loop cannot run and its beat stops. The worker then commits at once and waits for the next beat (the
// main thread got the lock, wrote and is back in its loop) instead of pausing blindly after every chunk.

/** How often the main thread beats while jobs run. */
export const HEARTBEAT_MS = 10;
/** No beat for this long: the main thread is blocked (waiting for the lock, or busy with other work). */
export const STALLED_MS = 40;

/** The main thread's side: one shared clock cell, stamped every HEARTBEAT_MS while at least one job runs. */
export class MainThreadHeartbeat {
  readonly buffer = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
  private readonly cell = new BigInt64Array(this.buffer);
  private timer: NodeJS.Timeout | null = null;
  private users = 0;

  constructor(private readonly intervalMs = HEARTBEAT_MS) {}

  private beat(): void {
    Atomics.store(this.cell, 0, BigInt(Date.now()));
    Atomics.notify(this.cell, 0);
  }

  /** Starts beating (if not already) for one more job; pair with release(). */
  acquire(): SharedArrayBuffer {
    if (this.users++ === 0) {
      this.beat();
      this.timer = setInterval(() => this.beat(), this.intervalMs);
      this.timer.unref();
    }
    return this.buffer;
  }

  release(): void {
    if (this.users > 0 && --this.users === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  get beating(): boolean {
    return this.timer !== null;
  }
}

/** The worker's side. */
export interface MainThreadWatch {
  /** The main thread has not beaten for STALLED_MS: it is blocked, most likely waiting for the write lock. */
  stalled(): boolean;
  /** Resolves at the main thread's next beat (it got through), or after maxMs. */
  resumed(maxMs: number): Promise<void>;
}

/** Atomics.waitAsync (Node >= 16; in TypeScript's lib only from ES2024, which the rest of the code does not target). */
type WaitAsync = (cell: BigInt64Array, index: number, value: bigint, timeoutMs: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export function watchMainThread(buffer: SharedArrayBuffer, stalledMs = STALLED_MS): MainThreadWatch {
  const cell = new BigInt64Array(buffer);
  return {
    stalled: () => Date.now() - Number(Atomics.load(cell, 0)) >= stalledMs,
    async resumed(maxMs: number): Promise<void> {
      const wait = waitAsync(cell, 0, Atomics.load(cell, 0), maxMs);
      if (!wait.async) return;
      // A pending waitAsync does not keep a thread's event loop alive (a job worker with nothing else to do would
      // exit mid-import): a timer for the same limit does.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([wait.value, new Promise((resolve) => (timer = setTimeout(resolve, maxMs)))]);
      clearTimeout(timer);
    },
  };
}
