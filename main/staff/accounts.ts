// Local staff accounts: the first IT admin created at set-up, sign-in with lockout after repeated failures,
// and account management by IT admins. Roles and what they allow live in main/api/permissions.ts.
import crypto from 'node:crypto';
import type { StaffMember } from '../api/auth';
import { AppError } from '../api/errors';
import type { Principal, Role } from '../api/permissions';
import type { Db } from '../db/connection';
import { hashPassword, passwordProblem, verifyPassword } from './passwords';

export interface LockoutPolicy {
  maxFailedAttempts: number;
  lockMinutes: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { maxFailedAttempts: 5, lockMinutes: 15 };

export interface StaffRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  password_hash: string;
  failed_attempts: number;
  locked_until: string | null;
  disabled: number;
  created_at: string;
  must_change_password: number;
}

/** What the API returns for an account: the contract's StaffMember. */
export type StaffSummary = StaffMember;

export type SignInResult =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'invalid' | 'locked' | 'disabled'; lockedUntil?: string; justLocked?: boolean; staffId?: string };

// Verifying against this keeps an unknown username as slow as a wrong password (no user enumeration by timing).
let dummyHash: Promise<string> | null = null;

export function toSummary(row: StaffRow, now: Date = new Date()): StaffSummary {
  const locked = row.locked_until !== null && new Date(row.locked_until) > now;
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    locked,
    lockedUntil: locked ? row.locked_until : null,
    disabled: row.disabled === 1,
    createdAt: row.created_at,
    mustChangePassword: row.must_change_password === 1,
  };
}

export function staffCount(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM staff').get() as { n: number }).n;
}

export function findStaff(db: Db, id: string): StaffRow | undefined {
  return db.prepare('SELECT * FROM staff WHERE id = ?').get(id) as StaffRow | undefined;
}

export interface NewStaff {
  username: string;
  displayName: string;
  role: Role;
  password: string;
}

export interface PasswordWriteOptions {
  /** The password was chosen by someone else (an IT admin): its owner must replace it at the next sign-in. */
  mustChangePassword?: boolean;
  /** Runs in the same transaction as the write (e.g. the auditor's alert), so neither happens without the other. */
  inTransaction?: (account: StaffSummary) => void;
}

export async function createStaff(db: Db, input: NewStaff, options: PasswordWriteOptions = {}): Promise<StaffSummary> {
  const problem = passwordProblem(input.password);
  if (problem) throw new AppError('VALIDATION_FAILED', `Password ${problem}.`, { issues: [{ field: 'password', message: problem }] });
  const hash = await hashPassword(input.password);
  const id = crypto.randomUUID();
  try {
    db.transaction(() => {
      db.prepare('INSERT INTO staff (id, username, display_name, role, password_hash, must_change_password) VALUES (?, ?, ?, ?, ?, ?)').run(
        id,
        input.username,
        input.displayName,
        input.role,
        hash,
        options.mustChangePassword ? 1 : 0,
      );
      options.inTransaction?.(toSummary(findStaff(db, id)!));
    })();
  } catch (err) {
    if (/UNIQUE/.test((err as Error).message)) {
      throw new AppError('CONFLICT', `The username ${input.username} is taken.`, { issues: [{ field: 'username', message: 'taken' }] });
    }
    throw err;
  }
  return toSummary(findStaff(db, id)!);
}

/** The set-up screen's one-time action: only allowed while no account exists. */
export async function createFirstAdmin(db: Db, input: Omit<NewStaff, 'role'>): Promise<StaffSummary> {
  if (staffCount(db) > 0) throw new AppError('CONFLICT', 'Set-up is already done: sign in with an existing account.');
  return createStaff(db, { ...input, role: 'it_admin' });
}

