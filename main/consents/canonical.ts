// The document hash of a consent without a signed document: SHA-256 over the RFC 8785 canonical JSON of its
// normalized terms, so the same consent hashes the same on every workstation sharing the facility secret.
import crypto from 'node:crypto';
import type { Category, Decision, GranteeKind, Purpose } from './codes';

/** What a consent says, whoever it is about: a draft, a row about to be written and the hashed terms all carry these. */
export interface ConsentTermFields {
  grantee: string;
  granteeKind: GranteeKind;
  decision: Decision;
  purpose: Purpose;
  category: Category;
  periodStart: number;
  periodEnd: number | null;
}

/** The terms that define a consent. The patient appears only as its pseudonym, never as MRN or name. */
export interface ConsentTerms extends ConsentTermFields {
  patient: string;
}

/** Just the term fields of `c` (a draft or a row carries more, which must not reach a hash or another record). */
export function termFieldsOf(c: ConsentTermFields): ConsentTermFields {
  return { grantee: c.grantee, granteeKind: c.granteeKind, decision: c.decision, purpose: c.purpose, category: c.category, periodStart: c.periodStart, periodEnd: c.periodEnd };
}

/** The terms of `c` for the patient with this pseudonym (spelled out rather than spread: an import hashes a million). */
export function termsOf(c: ConsentTermFields, pseudonym: string): ConsentTerms {
  return { patient: pseudonym, grantee: c.grantee, granteeKind: c.granteeKind, decision: c.decision, purpose: c.purpose, category: c.category, periodStart: c.periodStart, periodEnd: c.periodEnd };
}

export const CANONICAL_VERSION = 1;

/**
 * RFC 8785 serialization of the terms, written out by hand for speed (the importer hashes a million of them):
 * keys in UTF-16 code-unit order, strings and integers as ECMAScript JSON.stringify writes them. A property
 * test checks it against the `canonicalize` package.
 */
export function canonicalTerms(t: ConsentTerms): string {
  const s = JSON.stringify;
  return (
    `{"category":${s(t.category)},"decision":${s(t.decision)},"grantee":${s(t.grantee)},"granteeKind":${s(t.granteeKind)},` +
    `"patient":${s(t.patient)},"periodEnd":${t.periodEnd === null ? 'null' : String(t.periodEnd)},"periodStart":${String(t.periodStart)},` +
    `"purpose":${s(t.purpose)},"v":${CANONICAL_VERSION}}`
  );
}

/** The plain object canonicalTerms serializes (for the property test and for readers of the format). */
export function termsObject(t: ConsentTerms): Record<string, unknown> {
  return {
    v: CANONICAL_VERSION,
    patient: t.patient,
    grantee: t.grantee,
    granteeKind: t.granteeKind,
    decision: t.decision,
    purpose: t.purpose,
    category: t.category,
    periodStart: t.periodStart,
    periodEnd: t.periodEnd,
  };
}

// The one-shot crypto.hash (Node >= 20.12) costs about half of createHash().update().digest() per call.
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'hex') : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

export function documentHashOf(t: ConsentTerms): string {
  return `0x${sha256Hex(canonicalTerms(t))}`;
}

const HASH = /^(?:0x)?([0-9a-fA-F]{64})$/;

/** A given document hash (64 hex digits, optional 0x) in its stored form, or null when malformed. */
export function normalizeDocumentHash(text: string): string | null {
  const m = HASH.exec(text);
  return m ? `0x${m[1]!.toLowerCase()}` : null;
}
