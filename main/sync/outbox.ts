// The one writer of the outbox: every domain queues its chain events here, and each payload is checked against its
// kind's schema when it is written (a malformed payload is refused in the writer's transaction, not found at send
// time). Domain-agnostic: the caller hands in its kind (OutboxKind, owned by its domain's sync plug-in).
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { MultiRowInsert } from '../db/multi-row-insert';
import { parseWith, type OutboxKind } from './plugin';

/** A payload refused at write time: names the kind and the fields, never a value. */
export class OutboxPayloadError extends AppError {
  constructor(
    readonly kind: string,
    readonly reason: string,
  ) {
    super('SYNC_PAYLOAD_INVALID', `A ${kind} outbox event was refused when written: ${reason}.`);
    this.name = 'OutboxPayloadError';
  }
}

/** The payload as stored: a string is kept exactly as given (its hash is part of the batch id) once it parses. */
function checkedText<P>(kind: OutboxKind<P>, payload: P | string): string {
  let raw: unknown = payload;
  if (typeof payload === 'string') {
    try {
      raw = JSON.parse(payload);
    } catch {
      throw new OutboxPayloadError(kind.kind, 'payload is not JSON');
    }
  }
  const parsed = parseWith(kind.payload, raw);
  if (!parsed.ok) throw new OutboxPayloadError(kind.kind, parsed.reason);
  return typeof payload === 'string' ? payload : JSON.stringify(payload);
}

const statements = new WeakMap<Db, Statement>();

/** Queues one event of `kind`; the caller's transaction (if any) covers it. Returns the outbox id. */
export function enqueueOutbox<P>(db: Db, kind: OutboxKind<P>, payload: P | string, at: string = new Date().toISOString()): number {
  const text = checkedText(kind, payload);
  let insert = statements.get(db);
  if (!insert) {
    insert = db.prepare(`INSERT INTO outbox (kind, payload, created_at, updated_at) VALUES (?, ?, ?, ?)`);
    statements.set(db, insert);
  }
  return Number(insert.run(kind.kind, text, at, at).lastInsertRowid);
}

/**
 * A bulk writer for one kind (imports): payloads are checked as they are added and written with multi-row INSERTs
 * on flush, its statements prepared once and reused. Call flush inside the caller's write transaction.
 */
export class OutboxBatchWriter<P> {
  private readonly out: MultiRowInsert;

  constructor(
    db: Db,
    private readonly kind: OutboxKind<P>,
  ) {
    this.out = new MultiRowInsert(db, 'INSERT INTO outbox (kind, payload, created_at, updated_at)', 4);
  }

  get rows(): number {
    return this.out.rows;
  }

  add(payload: P | string, at: string): void {
    this.out.add([this.kind.kind, checkedText(this.kind, payload), at, at]);
  }

  flush(): void {
    this.out.flush();
  }

  discard(): void {
    this.out.discard();
  }
}

/** The highest outbox id so far (0 when empty): a writer notes it before and after its transaction to name its events. */
export function outboxHighWater(db: Db): number {
  return (db.prepare('SELECT coalesce(max(id), 0) AS n FROM outbox').get() as { n: number }).n;
}

/**
 * Whether every event of an id range is still waiting on this workstation (pending, or failed and to be retried):
 * none has been batched for sending, sent or confirmed, and none was pruned.
 */
export function outboxRangeUnsent(db: Db, from: number, to: number): boolean {
  if (to < from) return true;
  const { n } = db.prepare(`SELECT count(*) AS n FROM outbox WHERE id BETWEEN ? AND ? AND state IN ('pending', 'failed')`).get(from, to) as { n: number };
  return n === to - from + 1;
}

/** A later event of `kind` with exactly this payload text (the same write queued again), or null. */
export function laterEventWithPayload(db: Db, kind: string, afterId: number, payload: string): number | null {
  return (db.prepare(`SELECT min(id) FROM outbox WHERE kind = ? AND id > ? AND payload = ?`).pluck().get(kind, afterId, payload) as number | null) ?? null;
}

/** Events of `kind` still waiting here (pending, or failed and never batched), for a domain's start-up checks. */
export function waitingEventsOfKind(db: Db, kind: string): { id: number; payload: string; state: string; lastError: string | null }[] {
  return db
    .prepare(`SELECT id, payload, state, last_error AS lastError FROM outbox WHERE kind = ? AND batch_id IS NULL AND state IN ('pending', 'failed') ORDER BY id`)
    .all(kind) as { id: number; payload: string; state: string; lastError: string | null }[];
}

/**
 * Holds a waiting event back for good: failed, never batched, with `reason` (a message that starts with its code,
 * e.g. "SHARING_PROPOSAL_LEGACY: …"), which the Sync page and `sync status` count by code. True when it was waiting.
 */
export function holdEvent(db: Db, id: number, reason: string): boolean {
  return db.prepare(`UPDATE outbox SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ? AND batch_id IS NULL AND state IN ('pending', 'failed')`).run(reason, new Date().toISOString(), id).changes > 0;
}

/** Failed events that were never batched (refused payloads, events held back by their domain), by the code their reason starts with. */
export function heldEventCounts(db: Db): { total: number; byCode: Record<string, number> } {
  const rows = db.prepare(`SELECT last_error AS e FROM outbox WHERE state = 'failed' AND batch_id IS NULL`).pluck().all() as (string | null)[];
  const byCode: Record<string, number> = {};
  for (const e of rows) {
    const code = /^([A-Z][A-Z0-9_]+):/.exec(e ?? '')?.[1] ?? 'UNNAMED';
    byCode[code] = (byCode[code] ?? 0) + 1;
  }
  return { total: rows.length, byCode };
}
