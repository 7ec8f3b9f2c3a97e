// Passwords an IT admin sets are temporary, and account management cannot silently hand an IT admin patient
// access: tried as the IT admin who makes themselves a records-manager account, through the dispatcher every
// transport uses (sessions, not trusted principals).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../api';
import { PASSWORD_CHANGE_CHANNELS } from '../api/auth';
import { memorySession, type SessionHolder } from '../runtime/dispatcher';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';

let dir: string;
let services: Services;
const admin = memorySession();
const auditor = memorySession();
const ADMIN_PW = 'admin pass phrase 1';

async function ok<T>(channel: string, input: unknown, session: SessionHolder): Promise<T> {
  const r = await services.call(channel, input, { session });
  if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}
async function refused(channel: string, input: unknown, session: SessionHolder): Promise<string> {
  const r = await services.call(channel, input, { session });
  expect(r.ok, channel).toBe(false);
  return r.ok ? '' : String(r.error.code);
}
const alerts = () => ok<{ kind: string; actorName: string; targetUsername: string; role: string }[]>('staff.alerts', {}, auditor);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-passwords-'));
  services = await startServices({ dataDir: dir, runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } }, sync: 'manual' });
  await ok('auth.setup', { username: 'iris', displayName: 'Iris Admin', password: ADMIN_PW }, admin);
  const created = await ok<{ id: string }>('staff.create', { username: 'abe', displayName: 'Abe Auditor', role: 'auditor', password: 'temporary auditor 1' }, admin);
  await ok('auth.login', { username: 'abe', password: 'temporary auditor 1' }, auditor);
  await ok('auth.changePassword', { currentPassword: 'temporary auditor 1', newPassword: 'auditor pass phrase 1' }, auditor);
  expect(created.id).toBeTruthy();
});
afterAll(async () => {
  await services.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('an IT admin giving themselves patient access', () => {
  it('raises an alert the auditor sees, and the new account must change its password before anything else', async () => {
    // The first admin set their own password at set-up: no forced change.
    expect(await ok('auth.status', {}, admin)).toMatchObject({ mustChangePassword: false });
    const before = (await alerts()).length;
    await ok('staff.create', { username: 'iris.rm', displayName: 'Iris (records)', role: 'records_manager', password: 'iris knows this one' }, admin);
    expect((await alerts()).slice(0, (await alerts()).length - before)).toEqual([
      expect.objectContaining({ kind: 'clinical-account-created', actorName: 'Iris Admin', targetUsername: 'iris.rm', role: 'records_manager' }),
    ]);
    // The admin cannot see (or clear) the alerts: only roles with audit.view.
    expect(await refused('staff.alerts', {}, admin)).toBe('PERMISSION_DENIED');

    const rm = memorySession();
    expect(await ok('auth.login', { username: 'iris.rm', password: 'iris knows this one' }, rm)).toMatchObject({ mustChangePassword: true });
    expect(await ok('auth.status', {}, rm)).toMatchObject({ mustChangePassword: true, principal: { role: 'records_manager' } });
    // Every signed-in channel but the change itself and sign-out is refused, by main, before validation.
    const blocked = Object.entries(api).filter(([name, def]) => def.permission !== 'public' && !PASSWORD_CHANGE_CHANNELS.has(name));
    expect(blocked.length).toBeGreaterThan(20);
    for (const [name] of blocked) expect(await refused(name, {}, rm), name).toBe('PASSWORD_CHANGE_REQUIRED');
    const denied = services.db.prepare(`SELECT count(*) AS n FROM audit_log WHERE outcome = 'denied' AND actor_id = (SELECT id FROM staff WHERE username = 'iris.rm')`).get() as { n: number };
    expect(denied.n).toBeGreaterThan(0);

    // Once changed, the session works (with patient access: which is why the auditor was told).
    await ok('auth.changePassword', { currentPassword: 'iris knows this one', newPassword: 'a password of her own' }, rm);
    expect(await ok('auth.status', {}, rm)).toMatchObject({ mustChangePassword: false });
    await ok('consents.list', {}, rm);
  });

  it('giving an account a role with patient access, or resetting a clinical or another admin\'s password, raises alerts too', async () => {
    const other = memorySession();
    const second = await ok<{ id: string }>('staff.create', { username: 'ian', displayName: 'Ian Admin', role: 'it_admin', password: 'temporary admin 22' }, admin);
    const aud = await ok<{ id: string }>('staff.create', { username: 'ada', displayName: 'Ada Auditor', role: 'auditor', password: 'temporary auditor 2' }, admin);
    const before = (await alerts()).length;
    await ok('staff.update', { id: aud.id, role: 'records_clerk' }, admin);
    await ok('staff.resetPassword', { id: aud.id, password: 'another temporary 1' }, admin);
    await ok('staff.resetPassword', { id: second.id, password: 'another temporary 2' }, admin);
    const fresh = (await alerts()).slice(0, (await alerts()).length - before);
    expect(fresh.map((a) => `${a.kind} ${a.targetUsername}`).sort()).toEqual(['clinical-role-granted ada', 'password-reset ada', 'password-reset ian']);
    // A reset password is temporary as well.
    expect(await ok('auth.login', { username: 'ada', password: 'another temporary 1' }, other)).toMatchObject({ mustChangePassword: true });
    expect(await refused('consents.list', {}, other)).toBe('PASSWORD_CHANGE_REQUIRED');
  });
});

describe('self-service password change', () => {
  it('needs the current password and a different new one, and ends the account\'s other sessions', async () => {
    const a = memorySession();
    const b = memorySession();
    await ok('auth.login', { username: 'abe', password: 'auditor pass phrase 1' }, a);
    await ok('auth.login', { username: 'abe', password: 'auditor pass phrase 1' }, b);
    expect(await refused('auth.changePassword', { currentPassword: 'not my password', newPassword: 'something new 123' }, a)).toBe('AUTH_FAILED');
    expect(await refused('auth.changePassword', { currentPassword: 'auditor pass phrase 1', newPassword: 'auditor pass phrase 1' }, a)).toBe('VALIDATION_FAILED');
    expect(await refused('auth.changePassword', { currentPassword: 'auditor pass phrase 1', newPassword: 'short' }, a)).toBe('VALIDATION_FAILED');
    await ok('auth.changePassword', { currentPassword: 'auditor pass phrase 1', newPassword: 'auditor pass phrase 2' }, a);
    await ok('staff.alerts', {}, a);
    expect(await refused('staff.alerts', {}, b)).toBe('NOT_AUTHENTICATED');
    expect(await refused('auth.login', { username: 'abe', password: 'auditor pass phrase 1' }, b)).toBe('AUTH_FAILED');
    expect(await refused('auth.changePassword', { currentPassword: 'x', newPassword: 'y' }, memorySession())).toBe('NOT_AUTHENTICATED');
    await ok('auth.login', { username: 'abe', password: 'auditor pass phrase 2' }, auditor);
  });
});
