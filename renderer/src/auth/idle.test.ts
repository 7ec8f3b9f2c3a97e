import { describe, expect, it } from 'vitest';
import { createIdleClock } from './idle';

describe('idle clock', () => {
  it('expires after the timeout without input, and input starts it again', () => {
    const clock = createIdleClock(15 * 60_000, 0);
    expect(clock.expired(14 * 60_000)).toBe(false);
    expect(clock.remaining(14 * 60_000)).toBe(60_000);
    clock.touch(14 * 60_000);
    expect(clock.expired(20 * 60_000)).toBe(false);
    expect(clock.expired(29 * 60_000)).toBe(true);
    expect(clock.remaining(40 * 60_000)).toBe(0);
  });

  it('never moves backwards when events arrive out of order', () => {
    const clock = createIdleClock(1000, 5000);
    clock.touch(1000);
    expect(clock.expired(6000)).toBe(true);
  });
});
