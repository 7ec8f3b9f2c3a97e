// The consent tables' write layer: prepared statements for patients, consent rows, their history and the
// outbox event of each change. Callers (the API writes, the importer) own the surrounding transaction. This module
// OWNS the consents table: every INSERT, UPDATE and DELETE on it is here (scripts/table-owners.test.ts checks it);
// the chain side (consent-sink.ts, pull-undo.ts) and the bulk import call the functions at the end of the file.
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { Db } from '../db/connection';
import { MultiRowInsert } from '../db/multi-row-insert';
import type { ConsentTermFields } from './canonical';
import type { Category, ConsentStatus, Decision, GranteeKind, Purpose } from './codes';
import { enqueueOutbox } from '../sync/outbox';
import { CONSENT_CHANGE, consentChangeJson, type ConsentChangePayload } from './outbox-events';
import { patientValues, PATIENT_STORED_COLUMNS } from './patient-columns';
import type { Pseudonymizer } from './pseudonym';
import { hlcOfText, hlcText, nextHlc } from './consent-state';
import {
  CONSENT_STAMP_COLUMNS,
  STATUS_CODE,
  categoryCode,
  newConsentStampValues,
  sourceText,
  decisionCode,
  granteeKindCode,
  hlcColumns,
  purposeCode,
  statusCode,
  timeColumns,
  type TimeColumns,
} from './compact-columns';

export interface ConsentRow {
  id: number;
  external_id: string | null;
  patient_id: number;
  grantee: string;
  grantee_kind: GranteeKind;
  decision: Decision;
  purpose: Purpose;
  category: Category;
  period_start: number;
  period_end: number | null;
  status: ConsentStatus;
  document_hash: string;
  source: string;
  import_run_id: number | null;
  source_row: number | null;
  superseded_by: number | null;
  revoked_reason: string | null;
  seq: number;
  /** The hlc stamp of the key's last change (16 hex digits); see main/sync/README.md. */
  hlc: string;
  /** The signer that wrote it; null for a change written here and not yet seen on chain. */
  hlc_writer: string | null;
  created_at: string;
  updated_at: string;
}

export interface PatientRef {
  id: number;
  pseudonym: string;
  name: string | null;
  birthDate: string | null;
}

/** A consent about to be written; the patient is already resolved. */
export interface NewConsent extends ConsentTermFields {
  externalId: string | null;
  patientId: number;
  pseudonym: string;
  status: 'active' | 'revoked';
  revokedReason: string | null;
  documentHash: string;
  source: string;
  importRunId: number | null;
  sourceRow: number | null;
}

export interface WriteContext {
  /** ISO time stamped on every row of this write (one clock read per chunk in bulk imports). */
  now: string;
  /** Staff member id or 'import:<run id>'. */
  actor: string;
}

/** What the importer needs from a store; the dry run implements it over temporary tables. */
export interface ConsentWriter {
  findPatient(facility: string, mrn: string): PatientRef | undefined;
  createPatient(facility: string, mrn: string, name: string | null, birthDate: string | null, now: string): PatientRef;
  fillPatient(patient: PatientRef, name: string | null, birthDate: string | null): void;
  byExternalId(externalId: string): ConsentRow | undefined;
  /** Every row of one ledger key, any status (the max seq must count superseded rows too). */
  keyRows(patientId: number, grantee: string, purpose: Purpose, category: Category): ConsentRow[];
  insert(c: NewConsent, seq: number, ctx: WriteContext, history?: Record<string, unknown>): number;
  /** Replaces `old` by `next`. seqOld is the op for old's key when the key changes (a revoke there), else null. */
  supersede(old: ConsentRow, oldPseudonym: string, next: NewConsent, seq: number, seqOld: number | null, ctx: WriteContext): number;
  revoke(row: ConsentRow, pseudonym: string, reason: string, seq: number, ctx: WriteContext): void;
  /** Forgets cached reads after a rolled-back savepoint (rows it created are gone). */
  discardCache?(): void;
  /** Records that a row of an import run matched an existing consent (first match per consent wins). */
  noteDuplicate(runId: number, consentId: number, row: number): void;
  /** The row of this run that matched the consent as a duplicate, if any. */
  duplicateRow(runId: number, consentId: number): number | undefined;
}

