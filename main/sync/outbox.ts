// The one writer of the outbox: every domain queues its chain events here, and each payload is checked against its
// kind's schema when it is written (a malformed payload is refused in the writer's transaction, not found at send
// time). Domain-agnostic: the caller hands in its kind (OutboxKind, owned by its domain's sync plug-in).
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { MultiRowInsert } from '../db/multi-row-insert';
import { kindFilter, OUTBOX_INSERT_COLUMNS, outboxInsertValues, SET_UPDATED, stateSql, updatedValues } from '../db/outbox-columns';
import { parseWith, type OutboxKind, type OutboxReference } from './plugin';

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

/** The payload as stored (a string is kept exactly as given, its hash is part of the batch id) and as parsed. */
function checked<P>(kind: OutboxKind<P>, payload: P | string): { text: string; value: P } {
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
  return { text: typeof payload === 'string' ? payload : JSON.stringify(payload), value: parsed.value as P };
}

const OUTBOX_INSERT = `INSERT INTO outbox (id, payload, ${OUTBOX_INSERT_COLUMNS})`;
const REF_INSERT = 'INSERT INTO outbox_refs (outbox_id, source_id, change, hlc, prev_hlc, revoked)';
const STATEMENTS = {
  outbox: `${OUTBOX_INSERT} VALUES (NULL, ?, ?, ?, ?, ?)`,
  ref: `${REF_INSERT} VALUES (?, ?, ?, ?, ?, ?)`,
  hash: 'INSERT OR IGNORE INTO outbox_ref_hashes (text, hash) VALUES (?, ?)',
  rebuilt: 'SELECT outbox_id AS id, payload FROM outbox_ref_payloads WHERE outbox_id BETWEEN ? AND ?',
  keepCopy: `UPDATE outbox SET payload = ? WHERE id = ? AND payload = ''`,
  dropRef: 'DELETE FROM outbox_refs WHERE outbox_id = ?',
  nextId: 'SELECT coalesce(max(id), 0) + 1 FROM outbox',
} as const;
type Prepared = { readonly [K in keyof typeof STATEMENTS]: Statement };
const prepared = new WeakMap<Db, Prepared>();
/** Each statement prepared on first use (a database migrated only up to an older schema never prepares the 0023 ones). */
function statementsOf(db: Db): Prepared {
  let s = prepared.get(db);
  if (!s) {
    const cache = new Map<string, Statement>();
    s = new Proxy({} as Prepared, {
      get(_target, key: string) {
        let st = cache.get(key);
        if (!st) {
          st = db.prepare(STATEMENTS[key as keyof typeof STATEMENTS]);
          cache.set(key, st);
        }
        return st;
      },
    });
    prepared.set(db, s);
  }
  return s;
}

/** 64-bit stamps as SQLite's signed integers (the view prints them back as 16 hex digits, top bit included). */
const int64 = (v: bigint) => BigInt.asIntN(64, v);

/** The hashes a reference names, once per text per writer (INSERT OR IGNORE: a text's first hash stays). */
function recordHashes(s: Prepared, known: Set<string>, ref: OutboxReference): void {
  for (const [text, hash] of ref.hashes) {
    if (known.has(text)) continue;
    s.hash.run(text, hash);
    known.add(text);
  }
}

/**
 * Where a rebuilt payload is not the text the writer was given (a source row that does not hold these terms, a hash
 * recorded otherwise), the event keeps its copy: the text given is what is sent, always.
 */
function keepCopiesWhereRebuiltDiffers(s: Prepared, expected: ReadonlyMap<number, string>, from: number, to: number): number {
  if (expected.size === 0) return 0;
  const rebuilt = new Map<number, string>();
  for (const r of s.rebuilt.all(from, to) as { id: number; payload: string }[]) rebuilt.set(r.id, r.payload);
  let copies = 0;
  for (const [id, text] of expected) {
    if (rebuilt.get(id) === text) continue;
    s.keepCopy.run(text, id);
    s.dropRef.run(id);
    copies++;
  }
  return copies;
}

/** Queues one event of `kind`; the caller's transaction (if any) covers it. Returns the outbox id. */
export function enqueueOutbox<P>(db: Db, kind: OutboxKind<P>, payload: P | string, at: string = new Date().toISOString()): number {
  const { text, value } = checked(kind, payload);
  const ref = kind.reference?.(value) ?? null;
  const s = statementsOf(db);
  if (!ref) return Number(s.outbox.run(text, ...outboxInsertValues(kind.kind, at)).lastInsertRowid);
  return db.transaction(() => {
    const id = Number(s.outbox.run('', ...outboxInsertValues(kind.kind, at)).lastInsertRowid);
    // Not cached across calls: a hash recorded in a transaction that rolled back is gone.
    recordHashes(s, new Set(), ref);
    s.ref.run(id, ref.sourceId, ref.change, int64(ref.hlc), int64(ref.prevHlc), ref.revoked ? 1 : 0);
    keepCopiesWhereRebuiltDiffers(s, new Map([[id, text]]), id, id);
    return id;
  })();
}

