// The access policy asked over this database: each question reads its facts (facts.ts) and answers with the pure
// policy (policy.ts). access.check, sharing releases and the claims pre-check call these; nothing else decides access.
import type { PurposeCode } from '../api/consents';
import type { ReleaseRequestInput } from '../api/sharing';
import { unixSeconds } from '../consents/period';
import type { Db } from '../db/connection';
import type { AgreementFacts } from './agreement-rule';
import { consentsInForce, consentsOnFile, credentialFacts, gateMaxAgeHours, granteeFacts } from './facts';
import {
  accessDecision,
  claimDisclosureKey,
  consentDecision,
  credentialGate,
  needsConsentsOnFile,
  providerCredentialStanding,
  releaseDecision,
  type AccessAnswer,
  type DecideQuery,
  type DecideResult,
  type GateResult,
  type ProviderCredentialStanding,
  type ReleaseDecision,
} from './policy';

const toDate = (at: Date | number): Date => (typeof at === 'number' ? new Date(at * 1000) : at);

/** The consent decision (no credential gate): the engine every other question starts from. The hot path. */
export function decide(db: Db, q: DecideQuery): DecideResult {
  const at = unixSeconds(q.at);
  const inForce = consentsInForce(db, q, at);
  return consentDecision(q, at, inForce, needsConsentsOnFile(inForce) ? consentsOnFile(db, q) : null);
}

/** The credential gate for `grantee` at `at` (kind taken from the NPI form unless given). */
export function gateOf(db: Db, grantee: string, at: Date | number, options: { granteeKind?: 'npi' | 'org'; maxAgeHours?: number } = {}): GateResult {
  return credentialGate(granteeFacts(db, grantee, options), toDate(at));
}

/** access.check: the consents, break-glass and the grantee's credential gate. */
export function checkAccess(db: Db, q: DecideQuery): AccessAnswer {
  return accessDecision(decide(db, q), gateOf(db, q.grantee, q.at));
}

/**
 * A partner's release request at `at`: agreements with the partner, consents for the partner, the professional's gate.
 * The agreements (every one with this partner, any state) come from their owner, sharing (agreementFactsWith).
 */
export function decideReleaseRequest(db: Db, r: ReleaseRequestInput, at: Date, agreements: readonly AgreementFacts[]): ReleaseDecision {
  const purpose = r.purpose as PurposeCode; // RELEASE_PURPOSES, a subset of the purposes of use
  const consent = decide(db, { grantee: r.partnerOrgId, patientId: r.patientId, purpose, category: r.category, at });
  const professional = r.professionalNpi ? gateOf(db, r.professionalNpi, at, { granteeKind: 'npi' }) : null;
  return releaseDecision(
    { partnerOrgId: r.partnerOrgId, category: r.category, purpose, professionalNpi: r.professionalNpi ?? null, at: unixSeconds(at) },
    agreements,
    consent,
    professional,
  );
}

/** A claim's disclosure to its payer (HPAYMT) at `now`, the moment of submission. */
export function claimConsent(db: Db, payerId: string, patientId: number, now: Date): DecideResult {
  return decide(db, { ...claimDisclosureKey(payerId, patientId), at: now });
}

/** A claim's rendering provider's credentials at `now`, with the gate's maximum age (read once per caller). */
export function claimProviderCredentials(db: Db, npi: string, now: Date, maxAgeHours: number = gateMaxAgeHours(db)): ProviderCredentialStanding[] | null {
  return providerCredentialStanding(credentialFacts(db, npi), now, maxAgeHours);
}
