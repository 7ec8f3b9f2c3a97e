// The verification rules as pure functions: off-chain checks (NPI, domain, signature, validity dates), then
// what the registry says (issuer, status, expiry), then a local suspension or revocation. Order documented in api.
import type { CredentialStatusChange, CredentialVerdict } from '../api/credentials';
import { credentialDigest, recoverSigner, sameDomain, type CredentialDomain, type CredentialFields } from './eip712';
import { npiProblem } from '../api/npi';

export interface Finding {
  verdict: CredentialVerdict;
  reason: string;
}

export interface CheckableCredential {
  fields: CredentialFields;
  /** The domain the credential says it was signed for. */
  domain: CredentialDomain;
  signature: string;
  /** The hash on record (stored or stated); recomputed and compared. */
  hash: string;
}

/** Registry statuses (CredentialRegistry.STATUS_*). */
export const REGISTRY_STATUS = { unknown: 0, active: 1, suspended: 2, revoked: 3 } as const;

export interface RegistryFacts {
  issuerRegistered: boolean;
  status: number;
  /** Unix seconds; 0 for none. */
  expiresAt: number;
  /** The issuer the registry recorded the credential with, when read (statusOf); null or zero address otherwise. */
  recordedIssuer: string | null;
}

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** Unix seconds of the first instant after the last valid day: what the registry's expiresAt holds. */
export function expiresAtOf(validUntil: string): number {
  return Date.parse(`${validUntil}T00:00:00Z`) / 1000 + 86_400;
}

const short = (address: string) => `${address.slice(0, 8)}…${address.slice(-4)}`;

/** A signature already recovered elsewhere (a helper thread): the digest it was recovered from and the signer. */
export interface Recovered {
  digest: string;
  signer: string | null;
}

/**
 * The checks that need no chain. Returns a negative finding, or null when the credential passes them (the
 * registry decides the rest). `expected` is this workstation's domain; null when unknown (chain never reached).
 */
export function offChainFinding(c: CheckableCredential, expected: CredentialDomain | null, now: Date, recovered?: Recovered): Finding | null {
  const npi = npiProblem(c.fields.npi);
  if (npi) return { verdict: 'invalid_npi', reason: `NPI ${c.fields.npi} is not valid: ${npi}.` };

  if (expected && !sameDomain(c.domain, expected)) {
    const where = c.domain.chainId !== expected.chainId ? `chain id ${c.domain.chainId}` : `registry ${c.domain.verifyingContract}`;
    const ours = c.domain.chainId !== expected.chainId ? `chain id ${expected.chainId}` : `registry ${expected.verifyingContract}`;
    return {
      verdict: 'bad_signature',
      reason: `Signed for ${where}, but this workstation verifies against ${ours}: a credential signed for another chain or registry is refused (replay).`,
    };
  }

  const digest = recovered?.digest ?? credentialDigest(c.domain, c.fields);
  if (digest !== c.hash.toLowerCase()) {
    return { verdict: 'bad_signature', reason: 'The credential hash on record does not match its fields: a field was changed after signing.' };
  }
  const signer = recovered ? recovered.signer : recoverSigner(digest, c.signature);
  if (signer === null) return { verdict: 'bad_signature', reason: 'The signature is not a valid secp256k1 signature.' };
  if (signer.toLowerCase() !== c.fields.issuer.toLowerCase()) {
    return {
      verdict: 'bad_signature',
      reason: `The signature recovers to ${short(signer)}, not to the issuer ${short(c.fields.issuer)} named in the credential: a field was changed after signing, or another key signed it.`,
    };
  }

  return validityFinding(c.fields, now);
}

/** Expired or not yet valid by its own dates (no chain, no signature work), or null while in its validity window. */
export function validityFinding(fields: Pick<CheckableCredential['fields'], 'validFrom' | 'validUntil'>, now: Date): Finding | null {
  const today = utcDay(now);
  if (today < fields.validFrom) return { verdict: 'not_yet_valid', reason: `Valid from ${fields.validFrom}; today is ${today} (UTC).` };
  if (today > fields.validUntil) return { verdict: 'expired', reason: `Expired: valid until ${fields.validUntil} (inclusive); today is ${today} (UTC).` };
  return null;
}

/** The verdict once the off-chain checks passed, from what the registry holds for this credential and its issuer. */
export function registryFinding(c: CheckableCredential, facts: RegistryFacts, now: Date): Finding {
  const issuer = c.fields.issuer;
  if (!facts.issuerRegistered) {
    return { verdict: 'unknown_issuer', reason: `Issuer ${issuer} is not registered (or no longer registered) in CredentialRegistry ${c.domain.verifyingContract}.` };
  }
  if (facts.recordedIssuer && facts.recordedIssuer !== ZERO_ADDRESS && facts.recordedIssuer.toLowerCase() !== issuer.toLowerCase()) {
    return { verdict: 'unknown_issuer', reason: `The registry records this credential under issuer ${facts.recordedIssuer}, not ${issuer}.` };
  }
  switch (facts.status) {
    case REGISTRY_STATUS.revoked:
      return { verdict: 'revoked', reason: 'The registry marks this credential revoked.' };
    case REGISTRY_STATUS.suspended:
      return { verdict: 'suspended', reason: 'The registry marks this credential suspended.' };
    case REGISTRY_STATUS.active:
      break;
    default:
      return { verdict: 'not_on_registry', reason: 'The registry holds no status for this credential: its issuer has not published it as active.' };
  }
  if (facts.expiresAt !== 0 && now.getTime() / 1000 >= facts.expiresAt) {
    return { verdict: 'expired', reason: `The registry records it as expired since ${new Date(facts.expiresAt * 1000).toISOString()}.` };
  }
  return { verdict: 'verified', reason: `Signed by registered issuer ${issuer}; active on the registry; valid ${c.fields.validFrom} to ${c.fields.validUntil}.` };
}

export interface LocalStatus {
  status: CredentialStatusChange;
  reason: string;
  at: string;
}

/** Findings a local suspension or revocation replaces; the other negatives say something more basic. */
const OVERRIDDEN_BY_LOCAL: ReadonlySet<CredentialVerdict> = new Set(['verified', 'unverified_offline', 'not_on_registry']);

/**
 * A suspension or revocation made at this workstation outranks an 'active' reading (and an offline one) until
 * staff reinstate the credential here: the sync engine may not have sent it to the chain yet.
 */
export function withLocalStatus(f: Finding, local: LocalStatus | null): Finding {
  if (!local || local.status === 'active' || !OVERRIDDEN_BY_LOCAL.has(f.verdict)) return f;
  return {
    verdict: local.status,
    reason: `${local.status === 'revoked' ? 'Revoked' : 'Suspended'} at this workstation on ${local.at} (${local.reason}); this holds until the change is confirmed on chain or the credential is reinstated here.`,
  };
}

export function offlineFinding(reason: string, lastVerifiedAt: string | null): Finding {
  return {
    verdict: 'unverified_offline',
    reason: `The registry could not be reached (${reason}); ${lastVerifiedAt ? `last verified at ${lastVerifiedAt}` : 'never verified'}.`,
  };
}
