// The FHIR export as a job, on a real SQLite file: the same bytes the old main-thread export wrote for the same
// selection, monotonic progress from a real worker thread, and a cancel that leaves no file behind.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportSelection } from '../api/consents';
import type { JobProgress } from '../api/events';
import type { Db } from '../db/connection';
import { EventBus } from '../runtime/event-bus';
import { silentLogger } from '../runtime/log';
import { JobRunner } from '../workers/job-runner';
import { JobCancelled } from '../workers/protocol';
import { generateConsentsCsv } from '../../scripts/generate-consents';
import { importFile } from '../imports/test-support';
import { consentExportFile, consentExportInfo, EXPORT_JOB_KIND, newExportPath, writeConsentsNdjson } from './export-job';
import { consentRowToFhir } from './fhir-export';
import { exportRows } from './queries';
import { testData, type TestData } from './test-support';

const ROWS = 12_000;
let t: TestData;
const now = Math.floor(Date.UTC(2026, 0, 15) / 1000);

/** The export as consents.exportFhir wrote it on the main thread before it became a job (the reference). */
function legacyExport(db: Db, selection: ExportSelection, at: number): string {
  let out = '';
  let lines: string[] = [];
  for (const row of exportRows(db, selection, at)) {
    lines.push(JSON.stringify(consentRowToFhir(row)));
    if (lines.length === 1000) {
      out += `${lines.join('\n')}\n`;
      lines = [];
    }
  }
  if (lines.length) out += `${lines.join('\n')}\n`;
  return out;
}

beforeAll(async () => {
  t = testData('custodian-export-');
  const csv = path.join(t.dir, 'seed.csv');
  generateConsentsCsv(csv, { rows: ROWS, seed: 7 });
  const summary = await importFile(t, csv);
  expect(summary.accepted).toBeGreaterThan(ROWS / 2);
}, 120_000);
afterAll(() => t.cleanup());

const consentCount = () => (t.db.prepare(`SELECT count(*) AS n FROM consents WHERE status <> 'superseded'`).get() as { n: number }).n;

