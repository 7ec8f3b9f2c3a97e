// The one access policy: may this grantee see this patient's data, for this purpose and category, at this time?
// Pure functions over facts (facts.ts reads them; answers.ts pairs the two for callers holding a database): the
// consent decision with break-glass (consent-rule.ts), the credential gate with its maximum age (credential-rule.ts),
// a release under a data-sharing agreement (agreement-rule.ts), and a claim's disclosure to its payer. access.check,
// sharing releases and the claims pre-check all ask here, so a rule changes in one place. Table-tested.
import type { AccessDecision, AccessGranteeCheck, CredentialGateCode } from '../api/consents';
import { decideRelease, type AgreementFacts, type ReleaseDecision, type ReleaseRequestFacts } from './agreement-rule';
import type { ConsentKey, DecideResult } from './consent-rule';
import type { GateResult } from './credential-rule';

export { breakGlassReasonOf, consentDecision, needsConsentsOnFile } from './consent-rule';
export type { ConsentInForce, ConsentKey, ConsentOnFile, DecideQuery, DecideResult, DecidingConsent } from './consent-rule';
export { credentialGate, providerCredentialStanding, verifiedSince } from './credential-rule';
export type { CachedVerdict, CredentialFact, CredentialFacts, GateResult, GateSubject, GranteeFacts, ProviderCredentialStanding } from './credential-rule';
export { decideRelease, RELEASE_REASON_CODES } from './agreement-rule';
export type { AgreementFacts, ReleaseDecision, ReleaseReason, ReleaseReasonCode, ReleaseRequestFacts } from './agreement-rule';

/** Gate refusals that mean the grantee cannot be identified: break-glass does not override these. */
const UNIDENTIFIED: ReadonlySet<CredentialGateCode> = new Set(['NPI_INVALID', 'NPI_NOT_IN_DIRECTORY', 'DIRECTORY_MISSING']);

/** access.check's answer, with the two parts it rests on (the caller's audit entry names them). */
export interface AccessAnswer {
  answer: Omit<AccessDecision, 'at' | 'grantee'>;
  grantee: AccessGranteeCheck;
  /** The consents' decision alone (with break-glass when asked for). */
  consent: DecideResult;
  gate: GateResult;
}

/**
 * access.check: a permit for an NPI grantee also needs the credential gate; organisation grantees are not gated.
 * Break-glass overrides the consents and a stale credential, never identity: an NPI that is invalid or not in the
 * provider directory is refused, with the named reason. The gate is evaluated on every answer, so the answer always
 * says whom it is about and which cached verdict it rests on.
 */
export function accessDecision(consent: DecideResult, gate: GateResult): AccessAnswer {
  let answer: Omit<AccessDecision, 'at' | 'grantee'> = consent;
  if (!gate.ok && consent.breakGlass && UNIDENTIFIED.has(gate.code)) {
    answer = {
      decision: 'deny',
      breakGlass: false,
      reason: `Break-glass refused: ${gate.reason.replace(/^Denied: /, '')} Emergency access is opened only for a grantee this workstation can identify.`,
      decidedBy: consent.decidedBy,
    };
  } else if (!gate.ok && consent.decision === 'permit' && !consent.breakGlass) {
    answer = { ...consent, decision: 'deny', reason: `${gate.reason} The consents alone would permit: ${consent.reason}`, decidedBy: consent.decidedBy.map((d) => ({ ...d, counts: false })) };
  }
  const grantee: AccessGranteeCheck = {
    kind: gate.kind,
    directory: gate.directory,
    gate: gate.kind === 'org' ? 'not-gated' : gate.ok ? 'passed' : 'refused',
    code: gate.ok ? null : gate.code,
    reason: gate.reason,
    cachedVerdict: gate.ok ? gate.cached : null,
  };
  return { answer, grantee, consent, gate };
}

/**
 * A release of information to a partner organisation: an active agreement covering it, the patient's consents
 * permitting the partner (break-glass never opens a release), and, when a professional is named, the same
 * credential gate as access.check (with its maximum age).
 */
export function releaseDecision(request: ReleaseRequestFacts, agreements: readonly AgreementFacts[], consent: DecideResult, professional: GateResult | null): ReleaseDecision {
  const credential = professional && (professional.ok ? ({ ok: true } as const) : { ok: false as const, reason: professional.reason });
  return decideRelease(request, { agreements, consent, credential });
}

/** The consent question a claim asks: disclosure to the payer organisation for payment (HPAYMT), general data. */
export function claimDisclosureKey(payerId: string, patientId: number): ConsentKey {
  return { grantee: payerId, patientId, purpose: 'HPAYMT', category: 'general' };
}
