// Who is using this window: set-up, signed out, signed in, or locked. Asks main (auth.status) at start, follows
// sign-in, sign-out and the lock (idle here, or refused by main), and tells every query to read again when it
// changes. The session token itself never reaches this code: main keeps it (HttpOnly cookie / per-window map).
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactElement, type ReactNode } from 'react';
import type { Principal, Role } from '../../../main/api/permissions';
import { ROLES, type ChannelAccess } from '../../../main/api/permissions';
import { roleAllows } from '../../../main/api/role-check';
import { ApiCallError, invoke, notifySessionChanged, onSessionProblem } from '../api/client';
import { watchIdle } from './idle';

/** Why the console is locked: idle here, idle in main, ended in main (signed out elsewhere, disabled), or by hand. */
export type LockReason = 'idle' | 'server-idle' | 'ended' | 'manual';

export type SessionState =
  | { kind: 'checking' }
  | { kind: 'unreachable'; error: ApiCallError }
  | { kind: 'setup'; idleMinutes: number }
  | { kind: 'signed-out'; idleMinutes: number; notice: string | null }
  | { kind: 'signed-in'; principal: StaffPrincipal; username: string | null; idleMinutes: number }
  /** Signed in with a temporary password (set by an IT admin): main refuses everything but changing it. */
  | { kind: 'must-change-password'; principal: StaffPrincipal; username: string | null; idleMinutes: number }
  | { kind: 'locked'; principal: StaffPrincipal; username: string | null; idleMinutes: number; reason: LockReason };

export interface StaffPrincipal extends Principal {
  role: Role;
}

export interface SessionValue {
  state: SessionState;
  /** The signed-in staff member (also while locked), else null. */
  principal: StaffPrincipal | null;
  /** True when the signed-in role may use `access` (convenience only: main checks every call). */
  can: (access: ChannelAccess) => boolean;
  setup: (input: { username: string; displayName: string; password: string }) => Promise<void>;
  signIn: (username: string, password: string) => Promise<void>;
  /** Unlocks with the locked staff member's password; a different username signs that person in instead. */
  unlock: (password: string, username?: string) => Promise<void>;
  signOut: () => Promise<void>;
  /** Self-service password change (also ends a pending forced change). */
  changePassword: (currentPassword: string, newPassword: string) => Promise<void>;
  lock: (reason: LockReason) => void;
  /** Reads auth.status again (after "Try again" on the unreachable screen). */
  recheck: () => void;
}

const SessionContext = createContext<SessionValue | null>(null);

// The username is not part of the principal main reports, but the lock screen needs it to sign the same person
// back in. Kept per tab (it dies with the tab), never the password.
const USERNAME_KEY = 'custodian.signed-in-username';

function rememberUsername(principalId: string, username: string): void {
  try {
    window.sessionStorage.setItem(USERNAME_KEY, JSON.stringify({ principalId, username }));
  } catch {
    // Storage disabled: the lock screen then asks for the username too.
  }
}

function recallUsername(principalId: string): string | null {
  try {
    const raw = window.sessionStorage.getItem(USERNAME_KEY);
    const saved = raw ? (JSON.parse(raw) as { principalId?: unknown; username?: unknown }) : null;
    return saved && saved.principalId === principalId && typeof saved.username === 'string' ? saved.username : null;
  } catch {
    return null;
  }
}

function asStaff(principal: Principal | null | undefined): StaffPrincipal | null {
  if (!principal || !(ROLES as readonly string[]).includes(principal.role)) return null;
  return principal as StaffPrincipal;
}

const DEFAULT_IDLE_MINUTES = 15;

