// Client-side inactivity lock: after `idleMinutes` without keyboard, pointer or wheel input the console locks
// itself. Main enforces the real lock on its side; this one also covers a window left open on a screen that polls.

/** Input that counts as someone being at the workstation. */
export const ACTIVITY_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'] as const;

export interface IdleClock {
  /** Records input now. */
  touch(at?: number): void;
  /** True once `timeoutMs` has passed since the last input. */
  expired(at?: number): boolean;
  /** Milliseconds left before the lock (0 when due). */
  remaining(at?: number): number;
}

export function createIdleClock(timeoutMs: number, start: number = Date.now()): IdleClock {
  let last = start;
  return {
    touch: (at = Date.now()) => {
      last = Math.max(last, at);
    },
    expired: (at = Date.now()) => at - last >= timeoutMs,
    remaining: (at = Date.now()) => Math.max(0, timeoutMs - (at - last)),
  };
}

/** How often the window checks whether it has been idle long enough (small next to minutes). */
export const IDLE_CHECK_MS = 5_000;

/**
 * Follows input on `target` and calls `onIdle` once when `idleMinutes` pass without any. Returns the function that
 * stops following.
 */
export function watchIdle(target: Window, idleMinutes: number, onIdle: () => void): () => void {
  const clock = createIdleClock(idleMinutes * 60_000);
  let fired = false;
  const touch = (): void => clock.touch();
  const check = (): void => {
    if (fired || !clock.expired()) return;
    fired = true;
    onIdle();
  };
  for (const event of ACTIVITY_EVENTS) target.addEventListener(event, touch, { passive: true, capture: true });
  // A laptop lid closed for an hour: check as soon as the window is shown again, before anyone reads the screen.
  const onVisible = (): void => {
    if (target.document.visibilityState === 'visible') check();
  };
  target.document.addEventListener('visibilitychange', onVisible);
  const timer = target.setInterval(check, IDLE_CHECK_MS);
  return () => {
    for (const event of ACTIVITY_EVENTS) target.removeEventListener(event, touch, { capture: true });
    target.document.removeEventListener('visibilitychange', onVisible);
    target.clearInterval(timer);
  };
}
