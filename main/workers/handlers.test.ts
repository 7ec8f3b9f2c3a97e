// jobs.get on a real SQLite file: a job's summary with the result it recorded (declared fields only), a running
// job read live from its worker, and the permission of the job's kind checked for the caller's role.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import type { Principal, Role } from '../api/permissions';
import { roleAllows } from '../api/role-check';
import { openDatabase, type Db } from '../db/connection';
import { migrate } from '../db/migrate';
import type { RequestContext } from '../runtime/dispatcher';
import { EventBus } from '../runtime/event-bus';
import { silentLogger } from '../runtime/log';
import { createJobsHandlers } from './handlers';
import { jobKindDefs } from './fixtures/test-jobs';
import { JobRunner } from './job-runner';

let dir: string;
let db: Db;
let jobs: JobRunner<typeof jobKindDefs>;

const ctxAs = (role: Role): RequestContext => ({ principal: { id: `t-${role}`, name: role, role } as Principal, transport: 'cli', source: 'cli:local', session: {} as RequestContext['session'], audit: () => undefined, auditEach: () => undefined, allows: (access) => roleAllows(role, access), commit: (write) => write() });

function recorded(id: string, kind: string, state: string, result: unknown): void {
  db.prepare(`INSERT INTO jobs (id, kind, state, params, done, total, errors, result, started_at, finished_at) VALUES (?, ?, ?, '{}', 10, 10, 2, ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:05Z')`).run(
    id,
    kind,
    state,
    result === undefined ? null : JSON.stringify(result),
  );
}

const VERIFY = '11111111-1111-4111-8111-111111111111';
const ROSTER = '22222222-2222-4222-8222-222222222222';
const BACKUP = '33333333-3333-4333-8333-333333333333';
const MYSTERY = '44444444-4444-4444-8444-444444444444';

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-jobs-get-'));
  db = openDatabase(path.join(dir, 'custodian.sqlite'));
  migrate(db);
  jobs = new JobRunner({ db, dbPath: path.join(dir, 'custodian.sqlite'), events: new EventBus(), log: silentLogger, registryUrl: new URL('./fixtures/test-jobs.ts', import.meta.url).href, kindDefs: jobKindDefs, progressIntervalMs: 0 });
  recorded(VERIFY, 'credentials.verifyAll', 'succeeded', { checked: 10, byVerdict: { verified: 8, revoked: 2 }, offlineReason: null, blockNumber: 7, registryCalls: 2, durationMs: 120, extra: 'not shown' });
  recorded(ROSTER, 'import.providers', 'succeeded', { runId: 3, outcome: 'succeeded', rows_read: 10, providers_added: 4, providers_updated: 0, credentials_added: 6, duplicate: 2, rejected: 2, rejectsPath: '/data/imports/roster-3-rejects.csv', fileHash: '0xab', ignoredColumns: ['notes'], sampleRejects: [{ row: 4, reason: 'npi: is missing' }], sampleDuplicates: [] });
  recorded(BACKUP, 'db.backup', 'succeeded', { file: '/data/backups/x.sqlite' });
  recorded(MYSTERY, 'test.other', 'failed', undefined);
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('jobs.get', () => {
  const get = (jobId: string, role: Role) => createJobsHandlers({ jobs })['jobs.get']({ jobId }, ctxAs(role));

  it('returns a bulk verification with its summary counts, and nothing it did not declare', async () => {
    expect(await get(VERIFY, 'records_clerk')).toEqual({
      id: VERIFY,
      kind: 'credentials.verifyAll',
      state: 'succeeded',
      done: 10,
      total: 10,
      errors: 2,
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T00:00:05Z',
      error: null,
      result: { kind: 'credentials.verifyAll', summary: { checked: 10, byVerdict: { verified: 8, revoked: 2 }, offlineReason: null, blockNumber: 7, registryCalls: 2, durationMs: 120 } },
    });
  });

  it('returns a roster import summary without file paths', async () => {
    const job = await get(ROSTER, 'auditor');
    expect(job.result).toEqual({
      kind: 'import.providers',
      summary: { runId: 3, outcome: 'succeeded', dryRun: false, rows_read: 10, providers_added: 4, providers_updated: 0, credentials_added: 6, duplicate: 2, rejected: 2, ignoredColumns: ['notes'], sampleRejects: [{ row: 4, reason: 'npi: is missing' }] },
    });
    expect(JSON.stringify(job)).not.toContain('/data/');
  });

  it.each([
    [BACKUP, 'records_clerk', false],
    [BACKUP, 'auditor', true],
    [MYSTERY, 'records_manager', false],
    [MYSTERY, 'it_admin', true],
    [VERIFY, 'auditor', true],
  ] as [string, Role, boolean][])('job %s as %s: allowed %s (the kind decides)', async (jobId, role, allowed) => {
    if (allowed) {
      expect((await get(jobId, role)).id).toBe(jobId);
    } else {
      const err = await Promise.resolve()
        .then(() => get(jobId, role))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'PERMISSION_DENIED' });
    }
  });

  it('reads a running job live and shows its result once it has ended', async () => {
    const started = jobs.start('test.count', { upTo: 300, chunk: 50 });
    const running = await get(started.id, 'it_admin');
    expect(running.result).toBeNull();
    await jobs.waitFor(started.id);
    expect(await get(started.id, 'it_admin')).toMatchObject({ state: 'succeeded', done: 300, result: { kind: 'none' } });
  });

  it('names a job that does not exist', async () => {
    await expect(Promise.resolve().then(() => get('55555555-5555-4555-8555-555555555555', 'it_admin'))).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
  });
});
