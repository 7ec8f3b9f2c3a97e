// The store a dry run writes to: temporary tables of this connection, read together with the real tables, so a
// dry run sees its own earlier rows (duplicates, conflicts, updates) without changing anything or taking the lock.
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { Category, Purpose } from '../consents/codes';
import { categoryCode, purposeCode } from '../consents/compact-columns';
import type { Pseudonymizer } from '../consents/pseudonym';
import { consentInsertValues, type ConsentRow, type ConsentWriter, type NewConsent, type PatientRef, type WriteContext } from '../consents/store';

const SCHEMA = `
  DROP TABLE IF EXISTS temp.dry_patients;
  DROP TABLE IF EXISTS temp.dry_consents;
  DROP TABLE IF EXISTS temp.dry_masked;
  DROP TABLE IF EXISTS temp.dry_duplicates;
  CREATE TEMP TABLE dry_duplicates (consent_id INTEGER PRIMARY KEY, row INTEGER NOT NULL);
  CREATE TEMP TABLE dry_patients (id INTEGER PRIMARY KEY, facility TEXT, mrn TEXT, name TEXT, birth_date TEXT, pseudonym TEXT, UNIQUE (facility, mrn));
  CREATE TEMP TABLE dry_consents AS SELECT * FROM main.consents WHERE 0;
  CREATE UNIQUE INDEX temp.dry_consents_id ON dry_consents (id);
  CREATE INDEX temp.dry_consents_key ON dry_consents (patient_id, grantee, purpose, category);
  CREATE INDEX temp.dry_consents_external ON dry_consents (external_id);
  CREATE TEMP TABLE dry_masked (id INTEGER PRIMARY KEY);
`;

/** Rows a dry run creates get negative ids, so they never collide with real ones. */
export class DryRunStore implements ConsentWriter {
  private nextId = -1;
  private readonly s: Record<string, Statement>;

  constructor(
    db: import('../db/connection').Db,
    private readonly pseudonymizer: Pseudonymizer,
  ) {
    db.exec(SCHEMA);
    this.s = {
      mainPatient: db.prepare('SELECT id, pseudonym, name, birth_date AS birthDate FROM main.patients WHERE facility = ? AND mrn = ?'),
      dryPatient: db.prepare('SELECT id, pseudonym, name, birth_date AS birthDate FROM temp.dry_patients WHERE facility = ? AND mrn = ?'),
      addPatient: db.prepare('INSERT INTO temp.dry_patients (id, facility, mrn, name, birth_date, pseudonym) VALUES (?, ?, ?, ?, ?, ?)'),
      dryExternal: db.prepare(`SELECT * FROM temp.dry_consents WHERE external_id = ? AND status <> 'superseded'`),
      mainExternal: db.prepare(`SELECT * FROM main.consents WHERE external_id = ? AND status <> 'superseded' AND id NOT IN (SELECT id FROM temp.dry_masked)`),
      dryKey: db.prepare('SELECT * FROM temp.dry_consents WHERE patient_id = ? AND grantee = ? AND purpose = ? AND category = ?'),
      mainKey: db.prepare(
        'SELECT * FROM main.consents WHERE patient_id = ? AND grantee = ? AND purpose_code = ? AND category_code = ? AND id NOT IN (SELECT id FROM temp.dry_masked)',
      ),
      insert: db.prepare(
        `INSERT INTO temp.dry_consents (id, external_id, patient_id, grantee, grantee_kind, decision, purpose, category, period_start, period_end,
           status, document_hash, source, import_run_id, source_row, revoked_reason, seq, created_at, updated_at, hlc)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      copyMain: db.prepare('INSERT OR IGNORE INTO temp.dry_consents SELECT * FROM main.consents WHERE id = ?'),
      mask: db.prepare('INSERT OR IGNORE INTO temp.dry_masked (id) VALUES (?)'),
      setStatus: db.prepare('UPDATE temp.dry_consents SET status = ?, seq = ? WHERE id = ?'),
      noteDuplicate: db.prepare('INSERT OR IGNORE INTO temp.dry_duplicates (consent_id, row) VALUES (?, ?)'),
      duplicateRow: db.prepare('SELECT row FROM temp.dry_duplicates WHERE consent_id = ?'),
    };
  }

  findPatient(facility: string, mrn: string): PatientRef | undefined {
    return (this.s.mainPatient!.get(facility, mrn) ?? this.s.dryPatient!.get(facility, mrn)) as PatientRef | undefined;
  }

  createPatient(facility: string, mrn: string, name: string | null, birthDate: string | null): PatientRef {
    const id = this.nextId--;
    const pseudonym = this.pseudonymizer.pseudonym(facility, mrn);
    this.s.addPatient!.run(id, facility, mrn, name, birthDate, pseudonym);
    return { id, pseudonym, name, birthDate };
  }

  fillPatient(): void {
    // A dry run changes no patient.
  }

  byExternalId(externalId: string): ConsentRow | undefined {
    return (this.s.dryExternal!.get(externalId) ?? this.s.mainExternal!.get(externalId)) as ConsentRow | undefined;
  }

  keyRows(patientId: number, grantee: string, purpose: Purpose, category: Category): ConsentRow[] {
    const dry = this.s.dryKey!.all(patientId, grantee, purpose, category) as ConsentRow[];
    if (patientId < 0) return dry;
    return [...(this.s.mainKey!.all(patientId, grantee, purposeCode(purpose), categoryCode(category)) as ConsentRow[]), ...dry];
  }

  insert(c: NewConsent, seq: number, ctx: WriteContext): number {
    const id = this.nextId--;
    this.s.insert!.run(id, ...consentInsertValues(c, seq, ctx.now, '0000000000000000'));
    return id;
  }

  private restatus(row: ConsentRow, status: string, seq: number): void {
    if (row.id > 0) {
      this.s.copyMain!.run(row.id);
      this.s.mask!.run(row.id);
    }
    this.s.setStatus!.run(status, seq, row.id);
  }

  supersede(old: ConsentRow, _oldPseudonym: string, next: NewConsent, seq: number, seqOld: number | null, ctx: WriteContext): number {
    this.restatus(old, 'superseded', seqOld ?? old.seq);
    return this.insert(next, seq, ctx);
  }

  revoke(row: ConsentRow, _pseudonym: string, _reason: string, seq: number): void {
    this.restatus(row, 'revoked', seq);
  }

  noteDuplicate(_runId: number, consentId: number, row: number): void {
    this.s.noteDuplicate!.run(consentId, row);
  }

  duplicateRow(_runId: number, consentId: number): number | undefined {
    return (this.s.duplicateRow!.get(consentId) as { row: number } | undefined)?.row;
  }
}
