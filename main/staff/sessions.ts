// Signed-in sessions: a random token per sign-in (only its hash is stored), ended by sign-out, by an IT admin,
// or by inactivity (the console locks and asks for the password again).
import crypto from 'node:crypto';
import type { Principal, Role } from '../api/permissions';
import type { Db } from '../db/connection';

export const DEFAULT_IDLE_MINUTES = 15;

const hashToken = (token: string) => crypto.createHash('sha256').update(token, 'utf8').digest('hex');

export function openSession(db: Db, staffId: string, transport: string, now: Date = new Date()): string {
  const token = crypto.randomBytes(32).toString('base64url');
  const at = now.toISOString();
  db.prepare('INSERT INTO staff_sessions (token_hash, staff_id, transport, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)').run(hashToken(token), staffId, transport, at, at);
  return token;
}

export type SessionLookup =
  | { state: 'active'; principal: Principal }
  | { state: 'password-change-required'; principal: Principal }
  | { state: 'locked'; staffId: string; principal: Principal }
  | { state: 'none' };

interface SessionJoin {
  staff_id: string;
  last_seen_at: string;
  ended_at: string | null;
  display_name: string;
  role: Role;
  disabled: number;
  must_change_password: number;
}

/**
 * Resolves a token to its staff member and marks it seen. A session idle for longer than idleMinutes is ended
 * ('idle-lock') and reported once as locked so the caller can record the lock.
 */
export function resolveSession(db: Db, token: string | undefined, now: Date = new Date(), idleMinutes = DEFAULT_IDLE_MINUTES, activity = true): SessionLookup {
  if (!token) return { state: 'none' };
  const hash = hashToken(token);
  const row = db
    .prepare(
      `SELECT s.staff_id, s.last_seen_at, s.ended_at, st.display_name, st.role, st.disabled, st.must_change_password
         FROM staff_sessions s JOIN staff st ON st.id = s.staff_id WHERE s.token_hash = ?`,
    )
    .get(hash) as SessionJoin | undefined;
  if (!row || row.ended_at || row.disabled) return { state: 'none' };
  const principal: Principal = { id: row.staff_id, name: row.display_name, role: row.role };
  if (now.getTime() - new Date(row.last_seen_at).getTime() > idleMinutes * 60_000) {
    db.prepare(`UPDATE staff_sessions SET ended_at = ?, end_reason = 'idle-lock' WHERE token_hash = ?`).run(now.toISOString(), hash);
    return { state: 'locked', staffId: row.staff_id, principal };
  }
  // Only what a person does counts as activity; the status bar's polling must not hold the session open.
  if (activity) db.prepare('UPDATE staff_sessions SET last_seen_at = ? WHERE token_hash = ?').run(now.toISOString(), hash);
  return { state: row.must_change_password ? 'password-change-required' : 'active', principal };
}

export function endSession(db: Db, token: string, reason: 'sign-out' | 'admin' | 'password-changed', now: Date = new Date()): boolean {
  return db.prepare('UPDATE staff_sessions SET ended_at = ?, end_reason = ? WHERE token_hash = ? AND ended_at IS NULL').run(now.toISOString(), reason, hashToken(token)).changes > 0;
}

export function endSessionsOf(db: Db, staffId: string, reason: 'admin' | 'password-changed', now: Date = new Date()): number {
  return db.prepare('UPDATE staff_sessions SET ended_at = ?, end_reason = ? WHERE staff_id = ? AND ended_at IS NULL').run(now.toISOString(), reason, staffId).changes;
}
