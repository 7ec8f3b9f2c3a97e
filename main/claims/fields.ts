// A claim's fields from text (a CSV row or the "Check a claim" form) to a ClaimInput, or the problems that make it
// unusable, each naming the column and why. What parses but breaks a rule (a malformed code, amount 0, a bad NPI
// check digit, a future date) is left to the pre-check, which reports it as a failing verdict instead.

import { bidiProblem } from '../api/display-text';
import { normalizeCode } from './codes';
import type { ClaimInput } from './model';

export const CLAIM_COLUMNS = ['claim_id', 'facility', 'mrn', 'rendering_npi', 'payer_id', 'service_date', 'codes', 'amount'] as const;
export type ClaimColumn = (typeof CLAIM_COLUMNS)[number];
export type ClaimFieldValues = Partial<Record<ClaimColumn, string>>;

export interface FieldProblem {
  column: ClaimColumn;
  reason: string;
}

export type ParsedClaim = { ok: true; claim: ClaimInput } | { ok: false; problems: FieldProblem[] };

const MAX_TEXT = 64;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Dollars with up to two decimals, optionally negative (a negative amount is a verdict, not a parse error). */
const AMOUNT = /^(-)?(\d{1,9})(?:\.(\d{1,2}))?$/;

function isCalendarDay(text: string): boolean {
  const m = DAY.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

/** Codes are separated by semicolons, pipes or spaces ("99213; E11.9"). */
export function splitCodes(text: string): string[] {
  return text
    .split(/[;|\s]+/)
    .map(normalizeCode)
    .filter((c) => c.length > 0);
}

/** Cents of an amount in dollars ("125", "125.5", "125.50"), or null when it is not a plain decimal amount. */
export function parseAmountCents(text: string): number | null {
  const m = AMOUNT.exec(text.replace(/,/g, ''));
  if (!m) return null;
  const cents = Number(m[2]) * 100 + Number((m[3] ?? '0').padEnd(2, '0'));
  return m[1] ? -cents : cents;
}

export function parseClaimFields(values: ClaimFieldValues): ParsedClaim {
  const problems: FieldProblem[] = [];
  const text = (column: ClaimColumn, label: string): string => {
    const v = (values[column] ?? '').trim();
    if (v === '') problems.push({ column, reason: `${label} is required` });
    else if (v.length > MAX_TEXT) problems.push({ column, reason: `${label} is longer than ${MAX_TEXT} characters` });
    else if (/[\u0000-\u001f\u007f]/.test(v)) problems.push({ column, reason: `${label} contains control characters` });
    else {
      // A right-to-left override would show another claim id or MRN on screen than the one stored.
      const bidi = bidiProblem(v);
      if (bidi) problems.push({ column, reason: `${label} ${bidi}` });
    }
    return v;
  };
  const claimId = text('claim_id', 'the claim id');
  const facility = text('facility', 'the facility');
  const mrn = text('mrn', 'the patient MRN');
  const renderingNpi = text('rendering_npi', 'the rendering provider NPI');
  const payerId = text('payer_id', 'the payer id');

  const serviceDate = (values.service_date ?? '').trim();
  if (serviceDate === '') problems.push({ column: 'service_date', reason: 'the service date is required' });
  else if (!isCalendarDay(serviceDate)) problems.push({ column: 'service_date', reason: 'expected a date as YYYY-MM-DD' });

  const codesText = values.codes ?? '';
  if (codesText.length > 1000) problems.push({ column: 'codes', reason: 'longer than 1,000 characters' });
  const codes = splitCodes(codesText);
  if (codes.length > 50) problems.push({ column: 'codes', reason: `at most 50 codes per claim, got ${codes.length}` });

  const amountText = (values.amount ?? '').trim();
  const amountCents = amountText === '' ? null : parseAmountCents(amountText);
  if (amountText === '') problems.push({ column: 'amount', reason: 'the amount is required' });
  else if (amountCents === null) problems.push({ column: 'amount', reason: 'expected an amount in dollars such as 125.00' });

  if (problems.length) return { ok: false, problems };
  return { ok: true, claim: { claimId, facility, mrn, renderingNpi, payerId, serviceDate, codes, amountCents: amountCents! } };
}
