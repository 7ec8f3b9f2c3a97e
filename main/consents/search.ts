// What the consents table's search box finds: patients by MRN or any part of their name, and providers by NPI or
// any part of their name (the directory), plus the text itself as a grantee id (organisations, NPIs not listed).
// Providers come from the credentials domain's directory through the port in provider-directory.ts, with LIKE patterns whose % and _ are
// escaped. Patients come from indexes only: exact MRN, name prefix, and any part of a name or MRN (three characters or
// more) through the FTS5 trigram index patients_fts (migrations 0020, 0031). That index keeps no positions (0031:
// detail=none, a third of the bytes), so it is asked for the rows holding every trigram of the text, each trigram one
// quoted FTS5 string (FTS syntax typed by a person, `"`, `*`, NEAR, OR, column filters, is matched literally, never
// run as a query), and a row is kept only when its MRN or name holds the text itself (custodian_holds_text).
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
 * An exact MRN, walking the UNIQUE (facility, mrn) index one facility at a time (a seek for each facility on file,
 * found in the index itself; 0031 dropped the index on mrn alone), and a name prefix from its index (name is NOCASE);
 * any other part of an MRN or name from the trigram index, each candidate's MRN and name checked for the text itself.
 * :trigrams is null for text shorter than a trigram, which the index cannot find by parts.
 */
export const PATIENT_MATCH_SQL = `WITH RECURSIVE facilities (facility) AS (
    SELECT (SELECT min(facility) FROM patients)
    UNION ALL SELECT (SELECT min(p.facility) FROM patients p WHERE p.facility > f.facility) FROM facilities f WHERE f.facility IS NOT NULL)
  SELECT p.id FROM facilities f JOIN patients p ON p.facility = f.facility AND p.mrn = :q
  UNION SELECT id FROM (SELECT id FROM patients WHERE name >= :q AND name < :q || char(1114111) LIMIT :limit)
  UNION SELECT id FROM (SELECT rowid AS id FROM patients_fts
     WHERE :trigrams IS NOT NULL AND patients_fts MATCH :trigrams AND (custodian_holds_text(mrn, :q) OR custodian_holds_text(name, :q))
     LIMIT :limit)
  LIMIT :limit`;

const cache = new WeakMap<Db, Statement>();

/**
 * Each character case-folded alone, as the trigram tokenizer folds the text it indexes (case_sensitive=0): upper then
 * lower case, kept as it is where either would become more than one character (ß, İ). Never the whole text at once,
 * which would fold by context (a final sigma).
 */
export function foldCase(text: string): string {
  let out = '';
  for (const ch of text) {
    const upper = ch.toUpperCase();
    const folded = [...upper].length === 1 ? upper.toLowerCase() : ch.toLowerCase();
    out += [...folded].length === 1 ? folded : ch;
  }
  return out;
}

/** Registers custodian_holds_text(haystack, needle) on this connection: the haystack, case-folded, holds the needle. */
export function registerSearchFunctions(db: Db): void {
  db.function('custodian_holds_text', { deterministic: true, varargs: false }, (haystack: unknown, needle: unknown) =>
    typeof haystack === 'string' && typeof needle === 'string' && foldCase(haystack).includes(foldCase(needle)) ? 1 : 0,
  );
}

function patientStatement(db: Db): Statement {
  let s = cache.get(db);
  if (s) return s;
  registerSearchFunctions(db);
  s = db.prepare(PATIENT_MATCH_SQL);
  cache.set(db, s);
  return s;
}

/** Shortest text matched by any part (the trigram tokenizer indexes runs of three characters). */
export const ANY_PART_MIN_CHARS = 3;

/**
 * The text as the FTS5 query "every trigram of it": each run of three characters one FTS5 string (inside double
 * quotes every character is literal and `"` is doubled), so operators, `*`, `^`, NEAR and column filters typed by a
 * person are text to find; the strings side by side are ANDed. Null when too short to find by parts.
 */
export function ftsTrigrams(text: string): string | null {
  const chars = [...text];
  if (chars.length < ANY_PART_MIN_CHARS) return null;
  const trigrams = new Set<string>();
  for (let i = 0; i + ANY_PART_MIN_CHARS <= chars.length; i++) trigrams.add(chars.slice(i, i + ANY_PART_MIN_CHARS).join(''));
  return [...trigrams].map((t) => `"${t.replace(/"/g, '""')}"`).join(' ');
}

/** Patients by exact MRN, name prefix, or any part (three characters or more) of name or MRN; at most `limit`, from indexes. */
export function matchPatientIds(db: Db, text: string, limit: number): number[] {
  const q = text.trim();
  return (patientStatement(db).all({ q, trigrams: ftsTrigrams(q), limit }) as { id: number }[]).map((r) => r.id);
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
