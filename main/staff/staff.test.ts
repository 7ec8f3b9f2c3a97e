import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import { openDatabase, type Db } from '../db/connection';
import { migrate } from '../db/migrate';
import { createFirstAdmin, createStaff, listStaff, setPassword, signIn, updateStaff } from './accounts';
import { hashPassword, verifyPassword } from './passwords';
import { endSession, openSession, resolveSession } from './sessions';

let dir: string;
let db: Db;
const PASSWORD = 'correct horse battery';

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-staff-'));
  db = openDatabase(path.join(dir, 'staff.sqlite'));
  migrate(db);
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('passwords', () => {
  it('hashes with a per-user salt and verifies only the right password', async () => {
    const a = await hashPassword(PASSWORD);
    const b = await hashPassword(PASSWORD);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$32768\$8\$3\$/);
    expect(await verifyPassword(PASSWORD, a)).toBe(true);
    expect(await verifyPassword(`${PASSWORD} `, a)).toBe(false);
    expect(await verifyPassword(PASSWORD, 'md5$abc')).toBe(false);
  });
});

describe('accounts', () => {
  it('creates the first IT admin once, then refuses set-up', async () => {
    const admin = await createFirstAdmin(db, { username: 'admin', displayName: 'Ada Admin', password: PASSWORD });
    expect(admin.role).toBe('it_admin');
    await expect(createFirstAdmin(db, { username: 'other', displayName: 'O', password: PASSWORD })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('rejects weak passwords and taken usernames with the field named', async () => {
    await expect(createStaff(db, { username: 'c', displayName: 'C', role: 'records_clerk', password: 'short' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { issues: [{ field: 'password' }] },
    });
    await createStaff(db, { username: 'clerk', displayName: 'C', role: 'records_clerk', password: PASSWORD });
    await expect(createStaff(db, { username: 'CLERK', displayName: 'C2', role: 'auditor', password: PASSWORD })).rejects.toBeInstanceOf(AppError);
  });

  it('signs in with the right password and gives the same answer for unknown users and wrong passwords', async () => {
    await createStaff(db, { username: 'clerk', displayName: 'Cleo Clerk', role: 'records_clerk', password: PASSWORD });
    const ok = await signIn(db, 'clerk', PASSWORD);
    expect(ok).toMatchObject({ ok: true, principal: { name: 'Cleo Clerk', role: 'records_clerk' } });
    expect(await signIn(db, 'nobody', PASSWORD)).toEqual({ ok: false, reason: 'invalid' });
    expect(await signIn(db, 'clerk', 'wrong password!!')).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('never locks an account on failures: the right password still works after many wrong ones (throttling is by source)', async () => {
    await createStaff(db, { username: 'clerk', displayName: 'C', role: 'records_clerk', password: PASSWORD });
    for (let i = 1; i <= 20; i++) expect(await signIn(db, 'clerk', 'wrong password!!')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(listStaff(db).find((s) => s.username === 'clerk')!.locked).toBe(false);
    expect(await signIn(db, 'clerk', PASSWORD)).toMatchObject({ ok: true });
  });

  it('keeps at least one active IT admin and lets an admin unlock and reset others', async () => {
    const admin = await createFirstAdmin(db, { username: 'admin', displayName: 'A', password: PASSWORD });
    const clerk = await createStaff(db, { username: 'clerk', displayName: 'C', role: 'records_clerk', password: PASSWORD });
    expect(() => updateStaff(db, admin.id, { disabled: true }, admin.id)).toThrow(/own account/);
    const other = await createStaff(db, { username: 'admin2', displayName: 'B', role: 'it_admin', password: PASSWORD });
    updateStaff(db, admin.id, { role: 'auditor' }, other.id);
    expect(() => updateStaff(db, other.id, { disabled: true }, admin.id)).toThrow(/At least one active IT-admin/);
    updateStaff(db, clerk.id, { unlock: true }, other.id);
    await setPassword(db, clerk.id, 'a brand new passphrase');
    expect(await signIn(db, 'clerk', 'a brand new passphrase')).toMatchObject({ ok: true });
  });
});

describe('sessions', () => {
  it('resolves a token to its staff member, locks after inactivity and ends on sign-out', async () => {
    const clerk = await createStaff(db, { username: 'clerk', displayName: 'C', role: 'records_clerk', password: PASSWORD });
    const t0 = new Date('2026-01-01T10:00:00Z');
    const token = openSession(db, clerk.id, 'browser', t0);
    expect(db.prepare('SELECT token_hash FROM staff_sessions').get()).not.toEqual({ token_hash: token });
    expect(resolveSession(db, token, new Date('2026-01-01T10:10:00Z'))).toMatchObject({ state: 'active', principal: { id: clerk.id } });
    // Seen at 10:10, so still active at 10:24, locked at 10:40.
    expect(resolveSession(db, token, new Date('2026-01-01T10:24:00Z')).state).toBe('active');
    expect(resolveSession(db, token, new Date('2026-01-01T10:40:00Z')).state).toBe('locked');
    expect(resolveSession(db, token, new Date('2026-01-01T10:40:01Z')).state).toBe('none');

    const second = openSession(db, clerk.id, 'browser');
    expect(endSession(db, second, 'sign-out')).toBe(true);
    expect(resolveSession(db, second).state).toBe('none');
    expect(resolveSession(db, 'forged-token').state).toBe('none');
    expect(resolveSession(db, undefined).state).toBe('none');
  });

  it('ends sessions of a disabled account at once', async () => {
    const admin = await createFirstAdmin(db, { username: 'admin', displayName: 'A', password: PASSWORD });
    const clerk = await createStaff(db, { username: 'clerk', displayName: 'C', role: 'records_clerk', password: PASSWORD });
    const token = openSession(db, clerk.id, 'electron');
    updateStaff(db, clerk.id, { disabled: true }, admin.id);
    expect(resolveSession(db, token).state).toBe('none');
  });
});

describe('session activity', () => {
  it('does not count background polling as activity, so an unattended session still locks', async () => {
    const clerk = await createStaff(db, { username: 'clerk', displayName: 'C', role: 'records_clerk', password: PASSWORD });
    const token = openSession(db, clerk.id, 'browser', new Date('2026-01-01T10:00:00Z'));
    for (let minute = 1; minute <= 14; minute++) {
      expect(resolveSession(db, token, new Date(Date.UTC(2026, 0, 1, 10, minute)), 15, false).state).toBe('active');
    }
    expect(resolveSession(db, token, new Date('2026-01-01T10:16:00Z'), 15, false).state).toBe('locked');
  });
});
