// Test fixture: a ChainClock whose timers fire only when the test advances time, so every chain time limit is
// driven by the test (no wall-clock threshold anywhere), and a wait on pending I/O that is event-driven.
import type { ChainClock } from './deadline';

export class FakeClock implements ChainClock {
  private t: number;
  private timers: { at: number; fn: () => void }[] = [];
  constructor(start = Date.parse('2030-03-04T10:00:00.000Z')) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return timer;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }
  /** Whether a timer is due `ms` from now (a call under a time limit is waiting). */
  hasTimerAt(ms: number): boolean {
    return this.timers.some((t) => t.at === this.t + ms);
  }
  advance(ms: number): void {
    this.t += ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= this.t).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.timers = this.timers.filter((t) => t !== due);
      due.fn();
    }
  }
}

/** Lets pending I/O callbacks run until `ready()` holds (event-driven: it waits on the loop, not on a clock). */
export async function until(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !ready(); i++) await new Promise((r) => setImmediate(r));
  if (!ready()) throw new Error('condition never held');
}