/**
 * Patients cached by the importer: a file names each patient several times, mostly in rows close together.
 * Small on purpose: the cache is most of an import's live heap, and V8 lets the heap grow to a multiple of that.
 */
const PATIENT_CACHE_MAX = 8_192;

/** A change's order stamp and the highest stamp seen for its key before it (both 16 hex digits). */
interface Stamp {
  hlc: string;
  prevHlc: string;
}

function stampKey(patientId: number, grantee: string, purpose: string, category: string): string {
  return `${patientId}\u001f${grantee}\u001f${purpose}\u001f${category}`;
}

export function nextSeq(rows: readonly { seq: number }[]): number {
  let max = 0;
  for (const r of rows) if (r.seq > max) max = r.seq;
  return max + 1;
}

export class ConsentStore implements ConsentWriter {
  protected readonly s: Record<string, Statement>;
  private readonly patients = new Map<string, PatientRef>();
  /** Highest hlc stamp seen per ledger key, as read by keyRows (every write reads its key first). */
  private readonly seenHlc = new Map<string, string | null>();
  /** Milliseconds of a write's ISO time; a test may inject a fake clock. */
  clock: (nowIso: string) => number = (nowIso) => Date.parse(nowIso);

  constructor(
    readonly db: Db,
    protected readonly pseudonymizer: Pseudonymizer,
  ) {
    this.s = {
      findPatient: db.prepare('SELECT id, pseudonym, name, birth_date AS birthDate FROM patients WHERE facility = ? AND mrn = ?'),
      createPatient: db.prepare(`INSERT INTO patients (facility, mrn, name, birth_date, ${PATIENT_STORED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      fillPatient: db.prepare('UPDATE patients SET name = COALESCE(name, ?), birth_date = COALESCE(birth_date, ?) WHERE id = ?'),
      byExternalId: db.prepare(`SELECT * FROM consents WHERE external_id = ? AND status <> 'superseded'`),
      byId: db.prepare('SELECT * FROM consents WHERE id = ?'),
      keyRows: db.prepare('SELECT * FROM consents WHERE patient_id = ? AND grantee = ? AND purpose_code = ? AND category_code = ?'),
      insert: db.prepare(
        `INSERT INTO consents (external_id, patient_id, grantee, grantee_kind_code, decision_code, purpose_code, category_code, period_start, period_end,
           status_code, document_hash_bin, source_text, import_run_id, source_row, revoked_reason, seq, ${CONSENT_STAMP_COLUMNS})
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      markSuperseded: db.prepare(`UPDATE consents SET status_code = ${STATUS_CODE.superseded}, superseded_by = ?, seq = ?, updated_ms = ?, updated_text = ? WHERE id = ?`),
      stampRow: db.prepare(`UPDATE consents SET hlc_int = ?, hlc_text = ?, hlc_writer = NULL WHERE id = ?`),
      setSupersededBy: db.prepare('UPDATE consents SET superseded_by = ? WHERE id = ?'),
      markRevoked: db.prepare(
        `UPDATE consents SET status_code = ${STATUS_CODE.revoked}, revoked_reason = ?, seq = ?, hlc_int = ?, hlc_text = ?, hlc_writer = NULL, updated_ms = ?, updated_text = ? WHERE id = ?`,
      ),
      noteDuplicate: db.prepare('INSERT OR IGNORE INTO import_duplicates (run_id, consent_id, row) VALUES (?, ?, ?)'),
      duplicateRow: db.prepare('SELECT row FROM import_duplicates WHERE run_id = ? AND consent_id = ?'),
      history: db.prepare('INSERT INTO consent_history (consent_id, action, actor, at, detail) VALUES (?, ?, ?, ?, ?)'),
    };
  }

  findPatient(facility: string, mrn: string): PatientRef | undefined {
    const key = `${facility}\u001f${mrn}`;
    let patient = this.patients.get(key);
    if (patient === undefined) {
      patient = this.readPatient(key, facility, mrn);
      if (patient) this.remember(key, patient);
    }
    return patient;
  }

  /** A patient not in the cache, from the table (the bulk store also looks at its unwritten rows). */
  protected readPatient(_key: string, facility: string, mrn: string): PatientRef | undefined {
    return this.s.findPatient!.get(facility, mrn) as PatientRef | undefined;
  }

  createPatient(facility: string, mrn: string, name: string | null, birthDate: string | null, now: string): PatientRef {
    const pseudonym = this.pseudonymizer.pseudonym(facility, mrn);
    const patient = this.writePatient(facility, mrn, name, birthDate, pseudonym, now);
    this.remember(`${facility}\u001f${mrn}`, patient);
    return patient;
  }

  protected writePatient(facility: string, mrn: string, name: string | null, birthDate: string | null, pseudonym: string, now: string): PatientRef {
    const id = Number(this.s.createPatient!.run(facility, mrn, name, birthDate, ...patientValues(pseudonym, now)).lastInsertRowid);
    return { id, pseudonym, name, birthDate };
  }

  fillPatient(patient: PatientRef, name: string | null, birthDate: string | null): void {
    if ((name && !patient.name) || (birthDate && !patient.birthDate)) {
      this.s.fillPatient!.run(name, birthDate, patient.id);
      patient.name ??= name;
      patient.birthDate ??= birthDate;
    }
  }

  discardCache(): void {
    this.patients.clear();
  }

  noteDuplicate(runId: number, consentId: number, row: number): void {
    this.s.noteDuplicate!.run(runId, consentId, row);
  }

  duplicateRow(runId: number, consentId: number): number | undefined {
    return (this.s.duplicateRow!.get(runId, consentId) as { row: number } | undefined)?.row;
  }

  private remember(key: string, patient: PatientRef): void {
    if (this.patients.size >= PATIENT_CACHE_MAX) this.patients.clear();
    this.patients.set(key, patient);
  }

  byExternalId(externalId: string): ConsentRow | undefined {
    return this.s.byExternalId!.get(externalId) as ConsentRow | undefined;
  }

  byId(id: number): ConsentRow | undefined {
    return this.s.byId!.get(id) as ConsentRow | undefined;
  }

  keyRows(patientId: number, grantee: string, purpose: Purpose, category: Category): ConsentRow[] {
    const rows = this.s.keyRows!.all(patientId, grantee, purposeCode(purpose), categoryCode(category)) as ConsentRow[];
    // Every write reads its key's rows first: remember the highest stamp seen (written here or pulled) for the next.
    let max: string | null = null;
    for (const r of rows) if (max === null || r.hlc > max) max = r.hlc;
    if (this.seenHlc.size >= 50_000) this.seenHlc.clear();
    this.seenHlc.set(stampKey(patientId, grantee, purpose, category), max);
    return rows;
  }

  /**
   * Raises the highest stamp seen for a key (read by keyRows) to `hlc`: a winner the chain reported that this
   * database has not pulled yet, so the next change of the key is stamped above it.
   */
  sawStamp(c: Pick<NewConsent, 'patientId' | 'grantee' | 'purpose' | 'category'>, hlc: string): void {
    const key = stampKey(c.patientId, c.grantee, c.purpose, c.category);
    const seen = this.seenHlc.get(key) ?? null;
    if (seen === null || hlc > seen) this.seenHlc.set(key, hlc);
  }

  /** The order stamp of a new change of `c`'s key: max(now_ms << 16, highest stamp seen for the key + 1). */
  private stamp(c: Pick<NewConsent, 'patientId' | 'grantee' | 'purpose' | 'category'>, now: string): Stamp {
    const key = stampKey(c.patientId, c.grantee, c.purpose, c.category);
    const seen = this.seenHlc.get(key) ?? null;
    const hlc = hlcText(nextHlc(this.clock(now), seen === null ? null : hlcOfText(seen)));
    this.seenHlc.set(key, hlc);
    return { hlc, prevHlc: seen ?? '0000000000000000' };
  }

  /**
   * Sends again, unchanged, a change of this workstation whose batch the chain holds without its event (sync
   * SYNC_APPLIED_WITHOUT_LOG: a torn node state kept the batch's flag and lost the block and its logs). ConsentLedger
   * keeps nothing per key, so for every reader the change never happened: the same payload (same stamp, same prevHlc)
   * lands later and the fold judges it there, as if the batch had landed late. Null when the row is gone or the change
   * was already sent again (a later consent.change event of this consent at the same stamp): running twice sends once.
   */
  resendUnchanged(outboxId: number, payloadText: string, torn: ConsentChangePayload, now: string): { outboxId: number; hlc: string; patientId: number } | null {
    const row = this.byId(torn.consentId);
    if (!row) return null;
    const again = this.db
      // Events by reference (outbox_refs, 0023) or as copies, after the torn one only (a rowid range, not a scan).
      .prepare(
        `SELECT id FROM outbox_events WHERE kind = 'consent.change' AND id > ?
            AND id IN (SELECT outbox_id FROM outbox_refs WHERE source_id = ? AND outbox_id > ? UNION ALL
                       SELECT id FROM outbox WHERE id > ? AND kind = 'consent.change' AND json_extract(nullif(payload, ''), '$.consentId') = ?)
            AND json_extract(nullif(payload, ''), '$.hlc') = ? LIMIT 1`,
      )
      .pluck()
      .get(outboxId, torn.consentId, outboxId, outboxId, torn.consentId, torn.hlc) as number | undefined;
    if (again !== undefined) return null;
    const id = enqueueOutbox(this.db, CONSENT_CHANGE, payloadText, now);
    return { outboxId: id, hlc: torn.hlc, patientId: row.patient_id };
  }

  insert(c: NewConsent, seq: number, ctx: WriteContext, history?: Record<string, unknown>): number {
    const stamp = this.stamp(c, ctx.now);
    const id = this.writeConsent(c, seq, ctx.now, stamp.hlc);
    // A plain import row's creation is implied by the row itself (source, created_at, import run and source row):
    // consentDetail() shows it as the 'create' entry, so no history row is stored for it (issue #14: 93 B/consent).
    const implied = history === undefined && c.sourceRow !== null && c.importRunId !== null && ctx.actor === c.source;
    if (!implied) {
      const detail = history === undefined ? (c.sourceRow === null ? null : `{"row":${c.sourceRow},"run":${c.importRunId}}`) : JSON.stringify(history);
      this.writeHistory(id, 'create', ctx.actor, ctx.now, detail);
    }
    this.event(history?.supersedes !== undefined ? 'supersede' : 'create', id, c, seq, stamp, c.status !== 'active', ctx);
    return id;
  }

  // The three appends of every change. The importer's bulk store buffers them into multi-row INSERTs.
  protected writeConsent(c: NewConsent, seq: number, now: string, hlc: string): number {
    return Number(this.s.insert!.run(...consentStoredValues(c, seq, now, hlc)).lastInsertRowid);
  }

  protected writeHistory(consentId: number, action: string, actor: string, at: string, detail: string | null): void {
    this.s.history!.run(consentId, action, actor, at, detail);
  }

  protected writeOutbox(payload: string, now: string): void {
    enqueueOutbox(this.db, CONSENT_CHANGE, payload, now);
  }

  supersede(old: ConsentRow, oldPseudonym: string, next: NewConsent, seq: number, seqOld: number | null, ctx: WriteContext): number {
    // The old row leaves the current-external-id index before its replacement takes the same external id.
    this.s.markSuperseded!.run(null, seqOld ?? old.seq, ...timeColumns(ctx.now), old.id);
    const id = this.insert(next, seq, ctx, { supersedes: old.id, ...(next.sourceRow === null ? {} : { row: next.sourceRow, run: next.importRunId }) });
    this.beforeReference();
    this.s.setSupersededBy!.run(id, old.id);
    this.writeHistory(old.id, 'supersede', ctx.actor, ctx.now, JSON.stringify({ supersededBy: id, changed: changedFields(old, next) }));
    // The new row's op already set its key; a superseded row on a different key leaves that key revoked.
    if (seqOld !== null) {
      const oldKey = rowAsConsent(old, oldPseudonym);
      const stamp = this.stamp(oldKey, ctx.now);
      this.s.stampRow!.run(...hlcColumns(stamp.hlc), old.id);
      this.event('revoke', old.id, oldKey, seqOld, stamp, true, ctx);
    }
    return id;
  }

  revoke(row: ConsentRow, pseudonym: string, reason: string, seq: number, ctx: WriteContext): void {
    const c = rowAsConsent(row, pseudonym);
    const stamp = this.stamp(c, ctx.now);
    this.s.markRevoked!.run(reason, seq, ...hlcColumns(stamp.hlc), ...timeColumns(ctx.now), row.id);
    this.writeHistory(row.id, 'revoke', ctx.actor, ctx.now, JSON.stringify({ reason }));
    this.event('revoke', row.id, c, seq, stamp, true, ctx);
  }

  private event(change: ConsentChangePayload['change'], consentId: number, c: NewConsent, _seq: number, stamp: Stamp, revoked: boolean, ctx: WriteContext): void {
    const payload = consentChangeJson({
      change,
      consentId,
      pseudonym: c.pseudonym,
      grantee: c.grantee,
      granteeKind: c.granteeKind,
      purpose: c.purpose,
      category: c.category,
      hlc: stamp.hlc,
      prevHlc: stamp.prevHlc,
      decision: c.decision,
      periodStart: c.periodStart,
      periodEnd: c.periodEnd,
      revoked,
      documentHash: c.documentHash,
    });
    this.writeOutbox(payload, ctx.now);
  }

  /** Before a statement that references a row just inserted (a foreign key): the bulk store writes its buffer. */
  protected beforeReference(): void {}
}

export function rowAsConsent(row: ConsentRow, pseudonym: string): NewConsent {
  return {
    externalId: row.external_id,
    patientId: row.patient_id,
    pseudonym,
    grantee: row.grantee,
    granteeKind: row.grantee_kind,
    decision: row.decision,
    purpose: row.purpose,
    category: row.category,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    status: row.status === 'active' ? 'active' : 'revoked',
    revokedReason: row.revoked_reason,
    documentHash: row.document_hash,
    source: row.source,
    importRunId: row.import_run_id,
    sourceRow: row.source_row,
  };
}

/** Names of the terms that differ between a stored row and its replacement (for the history). */
export function changedFields(old: ConsentRow, next: NewConsent): string[] {
  const out: string[] = [];
  if (old.grantee !== next.grantee || old.grantee_kind !== next.granteeKind) out.push('grantee');
  if (old.decision !== next.decision) out.push('decision');
  if (old.purpose !== next.purpose) out.push('purpose');
  if (old.category !== next.category) out.push('category');
  if (old.period_start !== next.periodStart) out.push('period_start');
  if (old.period_end !== next.periodEnd) out.push('period_end');
  if (old.document_hash !== next.documentHash) out.push('document_hash');
  if ((old.status === 'active') !== (next.status === 'active')) out.push('status');
  return out;
}

/** The 32 bytes the consents table stores for a document hash (`0x` and 64 hex digits, as every writer normalises it). */
export function documentHashBytes(hash: string): Buffer {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) throw new Error('a document hash must be 0x and 64 hex digits');
  return Buffer.from(hash.slice(2), 'hex');
}

