// Channels for set-up, sign-in and staff management. Set-up and sign-in are public; everything else needs a
// signed-in staff member whose role holds the channel's permission.
import { z } from 'zod';
import { channel } from './channel';
import { ROLES, type Principal, type Role } from './permissions';

export interface AuthStatus {
  setupRequired: boolean;
  principal: Principal | null;
  /** The signed-in account's username (the lock screen asks for its password). */
  username: string | null;
  idleMinutes: number;
  /** The signed-in account must choose a new password before anything else (after creation or a reset). */
  mustChangePassword: boolean;
}

/** Password rules, shown by the set-up and staff forms and enforced in main (main/staff/passwords.ts). */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

export interface StaffDirectoryEntry {
  id: string;
  displayName: string;
  role: Role;
}

export interface StaffMember {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  locked: boolean;
  lockedUntil: string | null;
  disabled: boolean;
  createdAt: string;
  /** Its password was set by an IT admin (creation or reset) and its owner has not replaced it yet. */
  mustChangePassword: boolean;
}

/**
 * Account management that could hand someone patient access, raised for the auditor (Audit page): an IT admin
 * creating an account with a role that sees patients, giving an account such a role, or resetting the password of
 * such an account or of another IT admin.
 */
export interface StaffAlert {
  id: number;
  kind: 'clinical-account-created' | 'clinical-role-granted' | 'password-reset';
  actorId: string;
  actorName: string;
  targetStaffId: string;
  targetUsername: string;
  role: Role;
  createdAt: string;
}

/** The only signed-in channels a session may call while its password must change (besides public ones). */
export const PASSWORD_CHANGE_CHANNELS: ReadonlySet<string> = new Set(['auth.changePassword', 'auth.logout']);

const username = z
  .string()
  .trim()
  .min(3, 'must be at least 3 characters')
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'may use letters, digits, dot, dash and underscore');
const displayName = z.string().trim().min(1, 'is required').max(120);
// Length rules are checked in main (passwords.ts) so the message names the rule; here only a sane bound.
const password = z.string().min(1, 'is required').max(1024);

export const authChannels = {
  'auth.status': channel<AuthStatus>()(z.object({}).strict(), 'public', { audited: false }),
  'auth.setup': channel<{ principal: Principal }>()(z.object({ username, displayName, password }).strict(), 'public'),
  'auth.login': channel<{ principal: Principal; mustChangePassword: boolean }>()(z.object({ username: z.string().trim().min(1).max(64), password }).strict(), 'public'),
  'auth.logout': channel<{ signedOut: boolean }>()(z.object({}).strict(), 'signed-in'),
  // Self-service: any signed-in staff member, with the current password; ends the account's other sessions.
  'auth.changePassword': channel<{ changed: true }>()(z.object({ currentPassword: password, newPassword: password }).strict(), 'signed-in'),
  'staff.alerts': channel<StaffAlert[]>()(z.object({}).strict(), 'audit.view'),
  'staff.list': channel<StaffMember[]>()(z.object({}).strict(), 'staff.manage'),
  // Names and roles only, for the audit trail's staff filter: auditors cannot manage staff but must find them.
  'staff.directory': channel<StaffDirectoryEntry[]>()(z.object({}).strict(), 'audit.view', { audited: false }),
  'staff.create': channel<StaffMember>()(z.object({ username, displayName, role: z.enum(ROLES), password }).strict(), 'staff.manage'),
  'staff.update': channel<StaffMember>()(
    z
      .object({
        id: z.string().uuid(),
        role: z.enum(ROLES).optional(),
        displayName: displayName.optional(),
        disabled: z.boolean().optional(),
        unlock: z.boolean().optional(),
      })
      .strict(),
    'staff.manage',
  ),
  'staff.resetPassword': channel<{ reset: true }>()(z.object({ id: z.string().uuid(), password }).strict(), 'staff.manage'),
};
