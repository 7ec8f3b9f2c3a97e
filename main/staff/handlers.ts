// Handlers of the auth and staff channels: set-up of the first IT admin, sign-in throttled by source, sign-out, and
// account management. Sessions live in the transport's SessionHolder; the dispatcher audits every call.
import type { HandlersFor } from '../api/channel';
import type { authChannels } from '../api/auth';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import type { RequestContext, SessionResolver } from '../runtime/dispatcher';
import { changeOwnPassword, createFirstAdmin, createStaff, findStaff, listStaff, setPassword, signIn, staffCount, updateStaff } from './accounts';
import { listStaffAlerts, PATIENT_ACCESS_ROLES, raiseStaffAlert } from './alerts';
import { SignInThrottle } from './throttle';
import { DEFAULT_IDLE_MINUTES, endSession, endSessionsOf, openSession, resolveSession } from './sessions';

export interface StaffDeps {
  db: Db;
  idleMinutes?: number;
  now?: () => Date;
  /** Sign-in throttling by source and typed username; one per process (the composition root's). */
  throttle?: SignInThrottle;
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
  const throttle = deps.throttle ?? new SignInThrottle(undefined, () => now().getTime());
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
      // The account, its session and the audit entry commit together; the caller holds the session only after.
      let token = '';
      const admin = await createFirstAdmin(db, input, (write) =>
        ctx.commit(() => {
          const created = write();
          token = openSession(db, created.id, ctx.transport, now());
          ctx.audit({ actor: { id: created.id, name: created.displayName, role: created.role }, subject: created.username, details: { role: created.role } });
          return created;
        }),
      );
      ctx.session.set(token);
      return { principal: { id: admin.id, name: admin.displayName, role: admin.role } };
    },
    'auth.login': async (input, ctx) => {
      // Throttled by where the attempt comes from and the username typed, known or not: a storm from one source
      // slows that source only, and the answer never tells whether the account exists.
      const verdict = throttle.check(ctx.source, input.username);
      if (!verdict.allowed) {
        ctx.audit({ details: { reason: 'throttled', retryAfterSeconds: verdict.retryAfterSeconds } });
        throw new AppError('AUTH_THROTTLED', `Too many failed sign-ins from here. Try again in ${verdict.retryAfterSeconds} s.`, { retryAfterSeconds: verdict.retryAfterSeconds });
      }
      const result = await signIn(db, input.username, input.password);
      if (!result.ok) {
        throttle.failed(ctx.source, input.username);
        // Text typed as a username is kept only when it names an account: anything else (a password typed in the
        // wrong field, say) is not stored.
        if (result.staffId) ctx.audit({ actor: { id: result.staffId, name: input.username, role: 'anonymous' }, subject: input.username });
        ctx.audit({ details: { reason: result.staffId ? result.reason : 'unknown-username' } });
        // One message for unknown user, wrong password and disabled account: no account enumeration.
        throw new AppError('AUTH_FAILED', 'Wrong username or password, or the account is disabled.');
      }
      throttle.succeeded(ctx.source, input.username);
      // The session and its audit entry commit together; the caller holds the session only after.
      const previous = ctx.session.get();
      const mustChangePassword = findStaff(db, result.principal.id)?.must_change_password === 1;
      const token = ctx.commit(() => {
        if (previous) endSession(db, previous, 'sign-out', now());
        ctx.audit({ actor: result.principal, subject: input.username, ...(mustChangePassword ? { details: { mustChangePassword } } : {}) });
        return openSession(db, result.principal.id, ctx.transport, now());
      });
      ctx.session.set(token);
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
    // The password an IT admin types is temporary: its owner must replace it at first sign-in. The account, the
    // auditor's alert and the audit entry commit together.
    'staff.create': (input, ctx) =>
      createStaff(db, input, {
        mustChangePassword: true,
        inTransaction: (account) => {
          if (PATIENT_ACCESS_ROLES.has(account.role)) raiseStaffAlert(db, { kind: 'clinical-account-created', actor: ctx.principal, target: account });
        },
        commit: (write) =>
          ctx.commit(() => {
            const created = write();
            ctx.audit({ subject: created.username, details: { staffId: created.id, role: created.role } });
            return created;
          }),
      }),
    'staff.update': (input, ctx) => {
      const { id, ...changes } = input;
      const updated = db.transaction(() => {
        const before = findStaff(db, id);
        const after = updateStaff(db, id, changes, ctx.principal.id);
        if (before && before.role !== after.role && PATIENT_ACCESS_ROLES.has(after.role)) raiseStaffAlert(db, { kind: 'clinical-role-granted', actor: ctx.principal, target: after });
        return after;
      })();
      if (changes.unlock) throttle.clearUser(updated.username);
      if (changes.disabled) endSessionsOf(db, id, 'admin', now());
      ctx.audit({ subject: updated.username, details: { staffId: id, ...changes } });
      return updated;
    },
    'staff.resetPassword': async (input, ctx) => {
      ctx.audit({ subject: input.id });
      await setPassword(db, input.id, input.password, {
        mustChangePassword: true,
        inTransaction: (account) => {
          // Whoever knows a reset password can sign in as that account: the auditor hears of clinical accounts and other admins.
          if (PATIENT_ACCESS_ROLES.has(account.role) || (account.role === 'it_admin' && account.id !== ctx.principal.id)) {
            raiseStaffAlert(db, { kind: 'password-reset', actor: ctx.principal, target: account });
          }
        },
        commit: ctx.commit,
        after: () => endSessionsOf(db, input.id, 'password-changed', now()),
      });
      return { reset: true as const };
    },
  };
}
