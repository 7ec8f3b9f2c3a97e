// How one validated consent lands in the store during an import: new, duplicate (nothing changes), update of
// the consent with the same external id (supersede or revoke), or refused (conflict within the file, wrong patient).
import type { ConsentDraft, FieldProblem } from '../consents/draft';
import { periodsOverlap } from '../consents/period';
import { nextSeq, type ConsentRow, type ConsentWriter, type NewConsent, type PatientRef, type WriteContext } from '../consents/store';
import { toNewConsent } from '../consents/writes';

export type ApplyOutcome =
  | { kind: 'inserted'; consentId: number }
  | { kind: 'updated'; consentId: number }
  | { kind: 'duplicate'; consentId: number }
  | { kind: 'rejected'; problems: FieldProblem[] };

export interface ApplyContext {
  runId: number | null;
  /** Row (CSV) or record (FHIR) number in the file; conflicts name the earlier row. */
  rowNumber: number | null;
  source: string;
  write: WriteContext;
}

function sameTerms(r: ConsentRow, c: NewConsent): boolean {
  return (
    r.grantee === c.grantee &&
    r.grantee_kind === c.granteeKind &&
    r.decision === c.decision &&
    r.purpose === c.purpose &&
    r.category === c.category &&
    r.period_start === c.periodStart &&
    r.period_end === c.periodEnd &&
    r.document_hash === c.documentHash
  );
}

/**
 * The rule for permit and deny of one key in one file: the earlier row stands and the later one is refused with
 * a reason naming it. "Earlier row" covers rows this run wrote and rows it found already on file (duplicates),
 * so importing the same file again refuses the same rows. Rows of one FHIR resource never conflict with each other.
 */
function conflictIn(w: ConsentWriter, rows: readonly ConsentRow[], c: NewConsent, a: ApplyContext, ignoreId: number | null): { row: ConsentRow; fileRow: number } | undefined {
  if (c.status !== 'active' || a.runId === null) return undefined;
  for (const r of rows) {
    if (r.id === ignoreId || r.status !== 'active' || r.decision === c.decision || !periodsOverlap(r.period_start, r.period_end, c.periodStart, c.periodEnd)) continue;
    const fileRow = r.import_run_id === a.runId ? r.source_row : w.duplicateRow(a.runId, r.id);
    if (fileRow !== null && fileRow !== undefined && fileRow !== a.rowNumber) return { row: r, fileRow };
  }
  return undefined;
}

function conflictProblem(conflict: { row: ConsentRow; fileRow: number }, c: NewConsent): FieldProblem[] {
  return [
    {
      column: 'decision',
      reason: `conflicts with row ${conflict.fileRow} of this file, which ${conflict.row.decision === 'permit' ? 'permits' : 'denies'} what this row ${c.decision === 'permit' ? 'permits' : 'denies'} (same patient, grantee, purpose and category, overlapping period); the earlier row was kept`,
    },
  ];
}

function duplicate(w: ConsentWriter, a: ApplyContext, consentId: number): ApplyOutcome {
  if (a.runId !== null && a.rowNumber !== null) w.noteDuplicate(a.runId, consentId, a.rowNumber);
  return { kind: 'duplicate', consentId };
}

export function applyDraft(w: ConsentWriter, d: ConsentDraft, a: ApplyContext): ApplyOutcome {
  // Every check that can refuse the row runs before anything is written for it.
  const found = w.findPatient(d.facility, d.mrn);
  if (found && d.birthDate !== null && found.birthDate !== null && d.birthDate !== found.birthDate) {
    return { kind: 'rejected', problems: [{ column: 'birth_date', reason: 'differs from the date of birth on file for this facility and MRN' }] };
  }
  const existing = d.externalId === null ? undefined : w.byExternalId(d.externalId);
  if (existing && existing.patient_id !== found?.id) {
    return { kind: 'rejected', problems: [{ column: 'external_id', reason: 'is already the id of a consent of another patient' }] };
  }
  let patient: PatientRef;
  if (found) {
    patient = found;
    w.fillPatient(found, d.patientName, d.birthDate);
  } else {
    patient = w.createPatient(d.facility, d.mrn, d.patientName, d.birthDate, a.write.now);
  }
  const c = toNewConsent(d, patient, a);
  const rows = found ? w.keyRows(patient.id, c.grantee, c.purpose, c.category) : [];

  if (existing) {
    if (sameTerms(existing, c)) {
      // An import never brings back what staff revoked: the same terms again are a duplicate.
      if (c.status === 'active' || existing.status !== 'active') return duplicate(w, a, existing.id);
      w.revoke(existing, patient.pseudonym, c.revokedReason!, nextSeq(rows), a.write);
      return { kind: 'updated', consentId: existing.id };
    }
    const conflict = conflictIn(w, rows, c, a, existing.id);
    if (conflict) return { kind: 'rejected', problems: conflictProblem(conflict, c) };
    const sameKey = existing.grantee === c.grantee && existing.purpose === c.purpose && existing.category === c.category;
    const seqOld = sameKey ? null : nextSeq(w.keyRows(existing.patient_id, existing.grantee, existing.purpose, existing.category));
    const id = w.supersede(existing, patient.pseudonym, c, nextSeq(rows), seqOld, a.write);
    return { kind: 'updated', consentId: id };
  }

  for (const r of rows) {
    if (r.status === 'superseded' || !sameTerms(r, c)) continue;
    if (c.externalId !== null && r.external_id !== null) continue; // two identified consents with equal terms
    if (c.status === 'active' || r.status !== 'active') return duplicate(w, a, r.id);
    w.revoke(r, patient.pseudonym, c.revokedReason!, nextSeq(rows), a.write);
    return { kind: 'updated', consentId: r.id };
  }
  const conflict = conflictIn(w, rows, c, a, null);
  if (conflict) return { kind: 'rejected', problems: conflictProblem(conflict, c) };
  return { kind: 'inserted', consentId: w.insert(c, nextSeq(rows), a.write) };
}