/**
 * A bulk writer for one kind (imports): payloads are checked as they are added and written with multi-row INSERTs
 * on flush, its statements prepared once and reused. Call flush inside the caller's write transaction (the ids it
 * assigns follow the table's highest, which holds under the write lock). A kind stored by reference writes '' and
 * a reference row, and then compares the rebuilt payloads with the texts given (keepCopiesWhereRebuiltDiffers).
 */
export class OutboxBatchWriter<P> {
  private readonly out: MultiRowInsert;
  private readonly refs: MultiRowInsert;
  private readonly s: Prepared;
  private pending: { text: string; at: string; ref: OutboxReference | null }[] = [];
  private readonly known = new Set<string>();
  /** Events written as copies because their rebuilt payload differed (a test reads it; 0 on every real import). */
  copies = 0;

  constructor(
    db: Db,
    private readonly kind: OutboxKind<P>,
  ) {
    this.out = new MultiRowInsert(db, OUTBOX_INSERT, 6);
    this.refs = new MultiRowInsert(db, REF_INSERT, 6);
    this.s = statementsOf(db);
  }

  get rows(): number {
    return this.pending.length;
  }

  add(payload: P | string, at: string): void {
    const { text, value } = checked(this.kind, payload);
    this.pending.push({ text, at, ref: this.kind.reference?.(value) ?? null });
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    const first = this.s.nextId.pluck().get() as number;
    const expected = new Map<number, string>();
    rows.forEach((r, i) => {
      const id = first + i;
      this.out.add([id, r.ref ? '' : r.text, ...outboxInsertValues(this.kind.kind, r.at)]);
      if (r.ref) {
        recordHashes(this.s, this.known, r.ref);
        this.refs.add([id, r.ref.sourceId, r.ref.change, int64(r.ref.hlc), int64(r.ref.prevHlc), r.ref.revoked ? 1 : 0]);
        expected.set(id, r.text);
      }
    });
    this.out.flush();
    this.refs.flush();
    this.copies += keepCopiesWhereRebuiltDiffers(this.s, expected, first, first + rows.length - 1);
  }

  discard(): void {
    this.pending = [];
    this.out.discard();
    this.refs.discard();
    // Hashes recorded in a rolled-back transaction are gone: record them again.
    this.known.clear();
  }
}

/** The highest outbox id so far (0 when empty): a writer notes it before and after its transaction to name its events. */
export function outboxHighWater(db: Db): number {
  return (db.prepare('SELECT coalesce(max(id), 0) AS n FROM outbox').get() as { n: number }).n;
}

/**
 * Whether every event of an id range is still waiting on this workstation (pending, or failed and to be retried)
 * or was replaced by another: none has been batched for sending, sent or confirmed, and none was pruned.
 */
export function outboxRangeUnsent(db: Db, from: number, to: number): boolean {
  if (to < from) return true;
  const { n } = db.prepare(`SELECT count(*) AS n FROM outbox WHERE id BETWEEN ? AND ? AND state_code IN (${stateSql('pending')}, ${stateSql('failed')}, ${stateSql('replaced')})`).get(from, to) as { n: number };
  return n === to - from + 1;
}

/** A later event of `kind` with exactly this payload text (the same write queued again), or null. */
export function laterEventWithPayload(db: Db, kind: string, afterId: number, payload: string): number | null {
  return (db.prepare(`SELECT min(id) FROM outbox_events WHERE kind = ? AND id > ? AND payload = ?`).pluck().get(kind, afterId, payload) as number | null) ?? null;
}

/** Events of `kind` still waiting here (pending, or failed and never batched), for a domain's start-up checks. */
export function waitingEventsOfKind(db: Db, kind: string): { id: number; payload: string; state: string; lastError: string | null }[] {
  const k = kindFilter([kind]);
  return db
    .prepare(
      `SELECT id, payload, state, last_error AS lastError FROM outbox_events
        WHERE state_code IN (${stateSql('pending')}, ${stateSql('failed')}) AND ${k.sql} AND batch_id IS NULL ORDER BY id`,
    )
    .all(...k.params) as { id: number; payload: string; state: string; lastError: string | null }[];
}

