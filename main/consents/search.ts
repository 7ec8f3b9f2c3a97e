// What the consents table's search box finds: patients by MRN or any part of their name, and providers by NPI or
// any part of their name (the directory), plus the text itself as a grantee id (organisations, NPIs not listed).
// Providers come from the credentials domain's directory, through the port in provider-directory.ts. Prepared statements with LIKE patterns whose % and _ are escaped: the text is matched literally, never as SQL.
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

/** The text as a LIKE pattern body: `\`, `%` and `_` escaped (with ESCAPE '\'), so each matches itself only. */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const cache = new WeakMap<Db, Statement>();

function patientStatement(db: Db): Statement {
  let s = cache.get(db);
  if (s) return s;
  // An exact MRN and a name prefix come first from their indexes; any other part of an MRN or name by a scan that
  // stops at the cap. (name is NOCASE; LIKE is case-insensitive for ASCII either way.)
  s = db.prepare(
      `SELECT id FROM patients WHERE mrn = :q
       UNION SELECT id FROM (SELECT id FROM patients WHERE name >= :q AND name < :q || char(1114111) LIMIT :limit)
       UNION SELECT id FROM (SELECT id FROM patients WHERE mrn LIKE :contains ESCAPE '\\' OR name LIKE :contains ESCAPE '\\' LIMIT :limit)
       LIMIT :limit`,
  );
  cache.set(db, s);
  return s;
}

export function matchSearch(db: Db, text: string, cap = SEARCH_CAP): SearchMatch {
  const q = text.trim();
  const patients = (patientStatement(db).all({ q, contains: `%${likeEscape(q)}%`, limit: cap + 1 }) as { id: number }[]).map((r) => r.id);
  const npis = providerDirectory().npisMatching(db, q, cap + 1);
  const capped = patients.length > cap || npis.length > cap;
  const listed = npis.slice(0, cap);
  const grantees = listed.includes(q) ? listed : [...listed, q];
  return { patients: patients.slice(0, cap), grantees, providers: listed.length, capped };
}
