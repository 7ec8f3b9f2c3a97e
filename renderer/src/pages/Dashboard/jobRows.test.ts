import { describe, expect, it } from 'vitest';
import type { JobProgress } from '../../../../main/api/events';
import type { JobSummary } from '../../../../main/api/system';
import { hasUnknownJobs, jobRows, mergeProgress } from './jobRows';

const summary = (over: Partial<JobSummary> = {}): JobSummary => ({
  id: 'a',
  kind: 'import.csv',
  state: 'running',
  done: 10,
  total: 100,
  startedAt: '2025-01-01T00:00:00Z',
  finishedAt: null,
  error: null,
  ...over,
});
const progress = (over: Partial<JobProgress> = {}): JobProgress => ({
  jobId: 'a',
  kind: 'import.csv',
  state: 'running',
  done: 20,
  total: 100,
  rate: 5,
  etaSeconds: 16,
  errors: 0,
  ...over,
});

describe('mergeProgress', () => {
  it('takes the first message as is', () => expect(mergeProgress(undefined, progress())).toEqual(progress()));
  it('never lowers done', () => expect(mergeProgress(progress({ done: 50 }), progress({ done: 40 })).done).toBe(50));
  it('never leaves a terminal state', () =>
    expect(mergeProgress(progress({ state: 'succeeded' }), progress({ state: 'running' })).state).toBe('succeeded'));
});

describe('jobRows', () => {
  it('uses pushed progress when ahead of the list', () => {
    const [row] = jobRows([summary()], { a: progress() });
    expect(row).toMatchObject({ done: 20, rate: 5, etaSeconds: 16 });
  });
  it('keeps the list when it is ahead of a late push', () => {
    const [row] = jobRows([summary({ done: 100, state: 'succeeded' })], { a: progress({ done: 90 }) });
    expect(row).toMatchObject({ done: 100, state: 'succeeded', rate: null, etaSeconds: null });
  });
  it('leaves jobs without pushes alone', () => {
    const [row] = jobRows([summary()], {});
    expect(row).toMatchObject({ done: 10, rate: null });
  });
  it('notices pushed jobs the list does not have', () => {
    expect(hasUnknownJobs([summary()], { b: progress({ jobId: 'b' }) })).toBe(true);
    expect(hasUnknownJobs([summary()], { a: progress() })).toBe(false);
  });
});
