import { afterEach, describe, expect, it } from 'vitest';
import { MainThreadHeartbeat, STALLED_MS, watchMainThread } from './main-thread-watch';

/** Blocks this thread synchronously, as better-sqlite3 does while it waits for a lock. */
function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let heartbeat: MainThreadHeartbeat;
afterEach(() => {
  while (heartbeat?.beating) heartbeat.release();
});

describe('main-thread heartbeat', () => {
  it('beats only while at least one job holds it', () => {
    heartbeat = new MainThreadHeartbeat();
    expect(heartbeat.beating).toBe(false);
    heartbeat.acquire();
    heartbeat.acquire();
    heartbeat.release();
    expect(heartbeat.beating).toBe(true);
    heartbeat.release();
    expect(heartbeat.beating).toBe(false);
    heartbeat.release(); // an extra release does not underflow: the next acquire starts it again
    heartbeat.acquire();
    expect(heartbeat.beating).toBe(true);
  });

  it('reads as stalled while this thread is blocked, and as running again once its loop turns', async () => {
    heartbeat = new MainThreadHeartbeat(5);
    const watch = watchMainThread(heartbeat.acquire());
    await sleep(20);
    expect(watch.stalled()).toBe(false);
    blockFor(STALLED_MS + 30);
    expect(watch.stalled()).toBe(true);
    await sleep(25);
    expect(watch.stalled()).toBe(false);
  });

  it('resumed() waits for the next beat, and gives up after its limit when nothing beats', async () => {
    heartbeat = new MainThreadHeartbeat(5);
    const buffer = heartbeat.acquire();
    const watch = watchMainThread(buffer);
    let t = performance.now();
    await watch.resumed(2000);
    expect(performance.now() - t).toBeLessThan(1000);

    heartbeat.release();
    t = performance.now();
    await watch.resumed(60);
    expect(performance.now() - t).toBeGreaterThanOrEqual(55);
    expect(watch.stalled()).toBe(true);
  });
});
