// Reads of the audit trail for the Audit page, the CSV report and the dashboard: filtered, newest first, keyset
// paginated; plus break-glass accesses and their reviews. Prepared statements only; each filter picks its index.
import type { AuditEntryView, AuditFilter, BreakGlassReview } from '../api/audit';
import { AppError } from '../api/errors';
import type { Principal } from '../api/permissions';
import type { Db } from '../db/connection';
import type { AuditEntry } from './trail';

/** Named parameters of the list statements; null means "no filter". */
interface FilterParams {
  patientId: number | null;
  actorId: string | null;
  action: string | null;
  from: string | null;
  to: string | null;
  before: number;
  limit: number;
}

const DAY_MS = 86_400_000;

/**
 * A filter instant as the trail stores it (ISO UTC with milliseconds), so string comparison is time order.
 * A bare date means the whole UTC day: `from` its start, `to` the start of the next day (exclusive).
 */
export function normaliseInstant(value: string, edge: 'from' | 'to'): string {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const ms = Date.parse(dateOnly ? `${value}T00:00:00.000Z` : value);
  if (Number.isNaN(ms)) throw new AppError('VALIDATION_FAILED', `${edge}: ${value} is not a date or date-time`);
  return new Date(dateOnly && edge === 'to' ? ms + DAY_MS : ms).toISOString();
}

export function filterParams(filter: AuditFilter, page: { before?: number; limit: number }): FilterParams {
  return {
    patientId: filter.patientId ?? null,
    actorId: filter.actorId ?? null,
    action: filter.action ?? null,
    from: filter.from ? normaliseInstant(filter.from, 'from') : null,
    // A date-time `to` is inclusive of that instant; a date is its whole day.
    to: filter.to ? (/^\d{4}-\d{2}-\d{2}$/.test(filter.to) ? normaliseInstant(filter.to, 'to') : new Date(Date.parse(filter.to) + 1).toISOString()) : null,
    before: page.before ?? Number.MAX_SAFE_INTEGER,
    limit: page.limit,
  };
}

const REST = `(@actorId IS NULL OR actor_id = @actorId)
  AND (@action IS NULL OR action = @action)
  AND (@patientId IS NULL OR patient_id = @patientId)
  AND (@from IS NULL OR at >= @from)
  AND (@to IS NULL OR at < @to)
  AND id < @before`;

// One fixed statement per leading filter, so SQLite walks the matching index backwards from the cursor.
const LIST_SQL = {
  patient: `SELECT * FROM audit_log INDEXED BY audit_by_patient WHERE patient_id = @patientId AND ${REST} ORDER BY patient_id DESC, id DESC LIMIT @limit`,
  actor: `SELECT * FROM audit_log INDEXED BY audit_by_actor WHERE actor_id = @actorId AND ${REST} ORDER BY actor_id DESC, id DESC LIMIT @limit`,
  action: `SELECT * FROM audit_log INDEXED BY audit_by_action WHERE action = @action AND ${REST} ORDER BY action DESC, id DESC LIMIT @limit`,
  any: `SELECT * FROM audit_log WHERE ${REST} ORDER BY id DESC LIMIT @limit`,
} as const;

function leadingFilter(p: FilterParams): keyof typeof LIST_SQL {
  if (p.patientId !== null) return 'patient';
  if (p.actorId !== null) return 'actor';
  if (p.action !== null) return 'action';
  return 'any';
}

export function toView(e: AuditEntry): AuditEntryView {
  let details: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(e.details);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) details = parsed as Record<string, unknown>;
  } catch {
    details = {};
  }
  return {
    id: e.id,
    at: e.at,
    actor: e.actor_id === null ? null : { id: e.actor_id, name: e.actor_name, role: e.actor_role },
    workstation: e.workstation,
    action: e.action,
    outcome: e.outcome,
    patientId: e.patient_id,
    subject: e.subject,
    details,
    hash: e.hash,
  };
}

