// The consent decision's credential gate: an NPI grantee is let through only with a verified, unexpired credential
// whose last verification is recent. Organisation grantees (not NPIs) have no credentials here and are not gated.
import type { CredentialGateCode } from '../api/consents';
import { formatAge } from '../api/age';
import { CREDENTIAL_TYPE_LABELS } from '../api/credentials';
import type { Db } from '../db/connection';
import { npiProblem } from './npi';
import { credentialSettings } from './settings';
import { credentialsOfProvider, hasCredentialTables, providerByNpi, type CredentialRow } from './store';
import { utcDay } from './verdict';

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

export interface GateOptions {
  /** 'npi' or 'org' when the caller knows it; otherwise ten digits are taken for an NPI (as consent imports do). */
  granteeKind?: 'npi' | 'org';
  /** Overrides the gate_max_age_hours setting. */
  maxAgeHours?: number;
}

const toDate = (at: Date | number): Date => (typeof at === 'number' ? new Date(at * 1000) : at);

function describe(c: CredentialRow, day: string, cutoff: string): string {
  const what = `${CREDENTIAL_TYPE_LABELS[c.type]} ${c.jurisdiction} ${c.number}`;
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
 * Whether `grantee` may be granted access at `at` (a Date, or unix seconds like the decision engine): ok for an
 * organisation; for an NPI, ok only when one of its credentials covers `at`, has the verdict 'verified' (or an
 * offline re-check after one), and was last verified within the configured age. Otherwise the reason says why.
 */
export function credentialGate(db: Db, grantee: string, at: Date | number, options: GateOptions = {}): GateResult {
  const kind = options.granteeKind ?? (/^\d{10}$/.test(grantee) ? 'npi' : 'org');
  if (kind === 'org') return { ok: true, kind, directory: null, cached: null, reason: `${grantee} is an organisation: no provider credential is required.` };
  const unlisted = { kind, directory: { listed: false, providerName: null } } as const;
  const problem = npiProblem(grantee);
  if (problem) return { ok: false, ...unlisted, code: 'NPI_INVALID', reason: `Denied: the grantee NPI ${grantee} is not valid (${problem}).` };
  if (!hasCredentialTables(db)) return { ok: false, ...unlisted, code: 'DIRECTORY_MISSING', reason: 'Denied: the credential directory is not set up on this workstation.' };
  const provider = providerByNpi(db, grantee);
  if (!provider) {
    return {
      ok: false,
      ...unlisted,
      code: 'NPI_NOT_IN_DIRECTORY',
      reason: `Denied: NPI ${grantee} is not in the provider directory, so no verified credential backs this access. Add the provider (Credentials, roster import) if this is a real provider.`,
    };
  }
  const listed = { kind, directory: { listed: true, providerName: provider.name } } as const;
  const credentials = credentialsOfProvider(db, provider.id);
  if (credentials.length === 0) return { ok: false, ...listed, code: 'NO_CREDENTIALS', reason: `Denied: NPI ${grantee} (${provider.name}) has no credentials on file.` };

  const when = toDate(at);
  const day = utcDay(when);
  const maxAgeHours = options.maxAgeHours ?? credentialSettings(db).gateMaxAgeHours;
  const cutoff = new Date(when.getTime() - maxAgeHours * 3_600_000).toISOString();
  for (const c of credentials) {
    const inPeriod = c.valid_from <= day && day <= c.valid_until;
    const verifiedRecently = (c.verdict === 'verified' || c.verdict === 'unverified_offline') && c.last_verified_at !== null && c.last_verified_at >= cutoff;
    if (inPeriod && verifiedRecently) {
      const lastVerifiedAt = c.last_verified_at!;
      const ageSeconds = Math.max(0, Math.floor((when.getTime() - Date.parse(lastVerifiedAt)) / 1000));
      const what = `${CREDENTIAL_TYPE_LABELS[c.type]} ${c.jurisdiction} ${c.number}`;
      return {
        ok: true,
        ...listed,
        credentialId: c.id,
        cached: { credentialId: c.id, verdict: c.verdict!, lastVerifiedAt, ageSeconds },
        reason: `${provider.name} (NPI ${grantee}): ${what} ${c.verdict === 'verified' ? 'was verified' : 'was last verified (the registry was offline at the latest re-check)'} at ${lastVerifiedAt}, ${formatAge(ageSeconds)} before the time asked about. This is the cached verdict: the registry was not asked for this answer.`,
      };
    }
  }
  const shown = credentials.slice(0, 3).map((c) => describe(c, day, cutoff));
  const more = credentials.length > 3 ? `; and ${credentials.length - 3} more` : '';
  return { ok: false, ...listed, code: 'NO_CURRENT_CREDENTIAL', reason: `Denied: NPI ${grantee} has no verified, unexpired credential: ${shown.join('; ')}${more}.` };
}
