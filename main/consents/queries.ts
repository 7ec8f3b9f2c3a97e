// Reads behind the consents table, detail and patient search: keyset pages newest first, each filter served
// by an index (patient, grantee, rare status, rare purpose) or a primary-key walk, with a capped count for the first page.
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { ConsentDetail, ConsentFilter, ConsentSort, ConsentSortColumn, ConsentHistoryEntry, ConsentListResult, ConsentListRow, PatientSummary } from '../api/consents';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { PURPOSE_CODE, purposeCode, STATUS_CODE } from './compact-columns';
import type { ExportRow } from './fhir-export';
import { formatEnd, formatStart } from './period';
import { matchPatientIds, matchSearch, type SearchMatch } from './search';

const COUNT_CAP = 10_000;

const COLUMNS = `c.id, c.external_id, c.patient_id, p.facility, p.mrn, p.name AS patient_name, p.birth_date, c.grantee, c.grantee_kind, c.decision,
  c.purpose, c.category, c.period_start, c.period_end, c.status, c.document_hash, c.source, c.import_run_id, c.source_row, c.superseded_by,
  c.revoked_reason, c.seq, c.created_at, c.updated_at`;
// Filters every variant applies; NULL parameters switch a filter off. Statuses are effective statuses.
const FILTER_TERMS = `(:grantee IS NULL OR c.grantee = :grantee)
  AND (:purpose IS NULL OR c.purpose = :purpose)
  AND (:category IS NULL OR c.category = :category)
  AND (:status IS NULL
    OR (:status = 'active' AND c.status = 'active' AND (c.period_end IS NULL OR c.period_end > :now))
    OR (:status = 'expired' AND (c.status = 'expired' OR (c.status = 'active' AND c.period_end <= :now)))
    OR (:status IN ('revoked', 'superseded') AND c.status = :status))`;
const FILTERS = `c.id < :before AND ${FILTER_TERMS}`;

// One statement per driving index; the text of each is constant.
const driversOf = (FILTERS: string) => ({
  patients: `c.patient_id IN (SELECT value FROM json_each(:patients)) AND ${FILTERS}`,
  // The search box: its patients (index consents_decide) or its providers (index consents_by_grantee), narrowed to
  // one patient when the patient filter is set too.
  search: `(c.patient_id IN (SELECT value FROM json_each(:patients)) OR c.grantee IN (SELECT value FROM json_each(:grantees)))
    AND (:patientId IS NULL OR c.patient_id = :patientId) AND ${FILTERS}`,
  grantee: `c.grantee = :grantee AND ${FILTERS}`,
  // The repeated "<> active" is the partial index's own condition, which SQLite needs to see to use it. Statuses as
  // their codes (migration 0028), which is what consents_not_active holds.
  revoked: `c.status_code = ${STATUS_CODE.revoked} AND c.status_code <> ${STATUS_CODE.active} AND ${FILTERS}`,
  superseded: `c.status_code = ${STATUS_CODE.superseded} AND c.status_code <> ${STATUS_CODE.active} AND ${FILTERS}`,
  // Likewise for purposes other than TREAT (partial index consents_rare_purpose, on the purpose's code: TREAT is 0):
  // ETREAT may be 1 row in 2,000.
  rarePurpose: `c.purpose_code = :purposeCode AND c.purpose_code <> ${PURPOSE_CODE.TREAT} AND ${FILTERS}`,
  all: FILTERS,
});
const DRIVERS = driversOf(FILTERS);
export type Driver = keyof typeof DRIVERS;
// The same drivers for a sorted page: the keyset condition is on (column, id) instead of id alone.
const SORTED_DRIVERS = driversOf(FILTER_TERMS);

/** The page query of one driving index (exported for the query-plan test). */
export function pageSql(driver: Driver): string {
  return `SELECT ${COLUMNS} FROM consents c JOIN patients p ON p.id = c.patient_id WHERE ${DRIVERS[driver]} ORDER BY c.id DESC LIMIT :limit`;
}

/**
 * The page query of a sorted list (exported for the query-plan test). `walk`: the column's index (column, id) is walked
 * from the cursor row's (value, id), a row-value range SQLite seeks, every filter checked on the way (INDEXED BY, so a
 * plan cannot drift to a sort of every consent). Otherwise the narrowing driver (patient, search, grantee, rare status
 * or purpose) reads its rows by its own index and sorts them: listConsents takes that only for at most
 * SORT_NARROW_MAX matching rows. Only constant text from SORT_COLUMNS and SORT_INDEXES.
 */
