// The bulk_revokes and bulk_revoke_consents tables (migration 0020): what each bulk revoke changed, for its undo. Owned
// here; bulk-revoke.ts calls these. Written in the revoke's transaction, marked undone in the undo's, so a restart
// between the two changes nothing about who may undo what.
import type { Db } from '../db/connection';

export interface BulkRevokeRecord {
  id: string;
  actorId: string;
  reason: string;
  outboxFrom: number;
  outboxTo: number;
  createdAt: string;
  /** ISO time after which undo is refused; null: no window. */
  undoUntil: string | null;
  undoneAt: string | null;
  consentIds: number[];
}

/** A revoked consent as it was just before the bulk revoke. */
export interface PriorConsentState {
  consentId: number;
  status: 'active';
  seq: number;
  hlc: string;
}

export function insertBulkRevoke(db: Db, r: Omit<BulkRevokeRecord, 'undoneAt' | 'consentIds'>, prior: readonly PriorConsentState[]): void {
  db.prepare(
    `INSERT INTO bulk_revokes (id, actor_id, reason, outbox_from, outbox_to, created_at, undo_until) VALUES (@id, @actorId, @reason, @outboxFrom, @outboxTo, @createdAt, @undoUntil)`,
  ).run(r);
  const add = db.prepare(`INSERT INTO bulk_revoke_consents (bulk_id, consent_id, prior_status, prior_seq, prior_hlc) VALUES (?, ?, ?, ?, ?)`);
  for (const p of prior) add.run(r.id, p.consentId, p.status, p.seq, p.hlc);
}

/** The bulk revoke `id` when `actorId` made it; undefined otherwise (another's is as unknown as one that never was). */
export function bulkRevokeOf(db: Db, id: string, actorId: string): BulkRevokeRecord | undefined {
  const row = db
    .prepare(
      `SELECT id, actor_id AS actorId, reason, outbox_from AS outboxFrom, outbox_to AS outboxTo, created_at AS createdAt, undo_until AS undoUntil, undone_at AS undoneAt
       FROM bulk_revokes WHERE id = ? AND actor_id = ?`,
    )
    .get(id, actorId) as Omit<BulkRevokeRecord, 'consentIds'> | undefined;
  if (!row) return undefined;
  const ids = db.prepare(`SELECT consent_id AS id FROM bulk_revoke_consents WHERE bulk_id = ? ORDER BY consent_id`).all(id) as { id: number }[];
  return { ...row, consentIds: ids.map((x) => x.id) };
}

/** The prior states recorded for a bulk revoke, by consent id ascending. */
export function priorStatesOf(db: Db, id: string): PriorConsentState[] {
  return db
    .prepare(`SELECT consent_id AS consentId, prior_status AS status, prior_seq AS seq, prior_hlc AS hlc FROM bulk_revoke_consents WHERE bulk_id = ? ORDER BY consent_id`)
    .all(id) as PriorConsentState[];
}

/** Bulk revokes of `actorId` still open to undo at `now` (not undone, window not passed), newest first. */
export function undoableBulkRevokesOf(db: Db, actorId: string, now: string, limit: number): Omit<BulkRevokeRecord, 'consentIds' | 'reason'>[] {
  return db
    .prepare(
      `SELECT id, actor_id AS actorId, outbox_from AS outboxFrom, outbox_to AS outboxTo, created_at AS createdAt, undo_until AS undoUntil, undone_at AS undoneAt
       FROM bulk_revokes WHERE actor_id = ? AND undone_at IS NULL AND (undo_until IS NULL OR undo_until > ?) ORDER BY created_at DESC, id LIMIT ?`,
    )
    .all(actorId, now, limit) as Omit<BulkRevokeRecord, 'consentIds' | 'reason'>[];
}

/** Marks the bulk revoke undone; false when it already was (a second undo, or a concurrent one, changes nothing). */
export function markBulkUndone(db: Db, id: string, by: string, at: string): boolean {
  return db.prepare(`UPDATE bulk_revokes SET undone_at = ?, undone_by = ? WHERE id = ? AND undone_at IS NULL`).run(at, by, id).changes === 1;
}
