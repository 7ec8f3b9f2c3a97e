// The claim pre-check as a pure rule: consent for payment (HPAYMT) to the payer, the rendering provider's
// credential on the service date, duplicates, and well-formed fields. Returns pass or fail with EVERY reason.
// The facts come through PrecheckContext (context.ts answers from SQLite; tests and the dry run supply their own).
import { npiProblem } from '../api/npi';
import { codeProblem } from './codes';
import type { ClaimInput, ClaimReason, ClaimVerdict } from './model';

/** The access policy's consent answer (main/access/answers.ts claimConsent) for purpose HPAYMT and grantee = the payer id. */
export interface ConsentAnswer {
  decision: 'permit' | 'deny';
  /** The engine's explanation, e.g. "Denied: no consent on file." */
  reason: string;
  /** Why each consent on file did or did not count (the engine's decidedBy lines). */
  details: string[];
}

/** One credential of the rendering provider, as the credentials domain holds it. */
export interface CredentialFact {
  /** e.g. "State license CA A12345" */
  label: string;
  /** Last verification verdict (main/credentials verdicts), null when never checked. */
  verdict: string | null;
  /**
   * Whether the credential passed verification (signature, issuer, registry) within the credential gate's maximum
   * age at the check time, whatever its dates (the access policy's one definition, main/access/credential-rule.ts).
   */
  verified: boolean;
  /** A pass older than the maximum age: when it was last verified ("verify it again"). */
  staleSince?: string | null;
  validFrom: string;
  validUntil: string;
}

export interface PrecheckContext {
  /** Today, UTC, YYYY-MM-DD. */
  today: string;
  consent(claim: ClaimInput): ConsentAnswer;
  /** The provider's credentials, or null when the NPI is not in the provider directory. */
  credentials(npi: string): CredentialFact[] | null;
  /** Whether another claim already holds this claim id. */
  claimIdTaken(claimId: string): boolean;
  /** The claim id of a passing claim with the same content hash, or null. */
  contentTakenBy(contentHash: string): string | null;
}

export type CheckableClaim = ClaimInput & { contentHash: string };

function credentialReasons(claim: ClaimInput, facts: CredentialFact[] | null): ClaimReason[] {
  const npi = claim.renderingNpi;
  if (facts === null) {
    return [{ code: 'CREDENTIAL_NOT_VERIFIED', message: `Rendering provider NPI ${npi} is not in the provider directory, so no verified credential backs this claim.` }];
  }
  if (facts.length === 0) return [{ code: 'CREDENTIAL_NOT_VERIFIED', message: `Rendering provider NPI ${npi} has no credentials on file.` }];
  const verified = facts.filter((f) => f.verified);
  if (verified.length === 0) {
    const states = facts.map((f) => `${f.label}: ${f.staleSince ? `last verified at ${f.staleSince}, too long ago: verify it again` : f.verdict === null ? 'never verified' : f.verdict.replace(/_/g, ' ')}`);
    return [{ code: 'CREDENTIAL_NOT_VERIFIED', message: `Rendering provider NPI ${npi} has no verified credential (${states.join('; ')}).` }];
  }
  const day = claim.serviceDate;
  if (verified.some((f) => f.validFrom <= day && day <= f.validUntil)) return [];
  const periods = verified.map((f) => `${f.label} valid ${f.validFrom} to ${f.validUntil}`);
  return [{ code: 'CREDENTIAL_NOT_VALID_ON_SERVICE_DATE', message: `No verified credential of NPI ${npi} covers the service date ${day} (${periods.join('; ')}).` }];
}

/** Every reason the claim may not be submitted; an empty list is a pass. Checks do not stop at the first problem. */
export function precheckClaim(claim: CheckableClaim, ctx: PrecheckContext): ClaimVerdict {
  const reasons: ClaimReason[] = [];

  if (ctx.claimIdTaken(claim.claimId)) reasons.push({ code: 'DUPLICATE_CLAIM_ID', message: `Claim id ${claim.claimId} was already submitted.`, subject: claim.claimId });
  const twin = ctx.contentTakenBy(claim.contentHash);
  if (twin !== null && twin !== claim.claimId) {
    reasons.push({ code: 'DUPLICATE_CONTENT', message: `Same patient, provider, payer, service date, codes and amount as claim ${twin}.`, subject: twin });
  }

  if (claim.codes.length === 0) reasons.push({ code: 'MALFORMED_CODE', message: 'codes: a claim needs at least one service code.' });
  for (const code of claim.codes) {
    const problem = codeProblem(code);
    if (problem) reasons.push({ code: 'MALFORMED_CODE', message: `codes: ${JSON.stringify(code)} is malformed: ${problem}.`, subject: code });
  }
  if (!Number.isSafeInteger(claim.amountCents) || claim.amountCents <= 0) {
    reasons.push({ code: 'INVALID_AMOUNT', message: `amount: must be more than 0.00, got ${(claim.amountCents / 100).toFixed(2)}.` });
  }
  if (claim.serviceDate > ctx.today) {
    reasons.push({ code: 'SERVICE_DATE_IN_FUTURE', message: `service_date: ${claim.serviceDate} is after today (${ctx.today}, UTC).` });
  }

  const npi = npiProblem(claim.renderingNpi);
  if (npi) reasons.push({ code: 'INVALID_NPI', message: `rendering_npi: ${claim.renderingNpi} is not a valid NPI: ${npi}.` });
  else reasons.push(...credentialReasons(claim, ctx.credentials(claim.renderingNpi)));

  const consent = ctx.consent(claim);
  if (consent.decision !== 'permit') {
    const why = consent.details.length ? ` ${consent.details.join('; ')}.` : '';
    reasons.push({ code: 'CONSENT_DENIED', message: `Disclosure to payer ${claim.payerId} for payment (HPAYMT): ${consent.reason}${why}` });
  }

  return { verdict: reasons.length === 0 ? 'pass' : 'fail', reasons };
}
