import { describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import type { Principal } from '../api/permissions';
import { createDispatcher, memorySession, type ApiHandlers, type AuditRecord } from './dispatcher';
import { silentLogger, type Logger } from './log';

const admin: Principal = { id: 'a', name: 'Admin', role: 'it_admin' };
const auditor: Principal = { id: 'b', name: 'Auditor', role: 'auditor' };

function dispatcherWith(overrides: Partial<Record<string, (input: unknown) => unknown>>, log: Logger = silentLogger) {
  const calls: unknown[] = [];
  const handlers = {
    'system.status': () => ({ fine: true }),
    'jobs.list': (input: unknown) => {
      calls.push(input);
      return [];
    },
    'jobs.cancel': () => ({ cancelled: true }),
    ...overrides,
  } as unknown as ApiHandlers;
  return { dispatch: createDispatcher(handlers, log), calls };
}

describe('dispatcher', () => {
  it('passes parsed input (with defaults) to the handler', async () => {
    const { dispatch, calls } = dispatcherWith({});
    expect(await dispatch('jobs.list', {}, { principal: admin, transport: 'cli' })).toEqual({ ok: true, value: [] });
    expect(calls).toEqual([{ limit: 50 }]);
  });

  it('rejects unknown channels, including prototype names', async () => {
    const { dispatch } = dispatcherWith({});
    for (const name of ['nope', '__proto__', 'constructor', 'toString']) {
      const r = await dispatch(name, {}, { principal: admin, transport: 'cli' });
      expect(r).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    }
  });

  it('names the field and reason of invalid input and never calls the handler', async () => {
    const { dispatch, calls } = dispatcherWith({});
    const r = await dispatch('jobs.list', { limit: 0 }, { principal: admin, transport: 'cli' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('VALIDATION_FAILED');
    expect(r.error.details).toEqual({ issues: [{ field: 'limit', message: expect.stringMatching(/>=\s*1|at least|too small/i) }] });
    const extra = await dispatch('jobs.list', { limit: 5, sql: 'DROP TABLE jobs' }, { principal: admin, transport: 'cli' });
    expect(extra).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(calls).toEqual([]);
  });

  it('enforces the channel permission against the caller role', async () => {
    const { dispatch } = dispatcherWith({});
    const id = '6f1c2d7e-8c1b-4a59-9a3f-0c1d2e3f4a5b';
    expect(await dispatch('jobs.cancel', { jobId: id }, { principal: auditor, transport: 'browser' })).toMatchObject({
      ok: false,
      error: { code: 'PERMISSION_DENIED', details: { permission: 'imports.run' } },
    });
    expect(await dispatch('jobs.cancel', { jobId: id }, { principal: admin, transport: 'browser' })).toEqual({ ok: true, value: { cancelled: true } });
  });

  it('passes AppErrors through and hides unexpected errors behind a generic message', async () => {
    const logged: string[] = [];
    const log: Logger = { info() {}, warn() {}, error: (m) => logged.push(m) };
    const { dispatch } = dispatcherWith(
      {
        'system.status': () => {
          throw new AppError('CHAIN_UNAVAILABLE', 'offline', { since: 'x' });
        },
        'jobs.list': () => {
          throw new TypeError('cannot read property of undefined at /work/main/secret.ts:12');
        },
      },
      log,
    );
    expect(await dispatch('system.status', {}, { principal: admin, transport: 'cli' })).toEqual({
      ok: false,
      error: { code: 'CHAIN_UNAVAILABLE', message: 'offline', details: { since: 'x' } },
    });
    const hidden = await dispatch('jobs.list', {}, { principal: admin, transport: 'cli' });
    expect(hidden).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'jobs.list failed unexpectedly; see the main process log.' } });
    expect(logged[0]).toMatch(/jobs.list failed/);
  });
});

