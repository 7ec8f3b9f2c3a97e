// The claim as the pre-check sees it, its reason codes, and its content hash: SHA-256 over the RFC 8785 canonical
// JSON of the claim's content (patient as pseudonym, never MRN), the hash ClaimsLedger records. Pure.
import crypto from 'node:crypto';

/** A claim's fields after parsing (a CSV row or the form). Money in cents; the service date a UTC day. */
export interface ClaimInput {
  claimId: string;
  facility: string;
  mrn: string;
  renderingNpi: string;
  payerId: string;
  /** YYYY-MM-DD */
  serviceDate: string;
  /** Normalised (upper-case, trimmed), in the order given. */
  codes: string[];
  amountCents: number;
}

export const REASON_CODES = [
  'CONSENT_DENIED',
  'CREDENTIAL_NOT_VERIFIED',
  'CREDENTIAL_NOT_VALID_ON_SERVICE_DATE',
  'DUPLICATE_CLAIM_ID',
  'DUPLICATE_CONTENT',
  'MALFORMED_CODE',
  'INVALID_AMOUNT',
  'SERVICE_DATE_IN_FUTURE',
  'INVALID_NPI',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface ClaimReason {
  code: ReasonCode;
  /** For people: names the field and why. Never carries the MRN or the patient's name. */
  message: string;
  /** The offending code for MALFORMED_CODE; the other claim id for duplicates. */
  subject?: string;
}

export interface ClaimVerdict {
  verdict: 'pass' | 'fail';
  reasons: ClaimReason[];
}

export const CLAIM_CANONICAL_VERSION = 1;

/**
 * RFC 8785 serialization of a claim's content, written out in key order (UTF-16 code units) like
 * consents/canonical.ts; a test checks it against the `canonicalize` package. The claim id is NOT part of it:
 * the same service billed under two claim ids must hash the same (DUPLICATE_CONTENT). Codes are sorted, so their
 * order in the file does not matter.
 */
export function canonicalClaim(c: ClaimInput, patientPseudonym: string): string {
  const s = JSON.stringify;
  const codes = [...c.codes].sort();
  return (
    `{"amountCents":${String(c.amountCents)},"codes":${s(codes)},"patient":${s(patientPseudonym)},"payer":${s(c.payerId)},` +
    `"renderingNpi":${s(c.renderingNpi)},"serviceDate":${s(c.serviceDate)},"v":${CLAIM_CANONICAL_VERSION}}`
  );
}

/** The plain object canonicalClaim serializes (for the property test and readers of the format). */
export function claimContentObject(c: ClaimInput, patientPseudonym: string): Record<string, unknown> {
  return {
    v: CLAIM_CANONICAL_VERSION,
    patient: patientPseudonym,
    renderingNpi: c.renderingNpi,
    payer: c.payerId,
    serviceDate: c.serviceDate,
    codes: [...c.codes].sort(),
    amountCents: c.amountCents,
  };
}

export function claimContentHash(c: ClaimInput, patientPseudonym: string): string {
  return `0x${crypto.createHash('sha256').update(canonicalClaim(c, patientPseudonym), 'utf8').digest('hex')}`;
}

/** Days since 1970-01-01 of a YYYY-MM-DD day (what ClaimsLedger stores as serviceDay). */
export function dayNumber(day: string): number {
  return Math.floor(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
}
