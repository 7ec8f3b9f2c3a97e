import { describe, expect, it } from 'vitest';
import { ProgressTracker } from './progress';

describe('ProgressTracker', () => {
  it('sends at most one update per interval unless forced', () => {
    const p = new ProgressTracker(0, 100);
    expect(p.update(0, 1, 10, 0)).not.toBeNull();
    expect(p.update(50, 2, 10, 0)).toBeNull();
    expect(p.update(99, 3, 10, 0)).toBeNull();
    expect(p.update(100, 4, 10, 0)?.done).toBe(4);
    expect(p.update(101, 5, 10, 0, true)?.done).toBe(5);
  });

  it('never lets done or errors go backwards; a revised total only moves the bar forward', () => {
    const p = new ProgressTracker(0, 0);
    p.update(10, 50, 100, 3);
    const s = p.update(20, 40, 80, 1)!;
    expect(s).toMatchObject({ done: 50, total: 80, errors: 3 });
  });

  it('keeps total at least done when the estimate was low', () => {
    const p = new ProgressTracker(0, 0);
    expect(p.update(10, 120, 100, 0)!.total).toBe(120);
  });

  it('computes rate and ETA from the work done in this run only', () => {
    const p = new ProgressTracker(0, 0, 1000);
    const s = p.update(2000, 1200, 2000, 0)!;
    expect(s.rate).toBeCloseTo(100);
    expect(s.etaSeconds).toBeCloseTo(8);
  });

  it('has no ETA without a total or before any progress', () => {
    expect(new ProgressTracker(0, 0).update(10, 0, 100, 0)!.etaSeconds).toBeNull();
    expect(new ProgressTracker(0, 0).update(20, 5, null, 0)!.etaSeconds).toBeNull();
  });
});
