// Local staff accounts: the first IT admin created at set-up, sign-in (throttled by source in throttle.ts, never
// locked by failures), and account management by IT admins. Roles and what they allow live in main/api/permissions.ts.
import crypto from 'node:crypto';
import type { StaffMember } from '../api/auth';
import { AppError } from '../api/errors';
import type { Principal, Role } from '../api/permissions';
import type { Db } from '../db/connection';
import { hashPassword, passwordProblem, verifyPassword } from './passwords';

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

export type SignInResult = { ok: true; principal: Principal } | { ok: false; reason: 'invalid' | 'disabled'; staffId?: string };

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

/** Runs the synchronous write of an account change; the API passes ctx.commit so the audit entry commits with it. */
export type WriteCommit<T> = (write: () => T) => T;
const direct = <T>(write: () => T): T => write();

export interface PasswordWriteOptions {
  /** The password was chosen by someone else (an IT admin): its owner must replace it at the next sign-in. */
  mustChangePassword?: boolean;
  /** Runs in the same transaction as the write (e.g. the auditor's alert), so neither happens without the other. */
  inTransaction?: (account: StaffSummary) => void;
}

export async function createStaff(db: Db, input: NewStaff, options: PasswordWriteOptions & { commit?: WriteCommit<StaffSummary> } = {}): Promise<StaffSummary> {
  const problem = passwordProblem(input.password);
  if (problem) throw new AppError('VALIDATION_FAILED', `Password ${problem}.`, { issues: [{ field: 'password', message: problem }] });
  const hash = await hashPassword(input.password);
  const id = crypto.randomUUID();
  return (options.commit ?? direct)(() => {
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
  });
}

/** The set-up screen's one-time action: only allowed while no account exists. */
export async function createFirstAdmin(db: Db, input: Omit<NewStaff, 'role'>, commit: WriteCommit<StaffSummary> = direct): Promise<StaffSummary> {
  if (staffCount(db) > 0) throw new AppError('CONFLICT', 'Set-up is already done: sign in with an existing account.');
  // Checked again inside the write: two set-ups racing through the password hash must not both succeed.
  return createStaff(db, { ...input, role: 'it_admin' }, {
    commit: (write) =>
      commit(() => {
        if (staffCount(db) > 0) throw new AppError('CONFLICT', 'Set-up is already done: sign in with an existing account.');
        return write();
      }),
  });
}

/**
 * Checks a password. Every path verifies one scrypt hash (the account's, or a dummy for an unknown username), so
 * unknown, disabled and known accounts take the same time. Failures are counted per account (failed_attempts, for
 * the staff screen) but never lock it: throttling by source is the caller's (throttle.ts), so an anonymous storm
 * cannot lock staff out. A lock set before this change (locked_until) is no longer enforced.
 */
export async function signIn(db: Db, username: string, password: string): Promise<SignInResult> {
  const row = db.prepare('SELECT * FROM staff WHERE username = ?').get(username) as StaffRow | undefined;
  dummyHash ??= hashPassword(crypto.randomBytes(16).toString('hex'));
  const hash = row ? row.password_hash : await dummyHash;
  const matches = await verifyPassword(password, hash);
  if (!row) return { ok: false, reason: 'invalid' };
  if (row.disabled) return { ok: false, reason: 'disabled', staffId: row.id };
  if (matches) {
    db.prepare('UPDATE staff SET failed_attempts = 0, locked_until = NULL WHERE id = ?').run(row.id);
    return { ok: true, principal: { id: row.id, name: row.display_name, role: row.role } };
  }
  db.prepare('UPDATE staff SET failed_attempts = failed_attempts + 1, locked_until = NULL WHERE id = ?').run(row.id);
  return { ok: false, reason: 'invalid', staffId: row.id };
}

/** Clears the failure count of an account by username (`custodian staff unlock`); false when there is none. */
export function unlockByUsername(db: Db, username: string): string | null {
  const row = db.prepare('SELECT id FROM staff WHERE username = ?').get(username) as { id: string } | undefined;
  if (!row) return null;
  db.prepare('UPDATE staff SET failed_attempts = 0, locked_until = NULL WHERE id = ?').run(row.id);
  return row.id;
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

export async function setPassword(
  db: Db,
  id: string,
  password: string,
  options: PasswordWriteOptions & { commit?: WriteCommit<void>; after?: () => void } = {},
): Promise<void> {
  const problem = passwordProblem(password);
  if (problem) throw new AppError('VALIDATION_FAILED', `Password ${problem}.`, { issues: [{ field: 'password', message: problem }] });
  const hash = await hashPassword(password);
  (options.commit ?? direct)(() => {
    const changed = db
      .prepare(
        `UPDATE staff SET password_hash = ?, failed_attempts = 0, locked_until = NULL, must_change_password = ?,
           password_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`,
      )
      .run(hash, options.mustChangePassword ? 1 : 0, id).changes;
    if (!changed) throw new AppError('NOT_FOUND', `No staff account ${id}.`);
    options.inTransaction?.(toSummary(findStaff(db, id)!));
    options.after?.();
  });
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

/** Enabled accounts of records staff and auditors: the people the console is for, beyond its IT administrators. */
export function enabledStaffOutsideIt(db: Db): number {
  return (db.prepare(`SELECT count(*) AS n FROM staff WHERE role != 'it_admin' AND disabled = 0`).get() as { n: number }).n;
}