export async function signIn(db: Db, username: string, password: string, now: Date = new Date(), policy: LockoutPolicy = DEFAULT_LOCKOUT): Promise<SignInResult> {
  const row = db.prepare('SELECT * FROM staff WHERE username = ?').get(username) as StaffRow | undefined;
  if (!row) {
    dummyHash ??= hashPassword(crypto.randomBytes(16).toString('hex'));
    await verifyPassword(password, await dummyHash);
    return { ok: false, reason: 'invalid' };
  }
  if (row.disabled) return { ok: false, reason: 'disabled', staffId: row.id };
  if (row.locked_until && new Date(row.locked_until) > now) return { ok: false, reason: 'locked', lockedUntil: row.locked_until, staffId: row.id };

  if (await verifyPassword(password, row.password_hash)) {
    db.prepare('UPDATE staff SET failed_attempts = 0, locked_until = NULL WHERE id = ?').run(row.id);
    return { ok: true, principal: { id: row.id, name: row.display_name, role: row.role } };
  }
  // A lock that has run out starts a fresh count.
  const expired = row.locked_until !== null;
  const failures = (expired ? 0 : row.failed_attempts) + 1;
  if (failures >= policy.maxFailedAttempts) {
    const until = new Date(now.getTime() + policy.lockMinutes * 60_000).toISOString();
    db.prepare('UPDATE staff SET failed_attempts = ?, locked_until = ? WHERE id = ?').run(failures, until, row.id);
    return { ok: false, reason: 'locked', lockedUntil: until, justLocked: true, staffId: row.id };
  }
  db.prepare('UPDATE staff SET failed_attempts = ?, locked_until = NULL WHERE id = ?').run(failures, row.id);
  return { ok: false, reason: 'invalid', staffId: row.id };
}

export function listStaff(db: Db, now: Date = new Date()): StaffSummary[] {
  return (db.prepare('SELECT * FROM staff ORDER BY username').all() as StaffRow[]).map((r) => toSummary(r, now));
}

export function updateStaff(db: Db, id: string, changes: { role?: Role; displayName?: string; disabled?: boolean; unlock?: boolean }, actorId: string): StaffSummary {
  const row = findStaff(db, id);
  if (!row) throw new AppError('NOT_FOUND', `No staff account ${id}.`);
  if (id === actorId && (changes.disabled || (changes.role && changes.role !== 'it_admin'))) {
    throw new AppError('CONFLICT', 'You cannot disable your own account or remove your own IT-admin role.');
  }
  const itAdmins = (db.prepare(`SELECT count(*) AS n FROM staff WHERE role = 'it_admin' AND disabled = 0`).get() as { n: number }).n;
  const losesAdmin = row.role === 'it_admin' && row.disabled === 0 && (changes.disabled || (changes.role && changes.role !== 'it_admin'));
  if (losesAdmin && itAdmins <= 1) throw new AppError('CONFLICT', 'At least one active IT-admin account must remain.');
  db.prepare(
    `UPDATE staff SET role = COALESCE(?, role), display_name = COALESCE(?, display_name), disabled = COALESCE(?, disabled),
       failed_attempts = CASE WHEN ? THEN 0 ELSE failed_attempts END, locked_until = CASE WHEN ? THEN NULL ELSE locked_until END,
       updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`,
  ).run(changes.role ?? null, changes.displayName ?? null, changes.disabled === undefined ? null : changes.disabled ? 1 : 0, changes.unlock ? 1 : 0, changes.unlock ? 1 : 0, id);
  return toSummary(findStaff(db, id)!);
}

export async function setPassword(db: Db, id: string, password: string, options: PasswordWriteOptions = {}): Promise<void> {
  const problem = passwordProblem(password);
  if (problem) throw new AppError('VALIDATION_FAILED', `Password ${problem}.`, { issues: [{ field: 'password', message: problem }] });
  const hash = await hashPassword(password);
  db.transaction(() => {
    const changed = db
      .prepare(
        `UPDATE staff SET password_hash = ?, failed_attempts = 0, locked_until = NULL, must_change_password = ?,
           password_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`,
      )
      .run(hash, options.mustChangePassword ? 1 : 0, id).changes;
    if (!changed) throw new AppError('NOT_FOUND', `No staff account ${id}.`);
    options.inTransaction?.(toSummary(findStaff(db, id)!));
  })();
}

/** Self-service: the owner proves the current password and picks a different one; clears a pending forced change. */
export async function changeOwnPassword(db: Db, id: string, currentPassword: string, newPassword: string): Promise<void> {
  const row = findStaff(db, id);
  if (!row || !(await verifyPassword(currentPassword, row.password_hash))) {
    throw new AppError('AUTH_FAILED', 'The current password is wrong.', { issues: [{ field: 'currentPassword', message: 'is wrong' }] });
  }
  if (newPassword === currentPassword) {
    throw new AppError('VALIDATION_FAILED', 'The new password must differ from the current one.', { issues: [{ field: 'newPassword', message: 'must differ from the current password' }] });
  }
  await setPassword(db, id, newPassword, { mustChangePassword: false });
}
