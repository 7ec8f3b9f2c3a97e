// How a patients row stores its pseudonym and creation time (migration compact_patients): the pseudonym as the 32
// bytes its 64 hex digits spell (the generated column pseudonym rebuilds '0x' + lowercase hex), the time as
// compact-columns.ts stores a consent's. Pure; used by every patient writer (store.ts, the bulk import, the fixtures
// and tests that INSERT patients) and by every lookup by pseudonym (which filters on pseudonym_bin, the unique index).
import { timeColumns } from './compact-columns';

const CANONICAL_PSEUDONYM = /^0x[0-9a-f]{64}$/;

/**
 * The 32 bytes of a pseudonym written as '0x' + 64 lowercase hex digits (what Pseudonymizer writes and the generated
 * column reads back); null for any other text, which no stored patient has (the lookup then finds nobody, as the
 * old text comparison did).
 */
export function pseudonymBytes(pseudonym: string): Buffer | null {
  return CANONICAL_PSEUDONYM.test(pseudonym) ? Buffer.from(pseudonym.slice(2), 'hex') : null;
}

/** The stored columns of a new patient's pseudonym and creation time, in the order of PATIENT_STORED_COLUMNS. */
export function patientValues(pseudonym: string, createdAt: string): [Buffer, number | null, string | null] {
  const bytes = pseudonymBytes(pseudonym);
  if (!bytes) throw new Error(`PATIENT_PSEUDONYM_NOT_CANONICAL: a patient's pseudonym is '0x' and 64 lowercase hex digits (got ${JSON.stringify(pseudonym.slice(0, 80))})`);
  return [bytes, ...timeColumns(createdAt)];
}

/** A patient's id by pseudonymBytes(text): an equality on pseudonym_bin, so the lookup walks its unique index. */
export const PATIENT_BY_PSEUDONYM = 'SELECT id FROM patients WHERE pseudonym_bin = ?';

/** The column list patientValues fills, for an INSERT INTO patients. */
export const PATIENT_STORED_COLUMNS = 'pseudonym_bin, created_ms, created_text';
