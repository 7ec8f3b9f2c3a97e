// What the consents table's search box finds: patients by MRN or any part of their name, and providers by NPI or
// any part of their name (the directory), plus the text itself as a grantee id (organisations, NPIs not listed).
// Providers come from the credentials domain's directory through the port in provider-directory.ts, with LIKE patterns whose % and _ are
// escaped. Patients come from indexes only: exact MRN, name prefix, and any part of a name or MRN (three characters or
// more) through the FTS5 trigram index patients_fts (migration 0020), the text passed as one quoted phrase, so FTS
// syntax typed by a person (`"`, `*`, NEAR, OR, column filters) is matched literally, never run as a query.
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { Db } from '../db/connection';
import { providerDirectory } from './provider-directory';

/** At most this many patients and this many providers feed one search; beyond it the answer says `capped`. */
export const SEARCH_CAP = 500;

export interface SearchMatch {
  patients: number[];
  /** Grantee ids (NPIs of listed providers; the text itself as an organisation id or NPI). */
  grantees: string[];
  /** Providers of the directory matched (by NPI or name), not counting the text taken as a bare grantee id. */
  providers: number;
  /** More patients or providers matched than SEARCH_CAP: the search should be narrowed. */
  capped: boolean;
}

/**
 * An exact MRN and a name prefix from their indexes (name is NOCASE); any other part of an MRN or name from the
 * trigram index. :phrase is null for text shorter than a trigram, which the index cannot find by parts.
 */
export const PATIENT_MATCH_SQL = `SELECT id FROM patients WHERE mrn = :q
  UNION SELECT id FROM (SELECT id FROM patients WHERE name >= :q AND name < :q || char(1114111) LIMIT :limit)
  UNION SELECT id FROM (SELECT rowid AS id FROM patients_fts WHERE :phrase IS NOT NULL AND patients_fts MATCH :phrase LIMIT :limit)
  LIMIT :limit`;

const cache = new WeakMap<Db, Statement>();

function patientStatement(db: Db): Statement {
  let s = cache.get(db);
  if (s) return s;
  s = db.prepare(PATIENT_MATCH_SQL);
  cache.set(db, s);
  return s;
}

/** Shortest text matched by any part (the trigram tokenizer indexes runs of three characters). */
export const ANY_PART_MIN_CHARS = 3;

/**
 * The text as one FTS5 string (a phrase): inside double quotes every character is literal and `"` is doubled, so
 * operators, `*`, `^`, NEAR and column filters typed by a person are text to find. Null when too short to find by parts.
 */
export function ftsPhrase(text: string): string | null {
  if ([...text].length < ANY_PART_MIN_CHARS) return null;
  return `"${text.replace(/"/g, '""')}"`;
}

/** Patients by exact MRN, name prefix, or any part (three characters or more) of name or MRN; at most `limit`, from indexes. */
export function matchPatientIds(db: Db, text: string, limit: number): number[] {
  const q = text.trim();
  return (patientStatement(db).all({ q, phrase: ftsPhrase(q), limit }) as { id: number }[]).map((r) => r.id);
}

export function matchSearch(db: Db, text: string, cap = SEARCH_CAP): SearchMatch {
  const q = text.trim();
  const patients = matchPatientIds(db, q, cap + 1);
  const npis = providerDirectory().npisMatching(db, q, cap + 1);
  const capped = patients.length > cap || npis.length > cap;
  const listed = npis.slice(0, cap);
  const grantees = listed.includes(q) ? listed : [...listed, q];
  return { patients: patients.slice(0, cap), grantees, providers: listed.length, capped };
}
