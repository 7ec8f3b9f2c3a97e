// The release decision as a pure rule: an agreement with the partner must cover the direction, category and
// purpose and be active now, AND the patient's consents must permit the partner organisation, AND a named
// professional's credential must be verified. Every failing condition is listed. Table-tested in rules.test.ts.
import type { CategoryCode, PurposeCode } from '../api/consents';
import type { SharingDirection as Direction } from '../api/sharing';

export const RELEASE_REASON_CODES = [
  'AGREEMENT_MISSING',
  'AGREEMENT_NOT_SIGNED',
  'AGREEMENT_NOT_YET_VALID',
  'AGREEMENT_EXPIRED',
  'AGREEMENT_TERMINATED',
  'AGREEMENT_SCOPE',
  'CONSENT_DENIED',
  'CREDENTIAL_NOT_VERIFIED',
] as const;
export type ReleaseReasonCode = (typeof RELEASE_REASON_CODES)[number];

export interface ReleaseReason {
  code: ReleaseReasonCode;
  message: string;
}

export interface ReleaseRequestFacts {
  partnerOrgId: string;
  category: CategoryCode;
  purpose: PurposeCode;
  professionalNpi?: string | null;
  /** Unix seconds. */
  at: number;
}

/** An agreement as the rule needs it (seen from this organisation). */
export interface AgreementFacts {
  id: string;
  partnerOrgId: string;
  direction: Direction;
  categories: readonly string[];
  purposes: readonly string[];
  validFrom: number;
  validUntil: number;
  /** Both signatures are on chain (pulled back). */
  bothSigned: boolean;
  terminated: boolean;
}

export interface ReleaseContext {
  /** Agreements with this partner (any state). */
  agreements: readonly AgreementFacts[];
  /** decide() of main/consents for grantee = the partner organisation id. */
  consent: { decision: 'permit' | 'deny'; breakGlass: boolean; reason: string };
  /** The credential gate for the named professional; null when none is named. */
  credential: { ok: true } | { ok: false; reason: string } | null;
}

export interface ReleaseDecision {
  decision: 'permit' | 'deny';
  /** The agreement that covers the request (the active one, or the one whose state is reported). */
  agreementId: string | null;
  reasons: ReleaseReason[];
}

const shares = (d: Direction) => d === 'outbound' || d === 'both';

function scopeGaps(a: AgreementFacts, r: ReleaseRequestFacts): string[] {
  const gaps: string[] = [];
  if (!shares(a.direction)) gaps.push(`direction is ${a.direction} (we do not share with ${a.partnerOrgId} under it)`);
  if (!a.categories.includes(r.category)) gaps.push(`category ${r.category} is not covered (${a.categories.join(', ')})`);
  if (!a.purposes.includes(r.purpose)) gaps.push(`purpose ${r.purpose} is not covered (${a.purposes.join(', ')})`);
  return gaps;
}

const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);

/** Why a covering agreement is not active at `at`, most decisive first; empty when it is active. */
function stateReasons(a: AgreementFacts, at: number): ReleaseReason[] {
  const label = `Agreement ${a.id.slice(0, 10)}…`;
  if (a.terminated) return [{ code: 'AGREEMENT_TERMINATED', message: `${label} with ${a.partnerOrgId} was terminated.` }];
  const out: ReleaseReason[] = [];
  if (at >= a.validUntil) out.push({ code: 'AGREEMENT_EXPIRED', message: `${label} with ${a.partnerOrgId} expired on ${day(a.validUntil)}.` });
  else if (at < a.validFrom) out.push({ code: 'AGREEMENT_NOT_YET_VALID', message: `${label} with ${a.partnerOrgId} is not valid before ${day(a.validFrom)}.` });
  if (!a.bothSigned) out.push({ code: 'AGREEMENT_NOT_SIGNED', message: `${label} with ${a.partnerOrgId} is not signed by both organisations on chain yet.` });
  return out;
}

const isActive = (a: AgreementFacts, at: number) => stateReasons(a, at).length === 0;

export function decideRelease(r: ReleaseRequestFacts, ctx: ReleaseContext): ReleaseDecision {
  const reasons: ReleaseReason[] = [];
  let agreementId: string | null = null;
  const mine = ctx.agreements.filter((a) => a.partnerOrgId === r.partnerOrgId);
  if (mine.length === 0) {
    reasons.push({ code: 'AGREEMENT_MISSING', message: `There is no sharing agreement with ${r.partnerOrgId}.` });
  } else {
    const covering = mine.filter((a) => scopeGaps(a, r).length === 0);
    if (covering.length === 0) {
      const newest = [...mine].sort((a, b) => b.validFrom - a.validFrom)[0]!;
      agreementId = newest.id;
      reasons.push({ code: 'AGREEMENT_SCOPE', message: `No agreement with ${r.partnerOrgId} covers this request: ${scopeGaps(newest, r).join('; ')}.` });
    } else {
      const active = covering.find((a) => isActive(a, r.at));
      if (active) agreementId = active.id;
      else {
        // Report the most recent covering agreement: the one a person would look at first.
        const newest = [...covering].sort((a, b) => b.validUntil - a.validUntil)[0]!;
        agreementId = newest.id;
        reasons.push(...stateReasons(newest, r.at));
      }
    }
  }
  if (ctx.consent.decision !== 'permit' || ctx.consent.breakGlass) {
    reasons.push({ code: 'CONSENT_DENIED', message: `Patient consent for ${r.partnerOrgId} does not permit this: ${ctx.consent.reason}` });
  }
  if (ctx.credential && !ctx.credential.ok) {
    reasons.push({ code: 'CREDENTIAL_NOT_VERIFIED', message: ctx.credential.reason });
  }
  return { decision: reasons.length === 0 ? 'permit' : 'deny', agreementId, reasons };
}