describe('writeConsentsNdjson', () => {
  it.each<[string, () => ExportSelection]>([
    ['everything', () => ({ filter: {} })],
    ['a filter', () => ({ filter: { purpose: 'TREAT', status: 'active' } })],
    ['chosen ids', () => ({ ids: (t.db.prepare('SELECT id FROM consents ORDER BY id DESC LIMIT 7').all() as { id: number }[]).map((r) => r.id) })],
  ])('writes exactly the old export for %s', async (_name, selection) => {
    const file = newExportPath(t.dir, new Date());
    const reports: [number, number][] = [];
    const written = await writeConsentsNdjson(t.db, selection(), file, now, { report: (d, n) => reports.push([d, n]) });
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toBe(legacyExport(t.db, selection(), now));
    expect(written).toEqual({ count: text.split('\n').filter(Boolean).length, sizeBytes: Buffer.byteLength(text) });
    expect(reports.at(-1)).toEqual([written.count, written.count]);
    expect(fs.existsSync(`${file}.part`)).toBe(false);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('keeps NDJSON as JSON: values starting with = + - @ are not formula-escaped', async () => {
    t.db.prepare(`UPDATE patients SET name = '=HYPERLINK("x")' WHERE id = (SELECT min(id) FROM patients)`).run();
    const id = (t.db.prepare('SELECT c.id FROM consents c WHERE c.patient_id = (SELECT min(id) FROM patients) LIMIT 1').get() as { id: number }).id;
    const file = newExportPath(t.dir, new Date());
    await writeConsentsNdjson(t.db, { ids: [id] }, file, now);
    const resource = JSON.parse(fs.readFileSync(file, 'utf8')) as { contained: { name: { text: string }[] }[] };
    expect(resource.contained[0]!.name[0]!.text).toBe('=HYPERLINK("x")');
  });

  it('stops on cancel between writes and leaves neither the file nor its .part', async () => {
    const file = newExportPath(t.dir, new Date());
    let reports = 0;
    const control = {
      report: () => void reports++,
      get cancelled() {
        return reports >= 3;
      },
    };
    await expect(writeConsentsNdjson(t.db, { filter: {} }, file, now, control)).rejects.toBeInstanceOf(JobCancelled);
    expect(reports).toBe(3);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(`${file}.part`)).toBe(false);
  });
});

describe('the consents.exportFhir job in a worker thread', () => {
  const events = new EventBus();
  let jobs: JobRunner;
  beforeAll(() => {
    jobs = new JobRunner({ db: t.db, dbPath: t.dbPath, events, log: silentLogger, progressIntervalMs: 0 });
  });
  afterAll(() => jobs.stopAll());

  const progressOf = (jobId: string) => {
    const seen: JobProgress[] = [];
    const off = events.subscribe((m) => {
      if (m.event === 'job.progress' && m.payload.jobId === jobId) seen.push(m.payload);
    });
    return { seen, off };
  };

  it('reports monotonic progress up to the count, and its file equals the old export', async () => {
    const file = newExportPath(t.dir, new Date());
    const job = jobs.start(EXPORT_JOB_KIND, { selection: { filter: {} }, file, now });
    const { seen, off } = progressOf(job.id);
    expect(await jobs.waitFor(job.id)).toMatchObject({ state: 'succeeded' });
    off();
    const count = consentCount();
    const dones = seen.map((p) => p.done);
    expect(dones).toEqual([...dones].sort((a, b) => a - b));
    expect(seen.filter((p) => p.state === 'running' && p.done > 0 && p.done < count).length).toBeGreaterThan(0);
    expect(seen.at(-1)).toMatchObject({ state: 'succeeded', done: count, total: count, kind: EXPORT_JOB_KIND });
    expect(fs.readFileSync(file, 'utf8')).toBe(legacyExport(t.db, { filter: {} }, now));
    expect(consentExportInfo(t.db, job.id)).toMatchObject({ exportId: job.id, state: 'succeeded', count, fileName: path.basename(file), sizeBytes: fs.statSync(file).size });
    expect(consentExportFile(t.db, t.dir, job.id)).toMatchObject({ path: file, contentType: 'application/fhir+ndjson' });
  });

  it('cancels: the job ends cancelled, no file is left, and it cannot be downloaded', async () => {
    const file = newExportPath(t.dir, new Date());
    const job = jobs.start(EXPORT_JOB_KIND, { selection: { filter: {} }, file, now });
    await new Promise<void>((resolve) => {
      const off = events.subscribe((m) => {
        if (m.event === 'job.progress' && m.payload.jobId === job.id && m.payload.done > 0) {
          off();
          jobs.cancel(job.id);
          resolve();
        }
      });
    });
    expect(await jobs.waitFor(job.id)).toMatchObject({ state: 'cancelled' });
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(`${file}.part`)).toBe(false);
    expect(() => consentExportFile(t.db, t.dir, job.id)).toThrow(/cancelled/);
  });

  it('serves only succeeded exports of this kind, from the exports folder', async () => {
    expect(() => consentExportInfo(t.db, '00000000-0000-4000-8000-000000000000')).toThrow(/no consent export/);
    // A job row of the export kind pointing outside <data dir>/exports is never served.
    t.db
      .prepare(`INSERT INTO jobs (id, kind, state, params, result) VALUES (?, ?, 'succeeded', ?, ?)`)
      .run('11111111-1111-4111-8111-111111111111', EXPORT_JOB_KIND, JSON.stringify({ file: t.dbPath }), JSON.stringify({ path: t.dbPath, count: 1, sizeBytes: 1 }));
    expect(() => consentExportFile(t.db, t.dir, '11111111-1111-4111-8111-111111111111')).toThrow(/no longer in the data folder/);
    // The same with params the kind's schema accepts: the path guard, not the schema, refuses it.
    t.db
      .prepare(`INSERT INTO jobs (id, kind, state, params, result) VALUES (?, ?, 'succeeded', ?, ?)`)
      .run('22222222-2222-4222-8222-222222222222', EXPORT_JOB_KIND, JSON.stringify({ selection: { ids: [1] }, file: t.dbPath, now: 0 }), JSON.stringify({ count: 1, sizeBytes: 1 }));
    expect(consentExportInfo(t.db, '22222222-2222-4222-8222-222222222222')).toMatchObject({ count: 1, sizeBytes: 1 });
    expect(() => consentExportFile(t.db, t.dir, '22222222-2222-4222-8222-222222222222')).toThrow(/no longer in the data folder/);
  });
});
