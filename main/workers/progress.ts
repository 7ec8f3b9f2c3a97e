// Progress a person can trust: at most one update per interval, never going backwards, with rate and ETA.
// Pure: the job runner feeds it counts and the clock; tests feed it both.

export interface ProgressSnapshot {
  done: number;
  total: number | null;
  errors: number;
  rate: number;
  etaSeconds: number | null;
}

export class ProgressTracker {
  private done = 0;
  private total: number | null = null;
  private errors = 0;
  private lastEmitAt = -Infinity;
  private readonly startedAt: number;

  constructor(
    now: number,
    private readonly intervalMs = 100,
    /** Work already done before this run (a resumed job), excluded from the rate. */
    private readonly baseline = 0,
  ) {
    this.startedAt = now;
    this.done = baseline;
  }

  /** Records an update; returns a snapshot when one should be sent now, else null. */
  update(now: number, done: number, total: number | null, errors: number, force = false): ProgressSnapshot | null {
    this.done = Math.max(this.done, done);
    if (total !== null) this.total = Math.max(total, this.done);
    this.errors = Math.max(this.errors, errors);
    if (!force && now - this.lastEmitAt < this.intervalMs) return null;
    this.lastEmitAt = now;
    return this.snapshot(now);
  }

  snapshot(now: number): ProgressSnapshot {
    const seconds = Math.max((now - this.startedAt) / 1000, 1e-3);
    const rate = (this.done - this.baseline) / seconds;
    const etaSeconds = this.total !== null && rate > 0 ? Math.max(0, (this.total - this.done) / rate) : null;
    return { done: this.done, total: this.total, errors: this.errors, rate, etaSeconds };
  }
}
