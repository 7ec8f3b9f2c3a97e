// The sign-in throttle on a fake clock: free attempts, then a doubling delay capped at the maximum, per source and
// typed username; another source is never slowed; a correct sign-in and an IT admin's unlock clear the count.
import { describe, expect, it } from 'vitest';
import { SignInThrottle } from './throttle';

const policy = { freePerAccount: 3, freePerSource: 10, baseDelayMs: 1_000, maxDelayMs: 8_000, forgetAfterMs: 60_000 };

function setup() {
  let t = 1_000_000;
  const throttle = new SignInThrottle(policy, () => t);
  return { throttle, advance: (ms: number) => (t += ms) };
}

describe('SignInThrottle', () => {
  it('allows the free attempts, then doubles the wait up to the cap', () => {
    const { throttle, advance } = setup();
    for (let i = 0; i < 3; i++) {
      expect(throttle.check('browser:127.0.0.1', 'ada')).toEqual({ allowed: true });
      throttle.failed('browser:127.0.0.1', 'ada');
    }
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      throttle.failed('browser:127.0.0.1', 'ada');
      const v = throttle.check('browser:127.0.0.1', 'ada');
      waits.push(v.allowed ? 0 : v.retryAfterSeconds);
      advance(v.allowed ? 0 : v.retryAfterSeconds * 1000);
    }
    expect(waits).toEqual([1, 2, 4, 8, 8, 8]);
  });

  it('slows only the source that failed, and answers any username alike', () => {
    const { throttle } = setup();
    for (let i = 0; i < 8; i++) throttle.failed('browser:127.0.0.1', 'ada');
    expect(throttle.check('browser:127.0.0.1', 'ada').allowed).toBe(false);
    expect(throttle.check('electron:window-1', 'ada')).toEqual({ allowed: true });
    expect(throttle.check('cli:local', 'ada')).toEqual({ allowed: true });
    for (let i = 0; i < 8; i++) throttle.failed('browser:127.0.0.1', 'no-such-user');
    expect(throttle.check('browser:127.0.0.1', 'no-such-user')).toEqual(throttle.check('browser:127.0.0.1', 'ada'));
  });

  it('caps a source over all usernames, and forgets a username once signed in or unlocked', () => {
    const { throttle } = setup();
    for (let i = 0; i < 11; i++) throttle.failed('browser:10.0.0.9', `user${i}`);
    expect(throttle.check('browser:10.0.0.9', 'fresh-name').allowed).toBe(false);
    for (let i = 0; i < 5; i++) throttle.failed('browser:127.0.0.1', 'ada');
    throttle.clearUser('ada');
    expect(throttle.check('browser:127.0.0.1', 'ada')).toEqual({ allowed: true });
  });
});
