// How an outbox row (main/sync's table) stores its kind, state and times (migration 0027): the kinds this build syncs and the six states
// as small integers, times as milliseconds (or their text when it would not rebuild to the byte), an update time
// equal to the creation time as nothing. The generated columns kind, state, created_at and updated_at read back the
// old texts; every writer of the outbox goes through this module, and the readers that walk outbox_by_state_kind
// (state_code, kind_code, then the row id every entry ends with) filter on the codes. Pure.
import { timeColumns } from './compact-time';

/** The kinds with a code, as 0027's generated column `kind` spells them (migration.test.ts compares the two). */
export const OUTBOX_KIND_CODES: Readonly<Record<string, number>> = Object.freeze({
  'consent.change': 1,
  'credential.status': 2,
  'claim.record': 3,
  'audit.root': 4,
  'agreement.propose': 5,
  'agreement.sign': 6,
  'agreement.terminate': 7,
});

export type OutboxState = 'pending' | 'batched' | 'sent' | 'confirmed' | 'failed' | 'replaced';

/** The states as 0027's generated column `state` spells them. */
export const OUTBOX_STATE: Readonly<Record<OutboxState, number>> = Object.freeze({
  pending: 0,
  batched: 1,
  sent: 2,
  confirmed: 3,
  failed: 4,
  replaced: 5,
});

/** A kind as its two columns (kind_code, kind_text): a known kind as its code alone, any other as 0 and its text. */
export function kindColumns(kind: string): readonly [code: number, text: string | null] {
  const code = Object.hasOwn(OUTBOX_KIND_CODES, kind) ? OUTBOX_KIND_CODES[kind]! : 0;
  return code === 0 ? [0, kind] : [code, null];
}

/** The stored columns a new outbox row fills besides id and payload, in the order of outboxInsertValues. */
export const OUTBOX_INSERT_COLUMNS = 'kind_code, kind_text, created_ms, created_text';

/** A new event's kind and time (its update time is its creation time: stored as nothing). */
export function outboxInsertValues(kind: string, at: string): unknown[] {
  return [...kindColumns(kind), ...timeColumns(at)];
}

/** `updated_ms = ?, updated_text = ?` for an UPDATE of the outbox, with updatedValues(at) as its parameters. */
export const SET_UPDATED = 'updated_ms = ?, updated_text = ?';

export function updatedValues(at: string): unknown[] {
  return [...timeColumns(at)];
}

/** A state as SQL (a literal code: the states are fixed, and the planner sees the value the index is keyed on). */
export function stateSql(state: OutboxState): string {
  return String(OUTBOX_STATE[state]);
}

/**
 * A filter on `kinds` for `alias`.kind that walks the index: `kind_code IN (…)` for the kinds with a code, and for
 * any other kind `kind_code = 0 AND kind_text IN (…)`. An empty list matches nothing.
 */
export function kindFilter(kinds: readonly string[], alias = ''): { sql: string; params: unknown[] } {
  const p = alias ? `${alias}.` : '';
  const codes = kinds.map((k) => kindColumns(k)).filter(([c]) => c !== 0).map(([c]) => c);
  const texts = kinds.filter((k) => kindColumns(k)[0] === 0);
  const parts: string[] = [];
  if (codes.length) parts.push(`${p}kind_code IN (${codes.join(', ')})`);
  if (texts.length) parts.push(`(${p}kind_code = 0 AND ${p}kind_text IN (${texts.map(() => '?').join(', ')}))`);
  return { sql: parts.length ? `(${parts.join(' OR ')})` : '0', params: texts };
}