export function sortedPageSql(driver: Driver, sort: ConsentSort, continued: boolean, walk: boolean): string {
  const col = SORT_COLUMNS[sort.column];
  const dir = sort.direction === 'asc' ? 'ASC' : 'DESC';
  const keyset = continued ? ` AND (${col}, c.id) ${sort.direction === 'asc' ? '>' : '<'} (:cursorValue, :cursorId)` : '';
  const from = walk ? `consents c INDEXED BY ${SORT_INDEXES[sort.column]}` : 'consents c';
  return `SELECT ${COLUMNS} FROM ${from} JOIN patients p ON p.id = c.patient_id WHERE ${SORTED_DRIVERS[driver]}${keyset} ORDER BY ${col} ${dir}, c.id ${dir} LIMIT :limit`;
}

const SORT_INDEXES: Record<ConsentSortColumn, string> = { grantee: 'consents_by_grantee', periodStart: 'consents_by_period_start' };
/**
 * Up to this many matching rows, a narrowing filter's rows are sorted per page (at most ~10,000: a few ms); beyond it
 * they are at least 1 in 100 of a million, so a walk of the sort index meets a page of them within ~20,000 entries.
 */
export const SORT_NARROW_MAX = COUNT_CAP;

const SORT_COLUMNS: Record<ConsentSortColumn, string> = { grantee: 'c.grantee', periodStart: 'c.period_start' };
const SORT_CURSOR_SQL: Record<ConsentSortColumn, string> = {
  grantee: 'SELECT grantee AS value FROM consents WHERE id = ?',
  periodStart: 'SELECT period_start AS value FROM consents WHERE id = ?',
};

/** The consent detail's reads beside the row (exported for the query-plan test). */
export const DETAIL_SQL = {
  history: 'SELECT action, actor, at, detail FROM consent_history WHERE consent_id = ? ORDER BY id',
  supersedes: 'SELECT id FROM consents WHERE superseded_by = ? ORDER BY id',
} as const;

export type ConsentJoinedRow = ExportRow;

interface Statements {
  page: Record<Driver, Statement>;
  count: Record<Driver, Statement>;
  countAll: Statement;
  iterate: Record<Driver, Statement>;
  byIds: Statement;
  patient: Statement;
  history: Statement;
  supersedes: Statement;
  one: Statement;
  /** Sorted pages, prepared on first use (drivers x columns x directions x first/continued). */
  sorted: Map<string, Statement>;
  sortCursor: Record<ConsentSortColumn, Statement>;
}

const cache = new WeakMap<Db, Statements>();

function statements(db: Db): Statements {
  let s = cache.get(db);
  if (s) return s;
  const per = (sql: (where: string) => string) => Object.fromEntries(Object.entries(DRIVERS).map(([k, where]) => [k, db.prepare(sql(where))])) as Record<Driver, Statement>;
  s = {
    page: Object.fromEntries(Object.keys(DRIVERS).map((k) => [k, db.prepare(pageSql(k as Driver))])) as Record<Driver, Statement>,
    count: per((w) => `SELECT count(*) AS n FROM (SELECT 1 FROM consents c WHERE ${w} LIMIT ${COUNT_CAP + 1})`),
    countAll: db.prepare('SELECT count(*) AS n FROM consents'),
    iterate: per((w) => `SELECT ${COLUMNS} FROM consents c JOIN patients p ON p.id = c.patient_id WHERE ${w} AND c.status <> 'superseded' ORDER BY c.id DESC`),
    byIds: db.prepare(`SELECT ${COLUMNS} FROM consents c JOIN patients p ON p.id = c.patient_id WHERE c.id IN (SELECT value FROM json_each(?)) AND c.status <> 'superseded' ORDER BY c.id`),
    patient: db.prepare(
      `SELECT p.id, p.facility, p.mrn, p.name, p.birth_date AS birthDate, (SELECT count(*) FROM consents c WHERE c.patient_id = p.id) AS consents
       FROM patients p WHERE p.id IN (SELECT value FROM json_each(?)) ORDER BY p.name, p.id`,
    ),
    history: db.prepare(DETAIL_SQL.history),
    supersedes: db.prepare(DETAIL_SQL.supersedes),
    one: db.prepare(`SELECT ${COLUMNS} FROM consents c JOIN patients p ON p.id = c.patient_id WHERE c.id = ?`),
    sorted: new Map(),
    sortCursor: { grantee: db.prepare(SORT_CURSOR_SQL.grantee), periodStart: db.prepare(SORT_CURSOR_SQL.periodStart) },
  };
  cache.set(db, s);
  return s;
}

function effectiveStatus(r: ConsentJoinedRow, now: number): ConsentListRow['status'] {
  return r.status === 'active' && r.period_end !== null && r.period_end <= now ? 'expired' : r.status;
}