export function SessionProvider({ children }: { children: ReactNode }): ReactElement {
  const [state, setState] = useState<SessionState>({ kind: 'checking' });
  const stateRef = useRef(state);
  stateRef.current = state;
  const [checkNonce, setCheckNonce] = useState(0);

  useEffect(() => {
    let cancelled = false;
    invoke('auth.status', {}).then(
      (status) => {
        if (cancelled) return;
        const principal = asStaff(status.principal);
        if (status.setupRequired) setState({ kind: 'setup', idleMinutes: status.idleMinutes });
        else if (principal) {
          setState({ kind: status.mustChangePassword ? 'must-change-password' : 'signed-in', principal, username: recallUsername(principal.id), idleMinutes: status.idleMinutes });
        }
        else setState({ kind: 'signed-out', idleMinutes: status.idleMinutes, notice: null });
      },
      (err: unknown) => {
        if (!cancelled) setState({ kind: 'unreachable', error: err instanceof ApiCallError ? err : new ApiCallError('auth.status', 'INTERNAL', String(err)) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [checkNonce]);

  const idleMinutes = 'idleMinutes' in state ? state.idleMinutes : DEFAULT_IDLE_MINUTES;

  const lock = useCallback((reason: LockReason) => {
    const current = stateRef.current;
    if (current.kind !== 'signed-in') return;
    setState({ kind: 'locked', principal: current.principal, username: current.username, idleMinutes: current.idleMinutes, reason });
    // Locked here: end the session in main too, so the lock holds even for a script that still has the cookie.
    if (reason === 'idle' || reason === 'manual') void invoke('auth.logout', {}).catch(() => undefined);
    notifySessionChanged();
  }, []);

  // Main refused a call because the session is locked or gone: lock the screen, keep the place.
  useEffect(
    () =>
      onSessionProblem((error) => {
        lock(error.code === 'SESSION_LOCKED' ? 'server-idle' : 'ended');
      }),
    [lock],
  );

  const signedIn = state.kind === 'signed-in';
  useEffect(() => {
    if (!signedIn) return;
    return watchIdle(window, idleMinutes, () => lock('idle'));
  }, [signedIn, idleMinutes, lock]);

  const enter = useCallback((principal: Principal, username: string, mustChangePassword = false) => {
    const staff = asStaff(principal);
    if (!staff) throw new ApiCallError('auth.login', 'INTERNAL', 'Main answered the sign-in without a staff role.');
    rememberUsername(staff.id, username);
    setState({ kind: mustChangePassword ? 'must-change-password' : 'signed-in', principal: staff, username, idleMinutes: 'idleMinutes' in stateRef.current ? stateRef.current.idleMinutes : DEFAULT_IDLE_MINUTES });
    notifySessionChanged();
  }, []);

  const setup = useCallback<SessionValue['setup']>(
    async (input) => {
      const { principal } = await invoke('auth.setup', input);
      enter(principal, input.username.trim());
    },
    [enter],
  );

  const signIn = useCallback<SessionValue['signIn']>(
    async (username, password) => {
      const { principal, mustChangePassword } = await invoke('auth.login', { username, password });
      enter(principal, username.trim(), mustChangePassword);
    },
    [enter],
  );

  const unlock = useCallback<SessionValue['unlock']>(
    async (password, username) => {
      const current = stateRef.current;
      const name = username ?? (current.kind === 'locked' ? current.username : null);
      if (!name) throw new ApiCallError('auth.login', 'VALIDATION_FAILED', 'Enter your username.');
      const { principal, mustChangePassword } = await invoke('auth.login', { username: name, password });
      enter(principal, name.trim(), mustChangePassword);
    },
    [enter],
  );

  const signOut = useCallback(async () => {
    const wasLocked = stateRef.current.kind === 'locked';
    try {
      if (!wasLocked) await invoke('auth.logout', {});
    } catch {
      // Already ended in main (NOT_AUTHENTICATED): signed out either way.
    }
    try {
      window.sessionStorage.removeItem(USERNAME_KEY);
    } catch {
      // ignore
    }
    setState((s) => ({ kind: 'signed-out', idleMinutes: 'idleMinutes' in s ? s.idleMinutes : DEFAULT_IDLE_MINUTES, notice: 'You are signed out.' }));
    notifySessionChanged();
  }, []);

  const changePassword = useCallback<SessionValue['changePassword']>(async (currentPassword, newPassword) => {
    await invoke('auth.changePassword', { currentPassword, newPassword });
    const current = stateRef.current;
    if (current.kind === 'must-change-password') {
      setState({ kind: 'signed-in', principal: current.principal, username: current.username, idleMinutes: current.idleMinutes });
      notifySessionChanged();
    }
  }, []);

  const recheck = useCallback(() => {
    setState({ kind: 'checking' });
    setCheckNonce((n) => n + 1);
  }, []);

  const principal = state.kind === 'signed-in' || state.kind === 'locked' || state.kind === 'must-change-password' ? state.principal : null;
  const value = useMemo<SessionValue>(
    () => ({
      state,
      principal,
      can: (access) => roleAllows(state.kind === 'signed-in' ? state.principal.role : 'anonymous', access),
      setup,
      signIn,
      unlock,
      signOut,
      changePassword,
      lock,
      recheck,
    }),
    [state, principal, setup, signIn, unlock, signOut, changePassword, lock, recheck],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession must be used inside <SessionProvider>');
  return value;
}

/** The role of whoever is signed in here, or null (for components that may also render outside a session). */
export function useOptionalSession(): SessionValue | null {
  return useContext(SessionContext);
}
