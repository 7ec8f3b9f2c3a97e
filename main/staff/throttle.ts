// Sign-in throttling by source and typed username, with a progressive delay: the replacement for an account
// lockout that any anonymous caller could trigger for everyone. Keyed by what was typed (never by whether the
// account exists), so a known and an unknown username are throttled alike. In memory: a restart forgets it.
import crypto from 'node:crypto';

export interface ThrottlePolicy {
  /** Failed attempts allowed per source and username before a delay applies. */
  freePerAccount: number;
  /** Failed attempts allowed per source, over all usernames, before a delay applies. */
  freePerSource: number;
  /** The first delay; each further failure doubles it, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Entries idle this long are forgotten. */
  forgetAfterMs: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = { freePerAccount: 4, freePerSource: 30, baseDelayMs: 1_000, maxDelayMs: 5 * 60_000, forgetAfterMs: 60 * 60_000 };

interface Entry {
  failures: number;
  lastAt: number;
  notBefore: number;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class SignInThrottle {
  private readonly entries = new Map<string, Entry>();
  // Keys hold a keyed hash of the typed username, never the text (a password typed there is not kept).
  private readonly key = crypto.randomBytes(32);

  constructor(
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  private keysOf(source: string, username: string): [string, string] {
    const user = crypto.createHmac('sha256', this.key).update(username.normalize('NFC').toLowerCase()).digest('base64url');
    return [`a|${source}|${user}`, `s|${source}`];
  }

  /** Whether an attempt from `source` for `username` may be checked now. */
  check(source: string, username: string): ThrottleVerdict {
    const t = this.now();
    const waits = this.keysOf(source, username).map((k) => this.entries.get(k)?.notBefore ?? 0);
    const until = Math.max(...waits);
    return until > t ? { allowed: false, retryAfterSeconds: Math.ceil((until - t) / 1000) } : { allowed: true };
  }

  failed(source: string, username: string): void {
    const t = this.now();
    this.sweep(t);
    const [account, whole] = this.keysOf(source, username);
    this.bump(account, this.policy.freePerAccount, t);
    this.bump(whole, this.policy.freePerSource, t);
  }

  /** A correct sign-in clears its source's count for that username (not the source's overall count). */
  succeeded(source: string, username: string): void {
    this.entries.delete(this.keysOf(source, username)[0]);
  }

  /** Forgets every source's count for a username (an IT admin's unlock). */
  clearUser(username: string): void {
    const user = this.keysOf('', username)[0].split('|')[2];
    for (const k of this.entries.keys()) if (k.startsWith('a|') && k.endsWith(`|${user}`)) this.entries.delete(k);
  }

  private bump(key: string, free: number, t: number): void {
    const e = this.entries.get(key) ?? { failures: 0, lastAt: t, notBefore: 0 };
    e.failures += 1;
    e.lastAt = t;
    const over = e.failures - free;
    e.notBefore = over > 0 ? t + Math.min(this.policy.baseDelayMs * 2 ** (over - 1), this.policy.maxDelayMs) : 0;
    this.entries.set(key, e);
  }

  private sweep(t: number): void {
    if (this.entries.size < 10_000) return;
    for (const [k, e] of this.entries) if (t - e.lastAt > this.policy.forgetAfterMs) this.entries.delete(k);
  }
}
