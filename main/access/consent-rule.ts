// The consent part of the access policy (policy.ts): deny overrides permit; only active consents in their period
// count; no consent is a deny; break-glass (ETREAT with a stated reason) is an explicit request, never the side
// effect of asking about the ETREAT purpose. Pure: the consents come from facts.ts.
import type { CategoryCode, PurposeCode } from '../api/consents';
import { AppError } from '../api/errors';
import type { ConsentStatus, Decision } from '../consents/codes';
import { formatEnd, formatStart } from '../consents/period';

/** Whose consents a question is about: one patient, one grantee, one purpose, one category. */
export interface ConsentKey {
  grantee: string;
  patientId: number;
  purpose: PurposeCode;
  category: CategoryCode;
}

export interface DecideQuery extends ConsentKey {
  at: Date | number;
  /**
   * Present only for a break-glass request (ETREAT): why emergency access is needed. Recorded by the caller's audit
   * trail. Without it, an ETREAT question is answered from the ETREAT consents on file like any other purpose.
   */
  breakGlassReason?: string;
}

export interface DecidingConsent {
  consentId: number;
  externalId: string | null;
  decision: Decision;
  counts: boolean;
  why: string;
}

export interface DecideResult {
  decision: Decision;
  breakGlass: boolean;
  reason: string;
  decidedBy: DecidingConsent[];
}

/** A consent of the key that is active and in its period at the time asked about (facts.consentsInForce). */
export interface ConsentInForce {
  id: number;
  external_id: string | null;
  decision: Decision;
  period_start: number;
  period_end: number | null;
}
/** A consent of the key in any state (facts.consentsOnFile). */
export interface ConsentOnFile extends ConsentInForce {
  status: ConsentStatus;
  revoked_reason: string | null;
}

function period(r: ConsentInForce): string {
  return `${formatStart(r.period_start)} to ${r.period_end === null ? 'open-ended' : formatEnd(r.period_end)}`;
}

function whyNotCounted(r: ConsentOnFile, at: number): string {
  if (r.status === 'revoked') return `revoked${r.revoked_reason ? ` (${r.revoked_reason})` : ''}: does not count`;
  if (r.status === 'superseded') return 'superseded by a newer version: does not count';
  if (r.status === 'expired' || (r.period_end !== null && r.period_end <= at)) return `expired (${period(r)}): does not count`;
  if (r.period_start > at) return `not yet in force (${period(r)}): does not count`;
  return 'does not count';
}

const NONE: readonly ConsentOnFile[] = Object.freeze([]);

/** Deny overrides permit; only consents in force count; no consent is a deny. `onFile` explains a deny with none in force. */
function evaluate(inForce: readonly ConsentInForce[], onFile: readonly ConsentOnFile[] | null, at: number): Omit<DecideResult, 'breakGlass'> {
  const denies = inForce.filter((r) => r.decision === 'deny');
  const permits = inForce.filter((r) => r.decision === 'permit');
  if (denies.length) {
    return {
      decision: 'deny',
      reason: permits.length
        ? `Denied: ${denies.length} deny consent(s) in force override ${permits.length} permit(s).`
        : `Denied by ${denies.length === 1 ? 'a deny consent' : `${denies.length} deny consents`} in force.`,
      decidedBy: [
        ...denies.map((r) => ({ consentId: r.id, externalId: r.external_id, decision: r.decision, counts: true, why: `deny in force (${period(r)})` })),
        ...permits.map((r) => ({ consentId: r.id, externalId: r.external_id, decision: r.decision, counts: false, why: `permit in force (${period(r)}), overridden: deny overrides permit` })),
      ],
    };
  }
  if (permits.length) {
    return {
      decision: 'permit',
      reason: `Permitted by ${permits.length === 1 ? 'a consent' : `${permits.length} consents`} in force.`,
      decidedBy: permits.map((r) => ({ consentId: r.id, externalId: r.external_id, decision: r.decision, counts: true, why: `permit in force (${period(r)})` })),
    };
  }
  // Sorted here rather than in SQL: an ORDER BY id would tempt the planner onto consents_by_grantee (grantee, then the
  // row id). Copied only when there is something to sort (the facts stay untouched; the common "nothing on file" path allocates nothing).
  const onFileRows = onFile ?? NONE;
  const others = (onFileRows.length > 1 ? [...onFileRows].sort((a, b) => b.id - a.id) : onFileRows).slice(0, 5);
  return {
    decision: 'deny',
    reason: others.length ? 'Denied: no consent in force for this grantee, purpose and category.' : 'Denied: no consent on file.',
    decidedBy: others.map((r) => ({ consentId: r.id, externalId: r.external_id, decision: r.decision, counts: false, why: whyNotCounted(r, at) })),
  };
}

/**
 * The break-glass request of a question, checked before anything else: none (undefined), or its trimmed reason.
 * Break-glass is emergency treatment only, and never without a stated reason, whichever question carries it.
 */
export function breakGlassReasonOf(q: Pick<DecideQuery, 'purpose' | 'breakGlassReason'>): string | undefined {
  if (q.breakGlassReason === undefined) return undefined;
  if (q.purpose !== 'ETREAT') throw new AppError('BREAK_GLASS_PURPOSE', `Break-glass is emergency treatment (ETREAT), not ${q.purpose}.`);
  const reason = q.breakGlassReason.trim();
  if (!reason) throw new AppError('BREAK_GLASS_REASON_REQUIRED', 'Emergency access (ETREAT) needs a reason: say why the record must be opened.');
  return reason;
}

/**
 * The consent decision at `at` (unix seconds) from the key's consents in force and, only when none is, the key's
 * consents on file (null otherwise: facts.ts reads them on that path alone). Break-glass (ETREAT with a stated
 * reason) is an explicit request that always permits, flagged; what the consents say is reported alongside.
 */
export function consentDecision(q: Pick<DecideQuery, 'purpose' | 'breakGlassReason'>, at: number, inForce: readonly ConsentInForce[], onFile: readonly ConsentOnFile[] | null): DecideResult {
  const breakGlass = breakGlassReasonOf(q);
  const normal = evaluate(inForce, onFile, at);
  if (breakGlass === undefined) return { ...normal, breakGlass: false };
  return {
    decision: 'permit',
    breakGlass: true,
    reason: `Break-glass emergency access: ${breakGlass}. Without it: ${normal.reason}`,
    decidedBy: normal.decidedBy.map((d) => ({ ...d, counts: false })),
  };
}

/** Whether the consents on file are needed to answer (none in force): facts.ts reads them only then. */
export const needsConsentsOnFile = (inForce: readonly ConsentInForce[]): boolean => inForce.length === 0;
