// The job-kind table as a staff member reaching beyond their role would test it: every declared kind has a
// worker function and a permission, and jobs.get refuses every role (and an anonymous caller) without that
// permission, in main. A recorded result reaches the UI only through its kind's schema: paths a worker records
// for main's own use never do. A caller cannot slip params past the kind's schema into the jobs table.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import { JOB_KINDS, jobKindPermission, JOB_KIND_FALLBACK_PERMISSION, type JobKind } from '../api/jobs';
import { ANONYMOUS, PERMISSIONS, ROLES, type Principal, type Role } from '../api/permissions';
import { roleAllows } from '../api/role-check';
import { openDatabase, type Db } from '../db/connection';
import { migrate } from '../db/migrate';
import type { RequestContext } from '../runtime/dispatcher';
import { EventBus } from '../runtime/event-bus';
import { silentLogger } from '../runtime/log';
import { createJobsHandlers } from './handlers';
import { JobRunner } from './job-runner';
import { jobKinds } from '../compose/job-registry';

let dir: string;
let db: Db;
let jobs: JobRunner;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-job-kinds-'));
  db = openDatabase(path.join(dir, 'custodian.sqlite'));
  migrate(db);
  jobs = new JobRunner({ db, dbPath: path.join(dir, 'custodian.sqlite'), events: new EventBus(), log: silentLogger });
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const KINDS = Object.keys(JOB_KINDS) as JobKind[];
const callerAs = (principal: Principal): RequestContext => ({ principal, transport: 'cli', source: 'cli:local', session: {} as RequestContext['session'], audit: () => undefined, auditEach: () => undefined, commit: (write) => write(), allows: (p) => roleAllows(principal.role, p) });
const staff = (role: Role): Principal => ({ id: `t-${role}`, name: role, role });

/** A recorded result with every field its kind declares, plus what a worker records for main only. */
const RECORDED: Record<JobKind, Record<string, unknown>> = {
  'db.backup': { pages: 12, destination: '/data/backups/secret.sqlite' },
  'credentials.verifyAll': { checked: 3, byVerdict: { verified: 3 }, offlineReason: null, blockNumber: 9, registryCalls: 1, durationMs: 40 },
  'import.providers': { runId: 1, outcome: 'succeeded', rows_read: 2, providers_added: 2, providers_updated: 0, credentials_added: 2, duplicate: 0, rejected: 0, ignoredColumns: [], sampleRejects: [], rejectsPath: '/data/imports/r.csv', fileHash: '0x01' },
  'import.consents': { runId: 1, format: 'csv', dryRun: false, outcome: 'succeeded', rows_read: 2, accepted: 2, updated: 0, rejected: 0, duplicate: 0, consents_written: 2, ignoredColumns: [], sampleRejects: [], rejectsPath: '/data/imports/c.csv', fileHash: '0x02', timings: { parseMs: 1 } },
  'import.claims': { rowsRead: 2, passed: 1, failed: 1, rejected: 0, duplicate: 0, ignoredColumns: [], sampleRejects: [], rejectsPath: '/data/imports/k.csv' },
  'consents.exportFhir': { count: 5, sizeBytes: 900, path: '/data/exports/consents.ndjson' },
};

function recorded(kind: JobKind): string {
  const id = `${String(KINDS.indexOf(kind) + 1).repeat(8)}-1111-4111-8111-111111111111`;
  db.prepare(`INSERT INTO jobs (id, kind, state, params, result, finished_at) VALUES (?, ?, 'succeeded', '{}', ?, '2026-01-01T00:00:00Z')`).run(id, kind, JSON.stringify(RECORDED[kind]));
  return id;
}

describe('the job-kind table', () => {
  it('gives every declared kind a worker function, and the registry no undeclared kind', () => {
    expect(Object.keys(jobKinds).sort()).toEqual([...KINDS].sort());
    for (const kind of KINDS) expect(typeof jobKinds[kind]).toBe('function');
  });

  it('gives every kind a real permission, held by at least one role', () => {
    for (const kind of KINDS) {
      expect(PERMISSIONS).toContain(JOB_KINDS[kind].permission);
      expect(ROLES.some((r) => roleAllows(r, JOB_KINDS[kind].permission)), kind).toBe(true);
      expect(jobKindPermission(kind)).toBe(JOB_KINDS[kind].permission);
    }
    expect(jobKindPermission('kind.from.another.version')).toBe(JOB_KIND_FALLBACK_PERMISSION);
  });

  const matrix = KINDS.flatMap((kind) => [...ROLES, 'anonymous' as const].map((role) => [kind, role] as const));
  it.each(matrix)('jobs.get on a %s job as %s: allowed exactly when the role holds the kind permission', async (kind, role) => {
    const principal = role === 'anonymous' ? ANONYMOUS : staff(role);
    const id = recorded(kind);
    const get = () => createJobsHandlers({ jobs })['jobs.get']({ jobId: id }, callerAs(principal));
    if (roleAllows(principal.role, JOB_KINDS[kind].permission)) {
      expect((await get()).id).toBe(id);
    } else {
      const err = await Promise.resolve().then(get).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'PERMISSION_DENIED' });
    }
  });

  it.each(KINDS)('shows a %s result through its schema: declared fields only, no paths', async (kind) => {
    const id = recorded(kind);
    const reader = ROLES.find((r) => roleAllows(r, JOB_KINDS[kind].permission))!;
    const job = await createJobsHandlers({ jobs })['jobs.get']({ jobId: id }, callerAs(staff(reader)));
    const shown = job.result;
    expect(shown?.kind).toBe(kind);
    expect(JSON.stringify(shown)).not.toContain('/data/');
    expect(JSON.stringify(shown)).not.toMatch(/rejectsPath|fileHash|timings|destination|"path"/);
  });

  it('shows none for a recorded result its schema refuses (a kind whose shape changed), never the raw object', async () => {
    const id = recorded('credentials.verifyAll');
    db.prepare('UPDATE jobs SET result = ? WHERE id = ?').run(JSON.stringify({ checked: 'many', note: '/data/x' }), id);
    const job = await createJobsHandlers({ jobs })['jobs.get']({ jobId: id }, callerAs(staff('records_manager')));
    expect(job.result).toEqual({ kind: 'none' });
  });

  it('refuses params the kind schema refuses before any row is written', () => {
    const before = db.prepare('SELECT count(*) AS n FROM jobs').get();
    // A hostile caller: an extra field, and a runId that is not a row id.
    expect(() => jobs.start('import.consents', { runId: 1, file: '/etc/passwd' } as never)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => jobs.start('import.claims', { runId: -1 })).toThrow(/import\.claims job's runId is not valid/);
    expect(() => jobs.start('no.such.kind' as never, {} as never)).toThrow(expect.objectContaining({ code: 'JOB_FAILED' }));
    expect(db.prepare('SELECT count(*) AS n FROM jobs').get()).toEqual(before);
  });
});
