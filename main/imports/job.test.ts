// The import job in a real worker thread beside this (main) thread: when a write here waits for the import's write
// lock, the worker sees the main thread's heartbeat stall, commits at its next batch and lets the write through.
// No clock decides the outcome: a gate (fixtures/gated-import-job.ts) holds the import's first transaction until
// this thread is blocked on its write, so the write is certain to meet the lock, and must get in before the end.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateConsentsCsv } from '../../scripts/generate-consents';
import { consentsChecksum, testData, type TestData } from '../consents/test-support';
import { EventBus } from '../runtime/event-bus';
import { silentLogger } from '../runtime/log';
import { JobRunner } from '../workers/job-runner';
import { HOLDING_WRITE_LOCK, jobKindDefs } from './fixtures/gated-import-job';
import { jobKindDefs as hogKindDefs } from './fixtures/hog-import-job';
import type { ImportSummary } from './pipeline';
import { getImportRun } from './runs';
import { csvText, importFile, line, newRun, writeFile } from './test-support';

let t: TestData;
beforeEach(() => {
  t = testData('custodian-import-job-');
});
afterEach(() => t.cleanup());

const ROWS = 5_000;

describe('import.consents job', () => {
  it('yields the write lock to the main thread when a write there waits for it', async () => {
    const file = path.join(t.dir, 'consents.csv');
    generateConsentsCsv(file, { rows: ROWS, seed: 5 });
    const runId = newRun(t, file);
    const gateFile = path.join(t.dir, 'main-thread-writes');
    const events = new EventBus();
    const registryUrl = new URL('./fixtures/gated-import-job.ts', import.meta.url).href;
    const jobs = new JobRunner({ db: t.db, dbPath: t.dbPath, events, log: silentLogger, registryUrl, kindDefs: jobKindDefs, progressIntervalMs: 0 });
    const write = t.db.prepare(`INSERT INTO settings (key, value) VALUES ('test.main-thread-write', 'in') ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
    const runAsSeen = t.db.prepare('SELECT rows_read, outcome FROM import_runs WHERE id = ?');
    let seen: { rows_read: number; outcome: string | null } | undefined;
    let failure: unknown;
    events.subscribe((m) => {
      if (m.event !== 'job.progress' || m.payload.message !== HOLDING_WRITE_LOCK) return;
      try {
        fs.writeFileSync(gateFile, '');
        // Blocks this thread (better-sqlite3 waits for a lock synchronously) until the worker commits; the run's
        // row read in the same transaction says how far the import was when this write got in.
        seen = t.db.transaction(() => {
          write.run();
          return runAsSeen.get(runId) as { rows_read: number; outcome: string | null };
        }).immediate();
      } catch (err) {
        failure = err;
      }
    });
    const job = jobs.start('test.import.consents.gated', { runId, gateFile });
    const finished = await jobs.waitFor(job.id);
    expect(failure).toBeUndefined();
    expect(finished, String(finished.error)).toMatchObject({ state: 'succeeded' });
    const summary = jobs.detail(job.id).result as ImportSummary;
    expect(summary.rows_read).toBe(ROWS);
    // The write got in while the import was under way: after its first commit, before its last.
    expect(seen).toBeDefined();
    expect(seen!.outcome).toBeNull();
    expect(seen!.rows_read).toBeGreaterThan(0);
    expect(seen!.rows_read).toBeLessThan(ROWS);
    expect(t.db.prepare(`SELECT value FROM settings WHERE key = 'test.main-thread-write'`).get()).toEqual({ value: 'in' });
    // And it got in because the worker committed early for it, then went on in further transactions.
    expect(summary.timings.yieldedToMain).toBeGreaterThanOrEqual(1);
    expect(summary.timings.transactions).toBeGreaterThan(summary.timings.yieldedToMain);
  }, 120_000);

  it('fails with JOB_OUT_OF_MEMORY when its worker runs out of memory mid-chunk, and resumes to exactly a clean run', async () => {
    // 250 rows with rejects (a bad NPI every 25th row), committed 40 at a time.
    const rows = Array.from({ length: 250 }, (_, i) => line({ external_id: `C-${i}`, mrn: `MRN${i % 60}`, category: ['general', 'HIV', 'genetic'][i % 3]!, ...(i % 25 === 0 ? { grantee: '1234567890' } : {}) }));
    const file = writeFile(t, 'consents.csv', csvText(rows));
    const clean = testData('custodian-import-job-clean-');
    try {
      const reference = await importFile(clean, file, { chunkRows: 40 });
      expect(reference.rejected).toBeGreaterThan(0);

      const runId = newRun(t, file);
      // A small cap so the hog reaches it quickly (the production cap: job-runner.test.ts).
      const registryUrl = new URL('./fixtures/hog-import-job.ts', import.meta.url).href;
      const jobs = new JobRunner({ db: t.db, dbPath: t.dbPath, events: new EventBus(), log: silentLogger, registryUrl, kindDefs: hogKindDefs, progressIntervalMs: 0, oldGenerationMb: 64 });
      // The fourth chunk's rows and rejects are written when the worker dies, before its COMMIT.
      const job = jobs.start('test.import.consents.hog', { runId, chunkRows: 40, hogAtCheckpoint: 4 });
      const failed = await jobs.waitFor(job.id);
      expect(failed).toMatchObject({ state: 'failed', error: { code: 'JOB_OUT_OF_MEMORY' } });
      expect(getImportRun(t.db, runId)!.rows_read).toBe(120);
      // Like an interrupted run, the failed one is offered for resuming (imports.runs: resumable).
      expect(getImportRun(t.db, runId)!.outcome).toBeNull();
      const { checkpoint } = t.db.prepare('SELECT checkpoint FROM jobs WHERE id = ?').get(job.id) as { checkpoint: string };
      const rejectsFile = getImportRun(t.db, runId)!.rejects_path!;
      expect(fs.statSync(rejectsFile).size).toBeGreaterThan((JSON.parse(checkpoint) as { rejectsBytes: number }).rejectsBytes);

      jobs.resume(job.id);
      const resumed = await jobs.waitFor(job.id);
      expect(resumed, JSON.stringify(resumed.error)).toMatchObject({ state: 'succeeded', error: null });
      const summary = jobs.detail(job.id).result as ImportSummary;
      for (const k of ['rows_read', 'accepted', 'updated', 'rejected', 'duplicate', 'consents_written'] as const) expect(summary[k]).toBe(reference[k]);
      expect(consentsChecksum(t.db)).toEqual(consentsChecksum(clean.db));
      // The dead chunk's rejects, appended before it died, were cut off on resume: none is lost or doubled.
      expect(fs.readFileSync(summary.rejectsPath, 'utf8')).toBe(fs.readFileSync(reference.rejectsPath, 'utf8'));
    } finally {
      clean.cleanup();
    }
  }, 120_000);
});
