import { describe, expect, it } from 'vitest';
import type { JobProgress } from '../../../../main/api/events';
import type { JobSummary } from '../../../../main/api/system';
import { hasUnknownJobs, jobErrorText, jobRows, mergeProgress, progressUnitWord } from './jobRows';

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

describe('jobErrorText', () => {
  it.each([
    [{ code: 'JOB_FAILED', message: 'database is locked' }, /^The database was busy with another task and the job stopped\. .*run it again\.$/],
    [{ code: 'SQLITE_BUSY', message: 'busy' }, /^The database was busy/],
    [{ code: 'JOB_FAILED', message: 'The job worker stopped without a result' }, /^The job stopped unexpectedly/],
    [{ code: 'JOB_INTERRUPTED', message: 'The app stopped while this job ran' }, /^The app stopped while this job ran\. It can be resumed/],
    [{ code: 'IMPORT_HEADER_MISSING', message: 'column mrn is missing' }, /^column mrn is missing$/],
    [{ code: 'JOB_FAILED', message: '  ' }, /^The job failed without a reason\.$/],
  ])('%o', (error, text) => {
    const view = jobErrorText(error);
    expect(view.code).toBe(error.code);
    expect(view.text).toMatch(text);
    expect(view.text).not.toMatch(/JOB_FAILED/);
  });
});

describe('progressUnitWord', () => {
  it('names what each declared kind counts, and falls back to items for an unknown kind', () => {
    expect(progressUnitWord('import.consents', 2)).toBe('rows');
    expect(progressUnitWord('credentials.verifyAll', 1)).toBe('credential');
    expect(progressUnitWord('db.backup', 3)).toBe('pages');
    expect(progressUnitWord('from.a.newer.version', 3)).toBe('items');
  });
});
