// The credential part of the access policy (policy.ts): the one definition of "verified" (a passing verdict, or an
// offline re-check after one, last verified within the gate's maximum age), the gate an NPI grantee passes, and the
// standing of a claim's rendering provider. Organisations have no credentials here and are not gated. Pure.
import { formatAge } from '../api/age';
import type { CredentialGateCode } from '../api/consents';
import { CREDENTIAL_TYPE_LABELS } from '../api/credentials';
import { npiProblem } from '../api/npi';
import type { CredentialRow } from '../credentials/store';
import { utcDay } from '../credentials/verdict';

/** A credential's fields the policy reads (a row of credentials/store). */
export type CredentialFact = Pick<CredentialRow, 'id' | 'type' | 'jurisdiction' | 'number' | 'valid_from' | 'valid_until' | 'verdict' | 'reason' | 'last_verified_at'>;

/** What the provider directory holds for an NPI (facts.credentialFacts). */
export type CredentialFacts =
  | { directory: 'missing' }
  | { directory: 'unlisted' }
  | { directory: 'listed'; providerName: string; credentials: readonly CredentialFact[] };

/** The grantee as the gate sees it: an organisation (not gated), or an NPI with its directory facts and the maximum age. */
export type GranteeFacts = { kind: 'org'; grantee: string } | { kind: 'npi'; grantee: string; credentials: CredentialFacts; maxAgeHours: number };

/** The cached verdict a pass rests on (the gate never asks the chain), with its age at the time asked about. */
export interface CachedVerdict {
  credentialId: number;
  verdict: string;
  lastVerifiedAt: string;
  ageSeconds: number;
}

/** Who the grantee is, as far as this workstation knows: kind, and for an NPI whether the directory lists it. */
export interface GateSubject {
  kind: 'npi' | 'org';
  directory: { listed: boolean; providerName: string | null } | null;
}

export type GateResult =
  | ({ ok: true; credentialId?: number; cached: CachedVerdict | null; reason: string } & GateSubject)
  | ({ ok: false; code: CredentialGateCode; reason: string } & GateSubject);

/** Verdicts a verification passed with: 'unverified_offline' is a re-check the registry missed, after a pass. */
const PASSED: ReadonlySet<string> = new Set(['verified', 'unverified_offline']);

/** The moment before which a verification is too old at `at`. ISO text, compared with last_verified_at. */
export const verificationCutoff = (at: Date, maxAgeHours: number): string => new Date(at.getTime() - maxAgeHours * 3_600_000).toISOString();

/**
 * The one definition of "verified": a passing verdict last verified at or after `cutoff`. `lapsedByDate` also
 * accepts the verdict 'expired' (the dates ran out after a pass): for a question about a past day, such as a
 * claim's service date, whose coverage is checked against the credential's own dates.
 */
export function verifiedSince(c: Pick<CredentialFact, 'verdict' | 'last_verified_at'>, cutoff: string, lapsedByDate = false): boolean {
  if (c.verdict === null || c.last_verified_at === null || c.last_verified_at < cutoff) return false;
  return PASSED.has(c.verdict) || (lapsedByDate && c.verdict === 'expired');
}

/** A passing verdict that is older than the maximum age: "verify it again", not "not verified". */
export function staleVerification(c: Pick<CredentialFact, 'verdict' | 'last_verified_at'>, cutoff: string, lapsedByDate = false): boolean {
  return !verifiedSince(c, cutoff, lapsedByDate) && verifiedSince(c, '', lapsedByDate);
}

export const credentialLabel = (c: Pick<CredentialFact, 'type' | 'jurisdiction' | 'number'>): string => `${CREDENTIAL_TYPE_LABELS[c.type]} ${c.jurisdiction} ${c.number}`;

function describe(c: CredentialFact, day: string, cutoff: string): string {
  const what = credentialLabel(c);
  if (day < c.valid_from) return `${what} is not valid until ${c.valid_from}`;
  if (day > c.valid_until) return `${what} expired after ${c.valid_until}`;
  switch (c.verdict) {
    case null:
      return `${what} has not been verified yet`;
    case 'verified':
    case 'unverified_offline':
      return c.last_verified_at && c.last_verified_at < cutoff
        ? `${what} was last verified at ${c.last_verified_at}, too long ago: verify it again`
        : `${what} is unverified (the registry was offline and it was never verified)`;
    default:
      return `${what} is ${c.verdict.replace(/_/g, ' ')} (${c.reason ?? 'no reason recorded'})`;
  }
}