/**
 * consentInsertValues as stored: the document hash as its bytes (column document_hash_bin, migration 0020), the times
 * and stamp as their compact columns (CONSENT_STAMP_COLUMNS, migration 0026), the five vocabularies as their codes
 * (grantee_kind_code, decision_code, purpose_code, category_code, status_code: migration 0028).
 */
export function consentStoredValues(c: NewConsent, seq: number, now: string, hlc: string): unknown[] {
  const values = consentInsertValues(c, seq, now, hlc).slice(0, 16);
  values[3] = granteeKindCode(c.granteeKind);
  values[4] = decisionCode(c.decision);
  values[5] = purposeCode(c.purpose);
  values[6] = categoryCode(c.category);
  values[9] = statusCode(c.status);
  values[10] = documentHashBytes(c.documentHash);
  values[11] = sourceText(c.source, c.importRunId);
  return [...values, ...newConsentStampValues(now, hlc)];
}

/** A new consent's values in the column order of the consents INSERT, the document hash as text (the dry-run store's copy). */
export function consentInsertValues(c: NewConsent, seq: number, now: string, hlc: string): unknown[] {
  return [c.externalId, c.patientId, c.grantee, c.granteeKind, c.decision, c.purpose, c.category, c.periodStart, c.periodEnd, c.status, c.documentHash, c.source, c.importRunId, c.sourceRow, c.revokedReason, seq, now, now, hlc];
}

