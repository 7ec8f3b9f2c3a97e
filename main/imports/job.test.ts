// The import job in a real worker thread beside this (main) thread: when a write here waits for the import's write
// lock, the worker sees the main thread's heartbeat stall, commits at its next batch and lets the write through.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateConsentsCsv } from '../../scripts/generate-consents';
import { testData, type TestData } from '../consents/test-support';
import { EventBus } from '../runtime/event-bus';
import { silentLogger } from '../runtime/log';
import { JobRunner } from '../workers/job-runner';
import type { ImportSummary } from './pipeline';
import { newRun } from './test-support';

let t: TestData;
beforeEach(() => {
  t = testData('custodian-import-job-');
});
afterEach(() => t.cleanup());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('import.consents job', () => {
  it('yields the write lock to the main thread when a write there waits for it', async () => {
    const file = path.join(t.dir, 'big.csv');
    generateConsentsCsv(file, { rows: 60_000, seed: 5 });
    const runId = newRun(t, file);
    const jobs = new JobRunner({ db: t.db, dbPath: t.dbPath, events: new EventBus(), log: silentLogger });
    const job = jobs.start('import.consents', { runId });
    const writes = t.db.prepare(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
    let written = 0;
    // Writes from this thread while the import runs; each one blocks this thread until the worker lets it through.
    while (jobs.get(job.id).state === 'running' && written < 40) {
      writes.run('test.main-thread-write', String(written++));
      await sleep(30);
    }
    const finished = await jobs.waitFor(job.id);
    expect(finished, String(finished.error)).toMatchObject({ state: 'succeeded' });
    const summary = jobs.detail(job.id).result as ImportSummary;
    expect(summary.rows_read).toBe(60_000);
    expect(written).toBeGreaterThan(0);
    // At least one of those writes found the lock taken and the worker committed early for it.
    expect(summary.timings.yieldedToMain).toBeGreaterThan(0);
    expect(summary.timings.transactions).toBeGreaterThan(summary.timings.yieldedToMain);
  }, 120_000);
});
