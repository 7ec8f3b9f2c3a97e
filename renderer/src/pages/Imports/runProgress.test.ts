import { describe, expect, it } from 'vitest';
import type { JobProgress } from '../../../../main/api/events';
import { describeStarter, effectiveState, failureAdvice, mergeLive, splitReason } from './runProgress';

const event = (over: Partial<JobProgress>): JobProgress => ({
  jobId: 'j1',
  kind: 'import.consents',
  state: 'running',
  done: 0,
  total: null,
  rate: 0,
  etaSeconds: null,
  errors: 0,
  ...over,
});

describe('mergeLive', () => {
  it('never lowers done, errors or the percentage, even when the estimated total grows', () => {
    let p = mergeLive(undefined, event({ done: 40_000, total: 100_000, errors: 3 }));
    expect(p.percent).toBe(40);
    p = mergeLive(p, event({ done: 41_000, total: 110_000, errors: 2 }));
    expect(p.percent).toBe(40);
    expect(p.errors).toBe(3);
    p = mergeLive(p, event({ done: 30_000, total: 100_000 }));
    expect(p.done).toBe(41_000);
    expect(p.percent).toBeCloseTo(41);
  });

  it('keeps a finished job finished when a late running event arrives', () => {
    const done = mergeLive(undefined, event({ state: 'succeeded', done: 10, total: 10 }));
    expect(done.percent).toBe(100);
    expect(mergeLive(done, event({ state: 'running', done: 5 })).state).toBe('succeeded');
  });

  it('has no percentage while the total is unknown, and no ETA once finished', () => {
    expect(mergeLive(undefined, event({ done: 5 })).percent).toBeNull();
    expect(mergeLive(undefined, event({ state: 'cancelled', done: 5, etaSeconds: 3 })).etaSeconds).toBeNull();
  });
});

describe('effectiveState', () => {
  it('follows pushed progress while running, but shows an ending only once the run itself records it', () => {
    const live = mergeLive(undefined, event({ state: 'succeeded' }));
    // The run's counts would be from before its last chunks: an e2e caught 40,000 shown for 48,000 committed.
    expect(effectiveState({ state: 'running' }, live)).toBe('running');
    expect(effectiveState({ state: 'succeeded' }, live)).toBe('succeeded');
    expect(effectiveState({ state: 'queued' }, mergeLive(undefined, event({ state: 'running' })))).toBe('running');
    expect(effectiveState({ state: 'cancelled' }, mergeLive(undefined, event({})))).toBe('cancelled');
    expect(effectiveState({ state: 'queued' }, undefined)).toBe('queued');
  });
});

describe('splitReason', () => {
  it('splits one part per column', () => {
    expect(splitReason('purpose: unknown purpose code "TREATMENT" (TREAT, ETREAT); period_start: is not a real date')).toEqual([
      { column: 'purpose', reason: 'unknown purpose code "TREATMENT" (TREAT, ETREAT)' },
      { column: 'period_start', reason: 'is not a real date' },
    ]);
  });
  it('keeps a reason without a column whole', () => {
    expect(splitReason('conflicts with row 4; same key')).toEqual([{ column: null, reason: 'conflicts with row 4; same key' }]);
  });
  it('reads FHIR rule columns', () => {
    expect(splitReason('rule 2 purpose: unknown')).toEqual([{ column: 'rule 2 purpose', reason: 'unknown' }]);
  });
});

describe('describeStarter', () => {
  it('names the signed-in staff member, shortens other ids', () => {
    const id = '0c6f2a43-1b5e-4a5e-9d7e-0f3b0b0b0b0b';
    expect(describeStarter(id, { id, name: 'Mae Manager' })).toBe('Mae Manager (you)');
    expect(describeStarter(id, null)).toBe('staff 0c6f2a43');
    expect(describeStarter('cli', null)).toBe('cli');
  });
});

describe('splitReason (row-level problems)', () => {
  it('reads the (row) pseudo-column', () => {
    expect(splitReason('(row): has 15 columns but the header has 13')).toEqual([{ column: '(row)', reason: 'has 15 columns but the header has 13' }]);
  });
});

describe('failureAdvice', () => {
  it('asks to fix the file only when the file is the problem', () => {
    expect(failureAdvice('IMPORT_CSV_MALFORMED', false)).toMatch(/The file needs fixing/);
    expect(failureAdvice('IMPORT_ENCODING_UNSUPPORTED', true)).toMatch(/^A dry run writes nothing\. The file needs fixing/);
  });

  it('never blames the file for a database or job failure', () => {
    for (const code of ['SQLITE_BUSY', 'JOB_FAILED', null]) {
      const advice = failureAdvice(code, true);
      expect(advice).not.toMatch(/needs fixing/);
      expect(advice).toMatch(/The file is not the problem/);
      expect(advice).toMatch(/Start the same dry run again/);
    }
  });
});
