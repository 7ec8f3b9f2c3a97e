// The heartbeat on a fake clock: "blocked" is the clock moving while this thread's timers cannot run, which is
// what a synchronous lock wait does to the main thread. Nothing here depends on how fast the machine is.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MainThreadHeartbeat, STALLED_MS, watchMainThread } from './main-thread-watch';

let heartbeat: MainThreadHeartbeat;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
});
afterEach(() => {
  while (heartbeat?.beating) heartbeat.release();
  vi.useRealTimers();
});

/** The clock moves on and no timer of this thread runs: a synchronous wait (better-sqlite3 waiting for a lock). */
function blockFor(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}

/** Whether a promise has settled once pending microtasks ran. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
}

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

  it('reads as stalled while this thread is blocked, and as running again once its loop turns', () => {
    heartbeat = new MainThreadHeartbeat(5);
    const watch = watchMainThread(heartbeat.acquire());
    vi.advanceTimersByTime(STALLED_MS * 3);
    expect(watch.stalled()).toBe(false);
    blockFor(STALLED_MS - 1);
    expect(watch.stalled()).toBe(false);
    blockFor(31);
    expect(watch.stalled()).toBe(true);
    vi.advanceTimersByTime(5);
    expect(watch.stalled()).toBe(false);
  });

  it('resumed() waits for the next beat, and gives up after its limit when nothing beats', async () => {
    heartbeat = new MainThreadHeartbeat(5);
    const watch = watchMainThread(heartbeat.acquire());
    // A limit no test run reaches on the real clock (Atomics.waitAsync keeps real time): only a beat ends the wait.
    const LONG = 600_000;
    const waiting = watch.resumed(LONG);
    expect(await settled(waiting)).toBe(false);
    vi.advanceTimersByTime(5);
    await waiting;

    heartbeat.release();
    const givingUp = watch.resumed(LONG);
    vi.advanceTimersByTime(LONG - 1);
    expect(await settled(givingUp)).toBe(false);
    vi.advanceTimersByTime(1);
    await givingUp;
    expect(watch.stalled()).toBe(true);
  });
});
