// A test fixture (named -fixture.ts, so scripts/table-owners.ts lets it write patients), shared by the tests of the
// migrations that make the patient search's index again: after what a migration did, the index still follows every
// write to patients.
import { expect } from 'vitest';
import type { Db } from '../db/connection';
import { patientValues, PATIENT_STORED_COLUMNS } from './patient-columns';
import { matchPatientIds } from './search';

/**
 * A patient added, renamed and removed: the name search finds it, then by its new name only, then not at all, and
 * FTS5's own check of the index against patients (it throws when they are out of step) passes.
 */
export function expectNameIndexFollowsWrites(db: Db): void {
  const added = Number(
    db.prepare(`INSERT INTO patients (facility, mrn, name, ${PATIENT_STORED_COLUMNS}) VALUES ('GH01', 'NEW-1', 'Zebulon, Pike', ?, ?, ?)`).run(...patientValues(`0x${'5a'.repeat(32)}`, new Date().toISOString())).lastInsertRowid,
  );
  expect(matchPatientIds(db, 'bulon', 10)).toEqual([added]);
  db.prepare(`UPDATE patients SET name = 'Other, Name' WHERE id = ?`).run(added);
  expect(matchPatientIds(db, 'bulon', 10)).toEqual([]);
  expect(matchPatientIds(db, 'ther, Na', 10)).toEqual([added]);
  db.prepare('DELETE FROM patients WHERE id = ?').run(added);
  expect(matchPatientIds(db, 'ther, Na', 10)).toEqual([]);
  expect(() => db.prepare(`INSERT INTO patients_fts (patients_fts, rank) VALUES ('integrity-check', 1)`).run()).not.toThrow();
}