/**
 * Whether the grantee may be granted access at `at`: ok for an organisation; for an NPI, ok only when one of its
 * credentials covers the day of `at` and is verified (verifiedSince) within the maximum age. Otherwise the reason
 * says why, with a code.
 */
export function credentialGate(facts: GranteeFacts, at: Date): GateResult {
  const grantee = facts.grantee;
  if (facts.kind === 'org') return { ok: true, kind: 'org', directory: null, cached: null, reason: `${grantee} is an organisation: no provider credential is required.` };
  const unlisted = { kind: 'npi', directory: { listed: false, providerName: null } } as const;
  const problem = npiProblem(grantee);
  if (problem) return { ok: false, ...unlisted, code: 'NPI_INVALID', reason: `Denied: the grantee NPI ${grantee} is not valid (${problem}).` };
  const directory = facts.credentials;
  if (directory.directory === 'missing') return { ok: false, ...unlisted, code: 'DIRECTORY_MISSING', reason: 'Denied: the credential directory is not set up on this workstation.' };
  if (directory.directory === 'unlisted') {
    return {
      ok: false,
      ...unlisted,
      code: 'NPI_NOT_IN_DIRECTORY',
      reason: `Denied: NPI ${grantee} is not in the provider directory, so no verified credential backs this access. Add the provider (Credentials, roster import) if this is a real provider.`,
    };
  }
  const name = directory.providerName;
  const listed = { kind: 'npi', directory: { listed: true, providerName: name } } as const;
  const credentials = directory.credentials;
  if (credentials.length === 0) return { ok: false, ...listed, code: 'NO_CREDENTIALS', reason: `Denied: NPI ${grantee} (${name}) has no credentials on file.` };

  const day = utcDay(at);
  const cutoff = verificationCutoff(at, facts.maxAgeHours);
  for (const c of credentials) {
    if (c.valid_from <= day && day <= c.valid_until && verifiedSince(c, cutoff)) {
      const lastVerifiedAt = c.last_verified_at!;
      const ageSeconds = Math.max(0, Math.floor((at.getTime() - Date.parse(lastVerifiedAt)) / 1000));
      return {
        ok: true,
        ...listed,
        credentialId: c.id,
        cached: { credentialId: c.id, verdict: c.verdict!, lastVerifiedAt, ageSeconds },
        reason: `${name} (NPI ${grantee}): ${credentialLabel(c)} ${c.verdict === 'verified' ? 'was verified' : 'was last verified (the registry was offline at the latest re-check)'} at ${lastVerifiedAt}, ${formatAge(ageSeconds)} before the time asked about. This is the cached verdict: the registry was not asked for this answer.`,
      };
    }
  }
  const shown = credentials.slice(0, 3).map((c) => describe(c, day, cutoff));
  const more = credentials.length > 3 ? `; and ${credentials.length - 3} more` : '';
  return { ok: false, ...listed, code: 'NO_CURRENT_CREDENTIAL', reason: `Denied: NPI ${grantee} has no verified, unexpired credential: ${shown.join('; ')}${more}.` };
}

/** One credential of a claim's rendering provider, judged at the check time (claims/precheck.ts words the reasons). */
export interface ProviderCredentialStanding {
  label: string;
  verdict: string | null;
  /** Verified within the gate's maximum age at the check time (a lapse by date after it still counts). */
  verified: boolean;
  /** A pass older than the maximum age: the last verification, to say "verify it again". */
  staleSince: string | null;
  validFrom: string;
  validUntil: string;
}

/**
 * The standing of each credential of a claim's rendering provider at `now`, or null when the NPI is not listed
 * (or there is no directory). The same "verified" as the gate, with the same maximum age: a claim is disclosure.
 */
export function providerCredentialStanding(facts: CredentialFacts, now: Date, maxAgeHours: number): ProviderCredentialStanding[] | null {
  if (facts.directory !== 'listed') return null;
  const cutoff = verificationCutoff(now, maxAgeHours);
  return facts.credentials.map((c) => ({
    label: credentialLabel(c),
    verdict: c.verdict,
    verified: verifiedSince(c, cutoff, true),
    staleSince: staleVerification(c, cutoff, true) ? c.last_verified_at : null,
    validFrom: c.valid_from,
    validUntil: c.valid_until,
  }));
}
