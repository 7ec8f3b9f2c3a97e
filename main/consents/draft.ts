// Validation of one consent as entered (a CSV row, the grant form, a flattened FHIR rule) into a typed draft,
// with a problem per column that names the reason. Hand-checked rather than zod: it runs a million times per import.
import { bidiProblem } from '../api/display-text';
import { npiProblem } from '../api/npi';
import { normalizeDocumentHash, type ConsentTermFields } from './canonical';
import { categoryOf, purposeOf, type Category, type Decision, type GranteeKind, type Purpose } from './codes';
import { describeDateProblem, parseBound, parseCalendarDate } from './period';

export interface ConsentDraft extends ConsentTermFields {
  externalId: string | null;
  facility: string;
  mrn: string;
  patientName: string | null;
  birthDate: string | null;
  /** 'revoked' for a consent imported as not in force (FHIR inactive / entered-in-error). */
  status: 'active' | 'revoked';
  revokedReason: string | null;
  /** Hash of the signed consent document when the source gives one; otherwise computed from the terms. */
  documentHash: string | null;
}

/** The documented CSV columns, in template order; also the field names of the grant form. */
export const CONSENT_COLUMNS = [
  'external_id',
  'facility',
  'mrn',
  'patient_name',
  'birth_date',
  'grantee',
  'grantee_kind',
  'decision',
  'purpose',
  'category',
  'period_start',
  'period_end',
  'document_hash',
] as const;
export type ConsentColumn = (typeof CONSENT_COLUMNS)[number];
export const REQUIRED_COLUMNS: readonly ConsentColumn[] = ['facility', 'mrn', 'grantee', 'decision', 'purpose', 'category', 'period_start'];

export type ConsentFieldValues = Partial<Record<ConsentColumn, string>>;

export interface FieldProblem {
  column: string;
  reason: string;
}

export type DraftResult = { ok: true; draft: ConsentDraft } | { ok: false; problems: FieldProblem[] };

const PRINTABLE_TOKEN = /^[\x21-\x7e]+$/;
// One scan for both problems a text field can have: control characters, and U+FFFD (what a byte that is not
// UTF-8 decodes to; a genuine U+FFFD in a consent field is refused too).
// eslint-disable-next-line no-control-regex
const SUSPECT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\uFFFD]/;

function text(values: ConsentFieldValues, column: ConsentColumn, problems: FieldProblem[], max: number, required: boolean): string | null {
  const raw = values[column];
  const value = raw === undefined ? '' : raw.trim();
  if (value === '') {
    if (required) problems.push({ column, reason: 'is required' });
    return null;
  }
  if (value.length > max) {
    problems.push({ column, reason: `is longer than ${max} characters` });
    return null;
  }
  if (SUSPECT.test(value)) {
    problems.push({
      column,
      reason: value.indexOf('\uFFFD') !== -1 ? 'contains bytes that are not valid UTF-8 (save the file as UTF-8)' : 'contains control characters',
    });
    return null;
  }
  const bidi = bidiProblem(value);
  if (bidi) {
    problems.push({ column, reason: bidi });
    return null;
  }
  return value;
}

function token(values: ConsentFieldValues, column: ConsentColumn, problems: FieldProblem[], max: number, required: boolean): string | null {
  const value = text(values, column, problems, max, required);
  if (value !== null && !PRINTABLE_TOKEN.test(value)) {
    problems.push({ column, reason: 'may not contain spaces or non-ASCII characters' });
    return null;
  }
  return value;
}

/**
 * Checks every field and returns the draft, or every problem found (one per column). `today` bounds birth dates.
 */