describe('dispatcher audit records', () => {
  it('records audited calls with the outcome and the facts the handler added, and skips status polling', async () => {
    const records: AuditRecord[] = [];
    const handlers = {
      'system.status': () => ({}),
      'jobs.list': () => [],
      'jobs.cancel': (_input: unknown, ctx: { audit: (f: unknown) => void }) => {
        ctx.audit({ subject: 'job-1', details: { reason: 'user' } });
        return { cancelled: true };
      },
    } as unknown as ApiHandlers;
    const dispatch = createDispatcher(handlers, silentLogger, { audit: (r) => records.push(r) });
    const id = '6f1c2d7e-8c1b-4a59-9a3f-0c1d2e3f4a5b';
    await dispatch('system.status', {}, { principal: admin, transport: 'browser' });
    await dispatch('jobs.list', {}, { principal: admin, transport: 'browser' });
    await dispatch('jobs.cancel', { jobId: id }, { principal: admin, transport: 'browser' });
    await dispatch('jobs.cancel', { jobId: id }, { principal: auditor, transport: 'electron' });
    expect(records.map((r) => [r.channel, r.outcome, r.principal.role])).toEqual([
      ['jobs.cancel', 'success', 'it_admin'],
      ['jobs.cancel', 'denied', 'auditor'],
    ]);
    expect(records[0]!.facts).toEqual({ subject: 'job-1', details: { reason: 'user' } });
  });

  it('records a failing handler as a failure with its error code', async () => {
    const records: AuditRecord[] = [];
    const handlers = {
      'jobs.cancel': () => {
        throw new AppError('JOB_NOT_FOUND', 'no such job');
      },
    } as unknown as ApiHandlers;
    const dispatch = createDispatcher(handlers, silentLogger, { audit: (r) => records.push(r) });
    await dispatch('jobs.cancel', { jobId: '6f1c2d7e-8c1b-4a59-9a3f-0c1d2e3f4a5b' }, { principal: admin, transport: 'cli' });
    expect(records).toMatchObject([{ channel: 'jobs.cancel', outcome: 'failure', errorCode: 'JOB_NOT_FOUND' }]);
  });
});

describe('dispatcher sessions', () => {
  const handlers = {
    'system.status': () => ({ ok: 1 }),
    'jobs.list': () => [],
  } as unknown as ApiHandlers;

  it('lets anyone call public channels and asks anonymous callers to sign in for the rest', async () => {
    const dispatch = createDispatcher(handlers, silentLogger, { resolveSession: () => ({ state: 'none' }) });
    expect(await dispatch('system.status', {}, { transport: 'browser' })).toEqual({ ok: true, value: { ok: 1 } });
    expect(await dispatch('jobs.list', {}, { transport: 'browser' })).toMatchObject({ ok: false, error: { code: 'NOT_AUTHENTICATED' } });
  });

  it('resolves the session token to its staff member and applies that role', async () => {
    const dispatch = createDispatcher(handlers, silentLogger, {
      resolveSession: (token) => (token === 'good' ? { state: 'active', principal: auditor } : { state: 'none' }),
    });
    expect(await dispatch('jobs.list', {}, { transport: 'browser', session: memorySession('good') })).toEqual({ ok: true, value: [] });
    expect(await dispatch('jobs.list', {}, { transport: 'browser', session: memorySession('bad') })).toMatchObject({ ok: false, error: { code: 'NOT_AUTHENTICATED' } });
  });

  it('reports an inactivity lock once, records it, and clears the session', async () => {
    const records: AuditRecord[] = [];
    const session = memorySession('stale');
    const dispatch = createDispatcher(handlers, silentLogger, {
      audit: (r) => records.push(r),
      resolveSession: (token) => (token === 'stale' ? { state: 'locked', principal: auditor } : { state: 'none' }),
    });
    expect(await dispatch('jobs.list', {}, { transport: 'electron', session })).toMatchObject({ ok: false, error: { code: 'SESSION_LOCKED' } });
    expect(session.get()).toBeUndefined();
    expect(records).toMatchObject([{ channel: 'auth.lock', principal: { id: 'b' }, outcome: 'success' }]);
    expect(await dispatch('jobs.list', {}, { transport: 'electron', session })).toMatchObject({ ok: false, error: { code: 'NOT_AUTHENTICATED' } });
  });
});
