// The consent store as a CSV import writes it: new patients, consent rows, history and outbox events of a chunk
// are buffered and written with multi-row INSERTs, so a row costs a few appended values instead of four statements.
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { Category, Purpose } from '../consents/codes';
import { patientValues } from '../consents/patient-columns';
import type { Pseudonymizer } from '../consents/pseudonym';
import { CONSENT_CHANGE, type ConsentChangePayload } from '../consents/outbox-events';
import { ConsentStore, consentBulkInsert, consentHistoryBulkInsert, consentStoredValues, patientBulkInsert, type ConsentRow, type NewConsent, type PatientRef } from '../consents/store';
import type { Db } from '../db/connection';
import type { MultiRowInsert } from '../db/multi-row-insert';
import { OutboxBatchWriter } from '../sync/outbox';

/** The ledger key of a consent row as one string (patient id, grantee, purpose, category). */
function keyOf(patientId: number, grantee: string, purpose: string, category: string): string {
  return `${patientId}\u001f${grantee}\u001f${purpose}\u001f${category}`;
}

/**
 * A ConsentStore whose appends wait in memory until flush() (called before the chunk commits). Reads stay exact:
 * a lookup that would match a buffered row (same ledger key, same external id, same patient) first writes the
 * buffer, and ids are assigned here from the table's max id, which holds because the import owns the write lock
 * for the whole chunk (call begin() after BEGIN IMMEDIATE). Updates only ever target rows found by those reads.
 */
export class BulkConsentStore extends ConsentStore {
  private nextConsentId = 0;
  private nextPatientId = 0;
  /** Patients with this id or above are buffered, not yet in the table. */
  private firstBufferedPatientId = Number.MAX_SAFE_INTEGER;
  private readonly patientsOut: MultiRowInsert;
  private readonly consentsOut: MultiRowInsert;
  private readonly historyOut: MultiRowInsert;
  private readonly outboxOut: OutboxBatchWriter<ConsentChangePayload>;
  /** Buffered patients by facility/MRN; written from the (possibly filled since) PatientRef at flush. */
  private readonly newPatients = new Map<string, { facility: string; mrn: string; ref: PatientRef; now: string }>();
  private readonly newKeys = new Set<string>();
  private readonly newExternalIds = new Set<string>();
  private readonly maxIds: Statement;

  constructor(db: Db, pseudonymizer: Pseudonymizer) {
    super(db, pseudonymizer);
    this.patientsOut = patientBulkInsert(db);
    this.consentsOut = consentBulkInsert(db);
    this.historyOut = consentHistoryBulkInsert(db);
    this.outboxOut = new OutboxBatchWriter(db, CONSENT_CHANGE);
    this.maxIds = db.prepare('SELECT (SELECT coalesce(max(id), 0) FROM consents) AS consents, (SELECT coalesce(max(id), 0) FROM patients) AS patients');
  }

  /** Call inside the chunk's write transaction, before the first row. */
  begin(): void {
    const max = this.maxIds.get() as { consents: number; patients: number };
    this.nextConsentId = max.consents + 1;
    this.nextPatientId = max.patients + 1;
    this.firstBufferedPatientId = this.nextPatientId;
  }

  /** Writes everything buffered, parents before the rows that reference them. */
  flush(): void {
    if (this.newPatients.size) {
      for (const p of this.newPatients.values()) this.patientsOut.add([p.ref.id, p.facility, p.mrn, p.ref.name, p.ref.birthDate, ...patientValues(p.ref.pseudonym, p.now)]);
      this.newPatients.clear();
      this.patientsOut.flush();
    }
    this.firstBufferedPatientId = this.nextPatientId;
    this.consentsOut.flush();
    this.newKeys.clear();
    this.newExternalIds.clear();
    this.historyOut.flush();
    this.outboxOut.flush();
  }

  /** After a rollback: nothing buffered may be written, and cached patients may be gone. */
  override discardCache(): void {
    super.discardCache();
    this.newPatients.clear();
    this.firstBufferedPatientId = Number.MAX_SAFE_INTEGER;
    this.newKeys.clear();
    this.newExternalIds.clear();
    for (const out of [this.patientsOut, this.consentsOut, this.historyOut, this.outboxOut]) out.discard();
  }

  get buffered(): number {
    return this.consentsOut.rows;
  }

  protected override readPatient(key: string, facility: string, mrn: string): PatientRef | undefined {
    return this.newPatients.get(key)?.ref ?? super.readPatient(key, facility, mrn);
  }

  protected override writePatient(facility: string, mrn: string, name: string | null, birthDate: string | null, pseudonym: string, now: string): PatientRef {
    const ref: PatientRef = { id: this.nextPatientId++, pseudonym, name, birthDate };
    this.newPatients.set(`${facility}\u001f${mrn}`, { facility, mrn, ref, now });
    return ref;
  }

  override fillPatient(patient: PatientRef, name: string | null, birthDate: string | null): void {
    // A buffered patient is written with whatever it holds at flush time; only a stored one needs the UPDATE.
    if (patient.id >= this.firstBufferedPatientId) {
      patient.name ??= name;
      patient.birthDate ??= birthDate;
      return;
    }
    super.fillPatient(patient, name, birthDate);
  }

  override byExternalId(externalId: string): ConsentRow | undefined {
    if (this.newExternalIds.has(externalId)) this.flush();
    return super.byExternalId(externalId);
  }

  override keyRows(patientId: number, grantee: string, purpose: Purpose, category: Category): ConsentRow[] {
    if (this.newKeys.has(keyOf(patientId, grantee, purpose, category))) this.flush();
    return super.keyRows(patientId, grantee, purpose, category);
  }

  protected override writeConsent(c: NewConsent, seq: number, now: string, hlc: string): number {
    const id = this.nextConsentId++;
    this.consentsOut.add([id, ...consentStoredValues(c, seq, now, hlc)]);
    this.newKeys.add(keyOf(c.patientId, c.grantee, c.purpose, c.category));
    if (c.externalId !== null) this.newExternalIds.add(c.externalId);
    return id;
  }

  protected override writeHistory(consentId: number, action: string, actor: string, at: string, detail: string | null): void {
    this.historyOut.add([consentId, action, actor, at, detail]);
  }

  protected override writeOutbox(payload: string, now: string): void {
    this.outboxOut.add(payload, now);
  }

  protected override beforeReference(): void {
    this.flush();
  }
}