/** The bulk import's multi-row INSERT of consent rows: the row id, then consentStoredValues' columns. */
export function consentBulkInsert(db: Db): MultiRowInsert {
  return new MultiRowInsert(
    db,
    `INSERT INTO consents (id, external_id, patient_id, grantee, grantee_kind_code, decision_code, purpose_code, category_code, period_start, period_end,
       status_code, document_hash_bin, source_text, import_run_id, source_row, revoked_reason, seq, ${CONSENT_STAMP_COLUMNS})`,
    23,
  );
}

/** The bulk import's multi-row INSERTs of new patients (their ids assigned by the import) and consent history. */
export function patientBulkInsert(db: Db): MultiRowInsert {
  return new MultiRowInsert(db, `INSERT INTO patients (id, facility, mrn, name, birth_date, ${PATIENT_STORED_COLUMNS})`, 8);
}
export function consentHistoryBulkInsert(db: Db): MultiRowInsert {
  return new MultiRowInsert(db, 'INSERT INTO consent_history (consent_id, action, actor, at, detail)', 5);
}

/** A change pulled from the chain as a new current row (source 'chain', stamped with its writer). */
export interface ChainConsentRow {
  externalId: string | null;
  patientId: number;
  grantee: string;
  granteeKind: string;
  decision: string;
  purpose: string;
  category: string;
  periodStart: number;
  periodEnd: number | null;
  status: 'active' | 'revoked';
  documentHash: string;
  seq: number;
  hlc: string;
  writer: string;
  at: string;
}

