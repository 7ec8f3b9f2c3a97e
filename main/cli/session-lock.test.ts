// A CLI command outlives the console's inactivity lock when it waits on its own job (a 1,000,000-row import ran 33
// minutes and then exited 1 reading its own summary with SESSION_LOCKED, every row stored). The lock stands and is
// audited; the command signs the same account in again with the password it was given and asks once more. A caller
// without a password to sign in with reads nothing more, and a session an IT admin ended is not renewed.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { typedCall } from '../runtime/call';
import { memorySession } from '../runtime/dispatcher';
import { staff, testConsole } from '../compose/test-support';
import type { Services } from '../compose/services';
import { createStaffReady } from '../staff/test-support';
import { signIn } from './command';

const PASSWORD = 'correct horse battery staple 42';
const console_ = testConsole('cli-lock', staff.admin);
let services: Services;
const admin = memorySession();

beforeAll(async () => {
  services = await console_.start();
  expect(await services.call('auth.setup', { username: 'admin', displayName: 'Ada Admin', password: PASSWORD }, { session: admin })).toMatchObject({ ok: true });
  await createStaffReady(services, { session: admin }, { username: 'manager', displayName: 'Mo Manager', role: 'records_manager', password: PASSWORD });
  vi.stubEnv('CUSTODIAN_PASSWORD', PASSWORD);
}, 120_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await console_.close();
});

/** Makes every open session of `username` idle for longer than the lock allows, as half an hour of waiting does. */
function idle(username: string): void {
  services.db
    .prepare(`UPDATE staff_sessions SET last_seen_at = '2000-01-01T00:00:00.000Z' WHERE ended_at IS NULL AND staff_id = (SELECT id FROM staff WHERE username = ?)`)
    .run(username);
}

const actionsSince = (id: number) => services.db.prepare('SELECT action, outcome, actor_name FROM audit_log WHERE id > ? ORDER BY id').all(id) as { action: string; outcome: string; actor_name: string }[];
const lastAuditId = () => services.db.prepare('SELECT coalesce(max(id), 0) FROM audit_log').pluck().get() as number;

describe('a CLI session that locked while the command waited', () => {
  it('signs the same account in again, audited after the lock, and the call answers', async () => {
    const cli = await signIn(services, 'manager');
    idle('manager');
    const before = lastAuditId();
    const jobs = await cli.call('jobs.list', {});
    expect(Array.isArray(jobs)).toBe(true);
    const actions = actionsSince(before).map((a) => `${a.action}:${a.outcome}:${a.actor_name}`);
    expect(actions.slice(0, 2)).toEqual(['auth.lock:success:Mo Manager', 'auth.login:success:Mo Manager']);
    // The locked session stays ended: the new sign-in is a new session.
    const sessions = services.db.prepare(`SELECT end_reason FROM staff_sessions WHERE staff_id = (SELECT id FROM staff WHERE username = 'manager') ORDER BY created_at, rowid`).pluck().all();
    expect(sessions.slice(-2)).toEqual(['idle-lock', null]);
  });

  it('without a way to sign in again (no password held), the lock is the answer and nothing is read', async () => {
    const cli = await signIn(services, 'manager');
    idle('manager');
    const bare = typedCall(services.dispatch, { transport: 'cli', session: cli.caller.session });
    await expect(bare('jobs.list', {})).rejects.toMatchObject({ code: 'SESSION_LOCKED' });
    await expect(bare('jobs.list', {})).rejects.toMatchObject({ code: 'NOT_AUTHENTICATED' });
  });

  it('a session an IT admin ended (a password reset) is not renewed by the command, nor after a lock', async () => {
    const cli = await signIn(services, 'manager');
    const manager = services.db.prepare(`SELECT id FROM staff WHERE username = 'manager'`).get() as { id: string };
    idle('manager');
    expect(await services.call('staff.resetPassword', { id: manager.id, password: `${PASSWORD} reset` }, { session: admin })).toMatchObject({ ok: true });
    const before = lastAuditId();
    await expect(cli.call('jobs.list', {})).rejects.toMatchObject({ code: 'NOT_AUTHENTICATED' });
    expect(actionsSince(before).map((a) => a.action)).not.toContain('auth.login');
  });
});
