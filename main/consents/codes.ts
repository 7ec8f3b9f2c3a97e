// The vocabularies of a consent: purposes of use (HL7 v3 ActReason), data categories, and how FHIR codings map
// onto them. Pure data used by validation (CSV, FHIR, forms), the decision engine and the FHIR export.

import { CATEGORIES, CONSENT_STATUSES, DECISIONS, GRANTEE_KINDS, PURPOSE_LABELS, PURPOSES } from '../api/consents';

// The code lists live in the API contract (the renderer offers them in forms); the model re-exports them.
export { CATEGORIES, CONSENT_STATUSES, DECISIONS, GRANTEE_KINDS, PURPOSE_LABELS, PURPOSES };
export type Purpose = (typeof PURPOSES)[number];

/** What a FHIR provision without a purpose covers: every purpose but break-glass, which is never consented to. */
export const ORDINARY_PURPOSES: readonly Purpose[] = PURPOSES.filter((p) => p !== 'ETREAT');

export type Category = (typeof CATEGORIES)[number];

export type Decision = (typeof DECISIONS)[number];

export type GranteeKind = (typeof GRANTEE_KINDS)[number];

export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

const purposeByUpper = new Map<string, Purpose>(PURPOSES.map((p) => [p, p]));
const categoryByLower = new Map<string, Category>(CATEGORIES.map((c) => [c.toLowerCase(), c]));

/** Case-insensitive lookup of a purpose code; undefined when unknown. */
export function purposeOf(code: string): Purpose | undefined {
  return purposeByUpper.get(code.toUpperCase());
}

/** Case-insensitive lookup of a category code ('hiv' and 'HIV' both give 'HIV'); undefined when unknown. */
export function categoryOf(code: string): Category | undefined {
  return categoryByLower.get(code.toLowerCase());
}

// FHIR systems Custodian reads and writes.
export const FHIR_SYSTEMS = {
  actReason: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  consentScope: 'http://terminology.hl7.org/CodeSystem/consentscope',
  loinc: 'http://loinc.org',
  npi: 'http://hl7.org/fhir/sid/us-npi',
  participationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  /** Custodian's own category codes, used for 'general' (v3 has no code for it) and accepted for all. */
  category: 'urn:custodian:category',
  /** Identifier of one exported consent row; importing it back maps to the same row. */
  consentRow: 'urn:custodian:consent-row',
  /** Organisation grantee ids that are not NPIs. */
  organization: 'urn:custodian:org',
  /** Prefix of a patient identifier system naming a facility code that is not itself a URI. */
  facilityPrefix: 'urn:custodian:facility:',
  documentHashExtension: 'urn:custodian:document-hash',
} as const;

/** v3 ActCode information-sensitivity codes for the sensitive categories (exported), and accepted synonyms. */
export const CATEGORY_TO_V3: Partial<Record<Category, string>> = {
  'mental-health': 'MH',
  'substance-use': 'ETH',
  HIV: 'HIV',
  genetic: 'GDIS',
  reproductive: 'SEX',
};
export const V3_TO_CATEGORY: Record<string, Category> = {
  MH: 'mental-health',
  PSY: 'mental-health',
  ETH: 'substance-use',
  SUD: 'substance-use',
  HIV: 'HIV',
  GDIS: 'genetic',
  SEX: 'reproductive',
};