/**
 * Holds a waiting event back for good: failed, never batched, with `reason` (a message that starts with its code,
 * e.g. "SHARING_PROPOSAL_LEGACY: …"), which the Sync page and `sync status` count by code. True when it was waiting.
 */
export function holdEvent(db: Db, id: number, reason: string): boolean {
  return (
    db
      .prepare(`UPDATE outbox SET state_code = ${stateSql('failed')}, last_error = ?, ${SET_UPDATED} WHERE id = ? AND batch_id IS NULL AND state_code IN (${stateSql('pending')}, ${stateSql('failed')})`)
      .run(reason, ...updatedValues(new Date().toISOString()), id).changes > 0
  );
}

/** A replacement refused: names the event and why, never a payload. */
export class OutboxReplaceError extends AppError {
  constructor(
    readonly eventId: number,
    readonly reason: string,
  ) {
    super('OUTBOX_REPLACE_REFUSED', `Outbox event ${eventId} cannot be replaced: ${reason}.`);
    this.name = 'OutboxReplaceError';
  }
}

/**
 * Queues `newPayload` of `kind` to be sent instead of event `oldId`, in one transaction: the new event, and the old
 * one marked 'replaced' by it, a state the database keeps final (migration 0025: OUTBOX_REPLACED_FINAL) and the
 * engine never sends. Only an event still waiting here and never batched (pending, or held) can be replaced: one
 * batched may be on chain already (the database refuses it too: OUTBOX_REPLACE_REFUSED). Returns the new id.
 */
export function replaceEvent<P>(db: Db, oldId: number, kind: OutboxKind<P>, newPayload: P | string, at: string = new Date().toISOString()): number {
  return db.transaction(() => {
    const old = db.prepare(`SELECT kind, state, batch_id AS batchId FROM outbox WHERE id = ?`).get(oldId) as { kind: string; state: string; batchId: string | null } | undefined;
    if (!old) throw new OutboxReplaceError(oldId, 'there is no such event');
    if (old.kind !== kind.kind) throw new OutboxReplaceError(oldId, `it is a ${old.kind} event, not ${kind.kind}`);
    if (old.state === 'replaced') throw new OutboxReplaceError(oldId, 'it was replaced already');
    if (old.batchId !== null || (old.state !== 'pending' && old.state !== 'failed')) throw new OutboxReplaceError(oldId, `it was batched for the chain (state ${old.state}) and may be on chain already`);
    const id = enqueueOutbox(db, kind, newPayload, at);
    db.prepare(`UPDATE outbox SET state_code = ${stateSql('replaced')}, replaced_by = ?, last_error = NULL, ${SET_UPDATED} WHERE id = ?`).run(id, ...updatedValues(at), oldId);
    return id;
  })();
}

/** Events replaced by another (migration 0025): never sent, neither waiting nor held; the Sync page counts them apart. */
export function replacedEventCount(db: Db): number {
  return db.prepare(`SELECT count(*) FROM outbox WHERE state_code = ${stateSql('replaced')}`).pluck().get() as number;
}

/** Failed events that were never batched (refused payloads, events held back by their domain), by the code their reason starts with. */
export function heldEventCounts(db: Db): { total: number; byCode: Record<string, number> } {
  const rows = db.prepare(`SELECT last_error AS e FROM outbox WHERE state_code = ${stateSql('failed')} AND batch_id IS NULL`).pluck().all() as (string | null)[];
  const byCode: Record<string, number> = {};
  for (const e of rows) {
    const code = /^([A-Z][A-Z0-9_]+):/.exec(e ?? '')?.[1] ?? 'UNNAMED';
    byCode[code] = (byCode[code] ?? 0) + 1;
  }
  return { total: rows.length, byCode };
}

/** A held event as `sync status` and the Sync page show it: its id, kind and the reason its domain wrote (cut at 300). */
export interface HeldEvent {
  id: number;
  kind: string;
  reason: string;
}

/**
 * The newest held events (see heldEventCounts), each with its own reason, which names what to do: the counts alone
 * tell an IT admin that something will never be sent, not which record or why.
 */
export function heldEventReasons(db: Db, limit = 5): HeldEvent[] {
  const rows = db.prepare(`SELECT o.id, o.kind, o.last_error AS reason FROM outbox o WHERE o.state_code = ${stateSql('failed')} AND o.batch_id IS NULL ORDER BY o.id DESC LIMIT ?`).all(limit) as { id: number; kind: string; reason: string | null }[];
  return rows.map((r) => ({ id: r.id, kind: r.kind, reason: (r.reason ?? 'UNNAMED: no reason was written').slice(0, 300) }));
}