export function toListRow(r: ConsentJoinedRow, now: number): ConsentListRow {
  return {
    id: r.id,
    externalId: r.external_id,
    patient: { id: r.patient_id, facility: r.facility, mrn: r.mrn, name: r.patient_name },
    grantee: r.grantee,
    granteeKind: r.grantee_kind,
    decision: r.decision,
    purpose: r.purpose,
    category: r.category,
    periodStart: formatStart(r.period_start),
    periodEnd: r.period_end === null ? null : formatEnd(r.period_end),
    status: effectiveStatus(r, now),
    source: r.source,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Patient ids matching an MRN, a name prefix, or any part of a name or MRN (at most 200; the patient picker's search). */
export function matchPatients(db: Db, query: string, limit = 200): number[] {
  return matchPatientIds(db, query, limit);
}

/** One patient's identity as on file (the accounting of disclosures' header), or undefined. */
export function patientRecord(db: Db, id: number): { id: number; facility: string; mrn: string; name: string | null; birthDate: string | null } | undefined {
  return db.prepare('SELECT id, facility, mrn, name, birth_date AS birthDate FROM patients WHERE id = ?').get(id) as
    | { id: number; facility: string; mrn: string; name: string | null; birthDate: string | null }
    | undefined;
}

/** Local ids of the patients on file among these facility + MRN pairs (an import preview's rows), ascending. */
export function patientIdsOf(db: Db, pairs: readonly { facility: string; mrn: string }[]): number[] {
  const find = db.prepare('SELECT id FROM patients WHERE facility = ? AND mrn = ?');
  const ids = new Set<number>();
  for (const p of pairs) {
    const row = find.get(p.facility, p.mrn) as { id: number } | undefined;
    if (row) ids.add(row.id);
  }
  return [...ids].sort((a, b) => a - b);
}

export function searchPatients(db: Db, query: string, limit: number): PatientSummary[] {
  const ids = matchPatients(db, query, limit);
  return ids.length ? (statements(db).patient.all(JSON.stringify(ids)) as PatientSummary[]) : [];
}

interface Plan {
  driver: Driver;
  params: Record<string, unknown>;
  /** What the search text matched (when there is one). */
  match: SearchMatch | null;
}

function plan(db: Db, filter: ConsentFilter, before: number | null, now: number): Plan {
  const params = {
    before: before ?? Number.MAX_SAFE_INTEGER,
    grantee: filter.grantee ?? null,
    purpose: filter.purpose ?? null,
    purposeCode: filter.purpose === undefined ? null : purposeCode(filter.purpose),
    category: filter.category ?? null,
    status: filter.status ?? null,
    now,
  };
  if (filter.search !== undefined) {
    const match = matchSearch(db, filter.search);
    return { driver: 'search', params: { ...params, patients: JSON.stringify(match.patients), grantees: JSON.stringify(match.grantees), patientId: filter.patientId ?? null }, match };
  }
  if (filter.patientId !== undefined) return { driver: 'patients', params: { ...params, patients: JSON.stringify([filter.patientId]) }, match: null };
  if (filter.grantee !== undefined) return { driver: 'grantee', params, match: null };
  if (filter.status === 'revoked' || filter.status === 'superseded') return { driver: filter.status, params, match: null };
  if (filter.purpose !== undefined && filter.purpose !== 'TREAT') return { driver: 'rarePurpose', params, match: null };
  return { driver: 'all', params, match: null };
}

function sortedPage(db: Db, s: Statements, p: Plan, sort: ConsentSort, before: number | null, limit: number, narrowMax: number): ConsentJoinedRow[] {
  // A capped count by the driver's own index (at most narrowMax + 1 entries) picks sort-its-rows or walk-the-index.
  const walk = p.driver === 'all' || (s.count[p.driver].get({ ...p.params, before: Number.MAX_SAFE_INTEGER }) as { n: number }).n > narrowMax;
  const sql = sortedPageSql(p.driver, sort, before !== null, walk);
  let stmt = s.sorted.get(sql);
  if (!stmt) s.sorted.set(sql, (stmt = db.prepare(sql)));
  const { before: _unused, ...params } = p.params;
  if (before === null) return stmt.all({ ...params, limit }) as ConsentJoinedRow[];
  const cursor = s.sortCursor[sort.column].get(before) as { value: string | number } | undefined;
  // The cursor is the last row of the page before; a row that no longer exists (an undone pull) cannot place the next.
  if (!cursor) throw new AppError('NOT_FOUND', `consents.list: the page cursor (consent ${before}) no longer exists; reload the list`, { field: 'before' });
  return stmt.all({ ...params, limit, cursorValue: cursor.value, cursorId: before }) as ConsentJoinedRow[];
}

/** `narrowMax` is for tests (0 makes every sorted page walk the sort index). */
export function listConsents(db: Db, filter: ConsentFilter, limit: number, before: number | null, now: number, sort?: ConsentSort, narrowMax = SORT_NARROW_MAX): ConsentListResult {
  const p = plan(db, filter, before, now);
  const s = statements(db);
  const rows = sort ? sortedPage(db, s, p, sort, before, limit + 1, narrowMax) : (s.page[p.driver].all({ ...p.params, limit: limit + 1 }) as ConsentJoinedRow[]);
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  let total: ConsentListResult['total'] = null;
  if (before === null) {
    const unfiltered = p.driver === 'all' && Object.values(filter).every((v) => v === undefined);
    const n = unfiltered ? (s.countAll.get() as { n: number }).n : (s.count[p.driver].get(p.params) as { n: number }).n;
    total = { count: Math.min(n, unfiltered ? n : COUNT_CAP), exact: unfiltered || n <= COUNT_CAP };
  }
  const search = before === null && p.match ? { patients: p.match.patients.length, providers: p.match.providers, capped: p.match.capped } : null;
  return { rows: page.map((r) => toListRow(r, now)), nextCursor: more ? page[page.length - 1]!.id : null, total, search };
}

export function getConsentRow(db: Db, id: number): ConsentJoinedRow | undefined {
  return statements(db).one.get(id) as ConsentJoinedRow | undefined;
}

/** The 'create' history entry an imported row carries by itself: actor and time are its source and created_at. */
export function impliedCreation(r: Pick<ConsentJoinedRow, 'source' | 'created_at' | 'import_run_id' | 'source_row'>): ConsentHistoryEntry | null {
  if (r.import_run_id === null || r.source_row === null) return null;
  return { action: 'create', actor: r.source, at: r.created_at, detail: { row: r.source_row, run: r.import_run_id } };
}

export function consentDetail(db: Db, id: number, now: number): ConsentDetail | undefined {
  const s = statements(db);
  const r = getConsentRow(db, id);
  if (!r) return undefined;
  const history: ConsentHistoryEntry[] = (s.history.all(id) as { action: ConsentHistoryEntry['action']; actor: string; at: string; detail: string | null }[]).map((h) => ({
    ...h,
    detail: h.detail === null ? null : (JSON.parse(h.detail) as Record<string, unknown>),
  }));
  // A plain imported row has no stored 'create' entry (ConsentStore.insert, migration 0020): its creation is
  // implied by the row, by whom (the import run as source), when (created_at) and from where (run and file row).
  const implied = impliedCreation(r);
  if (implied && !history.some((h) => h.action === 'create')) history.unshift(implied);
  return {
    ...toListRow(r, now),
    documentHash: r.document_hash,
    revokedReason: r.revoked_reason,
    supersededBy: r.superseded_by,
    supersedes: (s.supersedes.all(id) as { id: number }[]).map((x) => x.id),
    importRunId: r.import_run_id,
    sourceRow: r.source_row,
    seq: r.seq,
    history,
  };
}

/** Rows to export (never superseded versions), by ids or by filter, newest first; iterated, not loaded. */
export function exportRows(db: Db, selection: { ids: number[] } | { filter: ConsentFilter }, now: number): Iterable<ConsentJoinedRow> {
  const s = statements(db);
  if ('ids' in selection) return s.byIds.iterate(JSON.stringify(selection.ids)) as Iterable<ConsentJoinedRow>;
  const p = plan(db, selection.filter, null, now);
  return s.iterate[p.driver].iterate(p.params) as Iterable<ConsentJoinedRow>;
}

/**
 * The consents a bulk action would change: the selection's rows whose stored status is active (a consent whose period
 * ended is still revocable), in id order, at most `max + 1` of them (more means the selection is too large); and how
 * many selected rows are not active.
 */
export function activeConsentsOf(db: Db, selection: { ids: number[] } | { filter: ConsentFilter }, now: number, max: number): { rows: ConsentJoinedRow[]; notActive: number } {
  const rows: ConsentJoinedRow[] = [];
  let seen = 0;
  for (const r of exportRows(db, selection, now)) {
    seen += 1;
    if (r.status === 'active') rows.push(r);
    if (rows.length > max) break;
  }
  rows.sort((a, b) => a.id - b.id);
  const notActive = 'ids' in selection ? new Set(selection.ids).size - rows.length : seen - rows.length;
  return { rows, notActive };
}