export function validateConsentFields(values: ConsentFieldValues, today: string = new Date().toISOString().slice(0, 10)): DraftResult {
  const problems: FieldProblem[] = [];
  const externalId = text(values, 'external_id', problems, 200, false);
  const facility = token(values, 'facility', problems, 200, true);
  const mrn = token(values, 'mrn', problems, 64, true);
  const patientName = text(values, 'patient_name', problems, 200, false);

  let birthDate: string | null = null;
  const birthText = text(values, 'birth_date', problems, 40, false);
  if (birthText !== null) {
    const parsed = parseCalendarDate(birthText);
    // The value itself is not repeated: a date of birth is PHI.
    if (!parsed.ok) problems.push({ column: 'birth_date', reason: describeDateProblem(parsed.problem) });
    else if (parsed.value > today) problems.push({ column: 'birth_date', reason: 'is in the future' });
    else birthDate = parsed.value;
  }

  const grantee = token(values, 'grantee', problems, 128, true);
  const kindText = text(values, 'grantee_kind', problems, 10, false);
  let granteeKind: GranteeKind | null = null;
  if (kindText !== null) {
    const lower = kindText.toLowerCase();
    if (lower === 'npi' || lower === 'org') granteeKind = lower;
    else problems.push({ column: 'grantee_kind', reason: `must be npi or org, got ${JSON.stringify(kindText.slice(0, 20))}` });
  } else if (grantee !== null) {
    granteeKind = /^\d{10}$/.test(grantee) ? 'npi' : 'org';
  }
  if (grantee !== null && granteeKind === 'npi') {
    const problem = npiProblem(grantee);
    if (problem) problems.push({ column: 'grantee', reason: problem });
  }

  let decision: Decision | null = null;
  const decisionText = text(values, 'decision', problems, 10, true);
  if (decisionText !== null) {
    const lower = decisionText.toLowerCase();
    if (lower === 'permit' || lower === 'deny') decision = lower;
    else problems.push({ column: 'decision', reason: `must be permit or deny, got ${JSON.stringify(decisionText.slice(0, 20))}` });
  }

  let purpose: Purpose | undefined;
  const purposeText = text(values, 'purpose', problems, 20, true);
  if (purposeText !== null) {
    purpose = purposeOf(purposeText);
    if (!purpose) problems.push({ column: 'purpose', reason: `unknown purpose code ${JSON.stringify(purposeText.slice(0, 20))} (TREAT, ETREAT, HPAYMT, HOPERAT, HRESCH, PUBHLTH, HMARKT)` });
  }

  let category: Category | undefined;
  const categoryText = text(values, 'category', problems, 30, true);
  if (categoryText !== null) {
    category = categoryOf(categoryText);
    if (!category) problems.push({ column: 'category', reason: `unknown category ${JSON.stringify(categoryText.slice(0, 30))} (general, mental-health, substance-use, HIV, genetic, reproductive)` });
  }

  let periodStart: number | null = null;
  const startText = text(values, 'period_start', problems, 40, true);
  if (startText !== null) {
    const parsed = parseBound(startText, 'start');
    if (parsed.ok) periodStart = parsed.value;
    else problems.push({ column: 'period_start', reason: parsed.reason });
  }
  let periodEnd: number | null = null;
  const endText = text(values, 'period_end', problems, 40, false);
  if (endText !== null) {
    const parsed = parseBound(endText, 'end');
    if (!parsed.ok) problems.push({ column: 'period_end', reason: parsed.reason });
    else if (periodStart !== null && parsed.value <= periodStart) problems.push({ column: 'period_end', reason: 'is before period_start' });
    else periodEnd = parsed.value;
  }

  let documentHash: string | null = null;
  const hashText = text(values, 'document_hash', problems, 80, false);
  if (hashText !== null) {
    documentHash = normalizeDocumentHash(hashText);
    if (documentHash === null) problems.push({ column: 'document_hash', reason: 'must be a SHA-256 hash: 64 hex digits, optionally 0x-prefixed' });
  }

  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    draft: {
      externalId,
      facility: facility!,
      mrn: mrn!,
      patientName,
      birthDate,
      grantee: grantee!,
      granteeKind: granteeKind!,
      decision: decision!,
      purpose: purpose!,
      category: category!,
      periodStart: periodStart!,
      periodEnd,
      status: 'active',
      revokedReason: null,
      documentHash,
    },
  };
}

export function describeProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.column}: ${p.reason}`).join('; ');
}
