// Handlers of the auth and staff channels: set-up of the first IT admin, sign-in with lockout, sign-out, and
// account management. Sessions live in the transport's SessionHolder; the dispatcher audits every call.
import type { HandlersFor } from '../api/channel';
import type { authChannels } from '../api/auth';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import type { RequestContext, SessionResolver } from '../runtime/dispatcher';
import { changeOwnPassword, createFirstAdmin, createStaff, findStaff, listStaff, setPassword, signIn, staffCount, updateStaff } from './accounts';
import { listStaffAlerts, PATIENT_ACCESS_ROLES, raiseStaffAlert } from './alerts';
import { DEFAULT_IDLE_MINUTES, endSession, endSessionsOf, openSession, resolveSession } from './sessions';

export interface StaffDeps {
  db: Db;
  idleMinutes?: number;
  now?: () => Date;
}

export function createSessionResolver(deps: StaffDeps): SessionResolver {
  return (token, activity) => {
    const r = resolveSession(deps.db, token, deps.now?.() ?? new Date(), deps.idleMinutes ?? DEFAULT_IDLE_MINUTES, activity);
    return r.state === 'none' ? r : { state: r.state, principal: r.principal };
  };
}

export function createAuthHandlers(deps: StaffDeps): HandlersFor<typeof authChannels, RequestContext> {
  const { db } = deps;
  const now = () => deps.now?.() ?? new Date();
  return {
    'auth.status': (_input, ctx) => {
      const signedIn = ctx.principal.role !== 'anonymous';
      const row = signedIn ? findStaff(db, ctx.principal.id) : undefined;
      return {
        setupRequired: staffCount(db) === 0,
        principal: signedIn ? ctx.principal : null,
        username: row?.username ?? null,
        idleMinutes: deps.idleMinutes ?? DEFAULT_IDLE_MINUTES,
        mustChangePassword: row?.must_change_password === 1,
      };
    },
    'auth.setup': async (input, ctx) => {
      const admin = await createFirstAdmin(db, input);
      const principal = { id: admin.id, name: admin.displayName, role: admin.role };
      ctx.session.set(openSession(db, admin.id, ctx.transport, now()));
      ctx.audit({ actor: principal, subject: admin.username, details: { role: admin.role } });
      return { principal };
    },
    'auth.login': async (input, ctx) => {
      const result = await signIn(db, input.username, input.password, now());
      if (!result.ok) {
        if (result.staffId) ctx.audit({ actor: { id: result.staffId, name: input.username, role: 'anonymous' } });
        ctx.audit({ subject: input.username, details: { reason: result.reason, ...(result.justLocked ? { lockedNow: true } : {}) } });
        if (result.reason === 'locked') {
          throw new AppError('AUTH_LOCKED', `This account is locked after repeated failed sign-ins until ${result.lockedUntil}. An IT administrator can unlock it sooner.`, {
            lockedUntil: result.lockedUntil,
          });
        }
        // One message for unknown user, wrong password and disabled account: no account enumeration.
        throw new AppError('AUTH_FAILED', 'Wrong username or password, or the account is disabled.');
      }
      const previous = ctx.session.get();
      if (previous) endSession(db, previous, 'sign-out', now());
      ctx.session.set(openSession(db, result.principal.id, ctx.transport, now()));
      const mustChangePassword = findStaff(db, result.principal.id)?.must_change_password === 1;
      ctx.audit({ actor: result.principal, subject: input.username, ...(mustChangePassword ? { details: { mustChangePassword } } : {}) });
      return { principal: result.principal, mustChangePassword };
    },
    'auth.changePassword': async (input, ctx) => {
      await changeOwnPassword(db, ctx.principal.id, input.currentPassword, input.newPassword);
      // Every other session of this account ends (someone who knew the old password is out); this one goes on.
      const current = ctx.session.get();
      endSessionsOf(db, ctx.principal.id, 'password-changed', now());
      if (current) ctx.session.set(openSession(db, ctx.principal.id, ctx.transport, now()));
      ctx.audit({ subject: ctx.principal.id });
      return { changed: true };
    },
    'staff.alerts': () => listStaffAlerts(db),
    'auth.logout': (_input, ctx) => {
      const token = ctx.session.get();
      const signedOut = token ? endSession(db, token, 'sign-out', now()) : false;
      ctx.session.set(undefined);
      return { signedOut };
    },
    'staff.list': () => listStaff(db, now()),
    'staff.directory': () => listStaff(db, now()).map((s) => ({ id: s.id, displayName: s.displayName, role: s.role })),
    // The password an IT admin types is temporary: its owner must replace it at first sign-in.
    'staff.create': async (input, ctx) => {
      const created = await createStaff(db, input, {
        mustChangePassword: true,
        inTransaction: (account) => {
          if (PATIENT_ACCESS_ROLES.has(account.role)) raiseStaffAlert(db, { kind: 'clinical-account-created', actor: ctx.principal, target: account });
        },
      });
      ctx.audit({ subject: created.username, details: { staffId: created.id, role: created.role } });
      return created;
    },
    'staff.update': (input, ctx) => {
      const { id, ...changes } = input;
      const updated = db.transaction(() => {
        const before = findStaff(db, id);
        const after = updateStaff(db, id, changes, ctx.principal.id);
        if (before && before.role !== after.role && PATIENT_ACCESS_ROLES.has(after.role)) raiseStaffAlert(db, { kind: 'clinical-role-granted', actor: ctx.principal, target: after });
        return after;
      })();
      if (changes.disabled) endSessionsOf(db, id, 'admin', now());
      ctx.audit({ subject: updated.username, details: { staffId: id, ...changes } });
      return updated;
    },
    'staff.resetPassword': async (input, ctx) => {
      await setPassword(db, input.id, input.password, {
        mustChangePassword: true,
        inTransaction: (account) => {
          // Whoever knows a reset password can sign in as that account: the auditor hears of clinical accounts and other admins.
          if (PATIENT_ACCESS_ROLES.has(account.role) || (account.role === 'it_admin' && account.id !== ctx.principal.id)) {
            raiseStaffAlert(db, { kind: 'password-reset', actor: ctx.principal, target: account });
          }
        },
      });
      endSessionsOf(db, input.id, 'password-changed', now());
      ctx.audit({ subject: input.id });
      return { reset: true };
    },
  };
}