/** The writes of the chain side: applying a pulled change (consent-sink.ts) and undoing it after a reorg (pull-undo.ts). */
export const chainConsentWrites = {
  /** Our own change came back from the chain: remember who wrote it. */
  setWriter: (db: Db, id: number, writer: string) => db.prepare(`UPDATE consents SET hlc_writer = ? WHERE id = ?`).run(writer, id),
  /** Same terms, a newer revocation: revoke in place, as a local revoke would. */
  revokeInPlace: (db: Db, id: number, v: { seq: number; hlc: string; writer: string; at: string }) =>
    db
      .prepare(
        `UPDATE consents SET status_code = ${STATUS_CODE.revoked}, seq = ?, hlc_int = ?, hlc_text = ?, hlc_writer = ?, revoked_reason = coalesce(revoked_reason, 'revoked on another workstation'), updated_ms = ?, updated_text = ? WHERE id = ?`,
      )
      .run(v.seq, ...hlcColumns(v.hlc), v.writer, ...timeColumns(v.at), id),
  markSuperseded: (db: Db, id: number, at: string) => db.prepare(`UPDATE consents SET status_code = ${STATUS_CODE.superseded}, updated_ms = ?, updated_text = ? WHERE id = ?`).run(...timeColumns(at), id),
  insert: (db: Db, r: ChainConsentRow): number =>
    Number(
      db
        .prepare(
          `INSERT INTO consents (external_id, patient_id, grantee, grantee_kind_code, decision_code, purpose_code, category_code, period_start, period_end, status_code, document_hash_bin, source_text, seq, hlc_writer, ${CONSENT_STAMP_COLUMNS})
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'chain', ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(r.externalId, r.patientId, r.grantee, granteeKindCode(r.granteeKind), decisionCode(r.decision), purposeCode(r.purpose), categoryCode(r.category), r.periodStart, r.periodEnd, statusCode(r.status), documentHashBytes(r.documentHash), r.seq, r.writer, ...newConsentStampValues(r.at, r.hlc))
        .lastInsertRowid,
    ),
  linkSupersededBy: (db: Db, id: number, supersededBy: number | null) => db.prepare(`UPDATE consents SET superseded_by = ? WHERE id = ?`).run(supersededBy, id),
  /** Undo of an in-place revoke: the row's state before the pull, as recorded. */
  restoreRevoked: (db: Db, id: number, before: Record<string, string | number | null>) =>
    db
      .prepare(
        `UPDATE consents SET status_code = ?, seq = ?, revoked_reason = ?, hlc_int = iif(?, hlc_int, ?), hlc_text = iif(?, hlc_text, ?), hlc_writer = ?, updated_ms = ?, updated_text = ? WHERE id = ?`,
      )
      .run(...restoredRow(before), id),
  /** A history entry of a pulled change (actor 'chain-sync'); its id goes to the pull log, so a reorg can take it back. */
  insertHistory: (db: Db, consentId: number, action: string, at: string, detail: string): number =>
    Number(db.prepare(`INSERT INTO consent_history (consent_id, action, actor, at, detail) VALUES (?, ?, 'chain-sync', ?, ?)`).run(consentId, action, at, detail).lastInsertRowid),
  deleteHistory: (db: Db, ids: readonly number[]) => db.prepare(`DELETE FROM consent_history WHERE id IN (SELECT value FROM json_each(?))`).run(JSON.stringify(ids)),
  deleteRow: (db: Db, id: number) => db.prepare(`DELETE FROM consents WHERE id = ?`).run(id),
  /** Undo of a replacement: the superseded row current again, as it was before the pull. */
  restoreSuperseded: (db: Db, id: number, before: Record<string, string | number | null>) =>
    db.prepare(`UPDATE consents SET status_code = ?, superseded_by = ?, updated_ms = ?, updated_text = ? WHERE id = ?`).run(recordedStatus(before.status), before.superseded_by, ...recordedTime(before.updated_at), id),
};

/** A recorded time (pull-undo's copy of a row) as its two columns; a missing one stays null, which the row refuses. */
function recordedTime(at: string | number | null | undefined): TimeColumns {
  return typeof at === 'string' ? timeColumns(at) : [null, null];
}

/** A recorded status (pull-undo's copy of a row) as its code; a missing or unknown one stays null, which the row refuses. */
function recordedStatus(status: string | number | null | undefined): number | null {
  return typeof status === 'string' ? statusCode(status) : null;
}

/** restoreRevoked's values: the recorded state, its stamp only when one was recorded (else the row keeps its own). */
function restoredRow(before: Record<string, string | number | null>): unknown[] {
  const keep = typeof before.hlc !== 'string';
  const [hlcInt, hlcText] = keep ? [null, null] : hlcColumns(before.hlc as string);
  return [recordedStatus(before.status), before.seq, before.revoked_reason, keep ? 1 : 0, hlcInt, keep ? 1 : 0, hlcText, before.hlc_writer ?? null, ...recordedTime(before.updated_at)];
}