/** One page of entries matching `filter`, newest first; `cursor` is the id to continue below. */
export function listAuditEntries(db: Db, filter: AuditFilter, page: { cursor?: number; limit: number }): { entries: AuditEntryView[]; nextCursor: number | null } {
  const params = filterParams(filter, { ...(page.cursor !== undefined ? { before: page.cursor } : {}), limit: page.limit + 1 });
  const rows = db.prepare(LIST_SQL[leadingFilter(params)]).all(params) as AuditEntry[];
  const more = rows.length > page.limit;
  const entries = rows.slice(0, page.limit).map(toView);
  return { entries, nextCursor: more ? entries[entries.length - 1]!.id : null };
}

/** Every entry matching `filter`, newest first, streamed (for the CSV report). */
export function* iterateAuditEntries(db: Db, filter: AuditFilter): Generator<AuditEntry> {
  const params = filterParams(filter, { limit: -1 }); // LIMIT -1: no limit
  yield* db.prepare(LIST_SQL[leadingFilter(params)]).iterate(params) as IterableIterator<AuditEntry>;
}

/** Break-glass accesses at or after `since` that nobody has reviewed yet, newest first (the dashboard list). */
export function breakGlassEntries(db: Db, since: string | null, limit = 100): AuditEntryView[] {
  const rows = db
    .prepare(
      `SELECT l.* FROM audit_log l INDEXED BY audit_break_glass
       WHERE l.outcome = 'break-glass' AND (@since IS NULL OR l.at >= @since)
         AND NOT EXISTS (SELECT 1 FROM audit_reviews r WHERE r.entry_id = l.id)
       ORDER BY l.id DESC LIMIT @limit`,
    )
    .all({ since: since ? normaliseInstant(since, 'from') : null, limit }) as AuditEntry[];
  return rows.map(toView);
}

/**
 * Records that `reviewer` looked at a break-glass access. Another person must review it: reviewing one's own
 * emergency access would defeat the point.
 */
export function reviewBreakGlass(db: Db, entryId: number, reviewer: Principal, note: string, now = new Date()): BreakGlassReview {
  const review = db.transaction((): BreakGlassReview => {
    const entry = db.prepare('SELECT id, outcome, actor_id FROM audit_log WHERE id = ?').get(entryId) as Pick<AuditEntry, 'id' | 'outcome' | 'actor_id'> | undefined;
    if (!entry) throw new AppError('AUDIT_ENTRY_NOT_FOUND', `There is no audit entry ${entryId}.`, { entryId });
    if (entry.outcome !== 'break-glass') throw new AppError('AUDIT_NOT_BREAK_GLASS', `Audit entry ${entryId} is not a break-glass access (outcome ${entry.outcome}).`, { entryId });
    if (entry.actor_id === reviewer.id) throw new AppError('AUDIT_SELF_REVIEW', `Audit entry ${entryId} is your own break-glass access; another staff member must review it.`, { entryId });
    if (db.prepare('SELECT 1 FROM audit_reviews WHERE entry_id = ?').get(entryId)) {
      throw new AppError('AUDIT_ALREADY_REVIEWED', `Break-glass access ${entryId} was already reviewed.`, { entryId });
    }
    const reviewedAt = now.toISOString();
    db.prepare('INSERT INTO audit_reviews (entry_id, reviewer_id, reviewer_name, reviewed_at, note) VALUES (?, ?, ?, ?, ?)').run(entryId, reviewer.id, reviewer.name, reviewedAt, note);
    return { entryId, reviewerId: reviewer.id, reviewedAt };
  });
  return review.immediate();
}

/** When `action` last succeeded (newest entry), or null: the first-run checklist asks "was the secret ever exported". */
export function lastSuccessOf(db: Db, actions: readonly string[]): string | null {
  const stmt = db.prepare(`SELECT at FROM audit_log WHERE action = ? AND outcome = 'success' ORDER BY id DESC LIMIT 1`);
  let latest: string | null = null;
  for (const action of actions) {
    const row = stmt.get(action) as { at: string } | undefined;
    if (row && (latest === null || row.at > latest)) latest = row.at;
  }
  return latest;
}
