import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobProgress } from '../api/events';
import { openDatabase, type Db } from '../db/connection';
import { migrate } from '../db/migrate';
import { EventBus } from '../runtime/event-bus';
import { silentLogger } from '../runtime/log';
import { jobKindDefs } from './fixtures/test-jobs';
import { JOB_WORKER_OLD_GENERATION_MB, JOB_WORKER_YOUNG_GENERATION_MB, JobRunner } from './job-runner';

let dir: string;
let dbPath: string;
let db: Db;
let events: EventBus;
let progress: JobProgress[];
const registryUrl = new URL('./fixtures/test-jobs.ts', import.meta.url).href;

function runner(oldGenerationMb?: number) {
  return new JobRunner({ db, dbPath, events, log: silentLogger, registryUrl, kindDefs: jobKindDefs, progressIntervalMs: 0, ...(oldGenerationMb ? { oldGenerationMb } : {}) });
}
const counted = () => (db.prepare('SELECT count(*) AS n, sum(n) AS s FROM counted').get() as { n: number; s: number });

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-jobs-'));
  dbPath = path.join(dir, 'custodian.sqlite');
  db = openDatabase(dbPath);
  migrate(db);
  events = new EventBus();
  progress = [];
  events.subscribe((m) => {
    if (m.event === 'job.progress') progress.push(m.payload);
  });
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('JobRunner', () => {
  it('runs a job in a worker thread with its own connection and reports monotonic progress', async () => {
    const jobs = runner();
    const started = jobs.start('test.count', { upTo: 500, chunk: 50 });
    expect(started.state).toBe('running');
    const done = await jobs.waitFor(started.id);
    expect(done).toMatchObject({ state: 'succeeded', done: 500, total: 500 });
    expect(counted()).toEqual({ n: 500, s: (499 * 500) / 2 });
    const dones = progress.map((p) => p.done);
    expect(dones).toEqual([...dones].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ state: 'succeeded', done: 500 });
    expect(progress.length).toBeGreaterThan(2);
  });

  it('resumes an interrupted job from its checkpoint and ends with exactly the rows of a clean run', async () => {
    const jobs = runner();
    const first = jobs.start('test.count', { upTo: 1000, chunk: 100, dieAfter: 300 });
    const crashed = await jobs.waitFor(first.id);
    expect(crashed.state).toBe('failed');
    expect(counted().n).toBe(300);

    // Same as a restart: the row says failed/interrupted, the checkpoint survived with the rows.
    db.prepare(`UPDATE jobs SET state = 'running' WHERE id = ?`).run(first.id);
    expect(runner().markInterrupted()).toBe(1);
    db.prepare(`UPDATE jobs SET params = ? WHERE id = ?`).run(JSON.stringify({ upTo: 1000, chunk: 100 }), first.id);
    const resumed = runner();
    resumed.resume(first.id);
    expect(await resumed.waitFor(first.id)).toMatchObject({ state: 'succeeded', done: 1000 });
    expect(counted()).toEqual({ n: 1000, s: (999 * 1000) / 2 });
  });

  it('cancels a running job and leaves what it committed consistent with its checkpoint', async () => {
    const jobs = runner();
    const job = jobs.start('test.count', { upTo: 100_000, chunk: 10, delayMs: 5 });
    await new Promise<void>((resolve) => {
      const off = events.subscribe((m) => {
        if (m.event === 'job.progress' && m.payload.done >= 30) {
          off();
          resolve();
        }
      });
    });
    expect(jobs.cancel(job.id)).toBe(true);
    const final = await jobs.waitFor(job.id);
    expect(final.state).toBe('cancelled');
    const row = db.prepare('SELECT checkpoint FROM jobs WHERE id = ?').get(job.id) as { checkpoint: string };
    expect(counted().n).toBe(JSON.parse(row.checkpoint).next);
    expect(counted().n).toBeLessThan(100_000);
  });

  it('starts each job worker with a capped young and old generation (the import peak RSS on Node 24, see JOB_WORKER_*_GENERATION_MB)', async () => {
    const jobs = runner();
    const job = jobs.start('test.limits', {});
    expect(await jobs.waitFor(job.id)).toMatchObject({ state: 'succeeded' });
    expect(jobs.detail(job.id).result).toEqual({ maxYoungGenerationSizeMb: JOB_WORKER_YOUNG_GENERATION_MB, maxOldGenerationSizeMb: JOB_WORKER_OLD_GENERATION_MB });
  });

  it('fails a job that outgrows its heap cap with JOB_OUT_OF_MEMORY, and resuming it loses and repeats no row', async () => {
    // A small cap so the hog reaches it quickly; the production cap is checked by the test above.
    const jobs = runner(64);
    const job = jobs.start('test.hog', { upTo: 1000, chunk: 100, hogAt: 450 });
    const failed = await jobs.waitFor(job.id);
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'JOB_OUT_OF_MEMORY' } });
    expect(failed.error!.message).toMatch(/more memory than its 64 MB limit.*resume it/);
    // The chunk that was open when V8 stopped the thread (rows 400-499) rolled back with it.
    expect(counted()).toEqual({ n: 400, s: (399 * 400) / 2 });

    // Resumed (the hog switched off, as the counter's dieAfter is in the interrupted test): from the checkpoint,
    // on the same database, whose write lock the stopped thread no longer holds.
    db.prepare(`UPDATE jobs SET params = ? WHERE id = ?`).run(JSON.stringify({ upTo: 1000, chunk: 100 }), job.id);
    jobs.resume(job.id);
    expect(await jobs.waitFor(job.id)).toMatchObject({ state: 'succeeded', done: 1000, error: null });
    expect(counted()).toEqual({ n: 1000, s: (999 * 1000) / 2 });
  });

  it('records a failure with its message', async () => {
    const jobs = runner();
    const job = jobs.start('test.fail', {});
    expect(await jobs.waitFor(job.id)).toMatchObject({ state: 'failed', error: { code: 'JOB_FAILED', message: 'deliberate failure' } });
    expect(jobs.list(10)[0]!.id).toBe(job.id);
  });

  it('backs the database up with the production db.backup job', async () => {
    db.exec('CREATE TABLE filler (x TEXT)');
    const fill = db.prepare('INSERT INTO filler VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) fill.run('x'.repeat(200));
    })();
    const jobs = new JobRunner({ db, dbPath, events, log: silentLogger, progressIntervalMs: 0 });
    const destination = path.join(dir, 'copy.sqlite');
    const job = jobs.start('db.backup', { destination });
    expect(await jobs.waitFor(job.id)).toMatchObject({ state: 'succeeded' });
    const copy = openDatabase(destination, { readonly: true });
    expect(copy.prepare('SELECT count(*) AS n FROM filler').get()).toEqual({ n: 2000 });
    copy.close();
  });
});
