// How verdicts, a provider's standing and verification triggers read to records staff: a label, a colour and
// what it means. Pure and table-tested; labels follow the API's (main/api/credentials.ts) with local dates.
import {
  CREDENTIAL_TYPE_LABELS,
  CREDENTIAL_VERDICT_LABELS,
  VERDICT_SEVERITY,
  type ProviderCredentialVerdict,
  type RosterRunSummary,
  type CredentialCheckState,
  type CredentialCheckEntry,
  type CredentialVerdict,
  type CredentialView,
  type ProviderStanding,
  type ProviderSummary,
} from '../../../../main/api/credentials';
import { formatCount, formatDateTime } from '../../components/format';

export interface BadgeView {
  label: string;
  color: string;
  /** One sentence for a tooltip or a legend. */
  meaning: string;
}

export const VERDICT_VIEW: Record<CredentialVerdict, BadgeView> = {
  verified: { label: CREDENTIAL_VERDICT_LABELS.verified, color: 'teal', meaning: 'Signed by a registered issuer, within its dates, and active on the registry.' },
  expired: { label: CREDENTIAL_VERDICT_LABELS.expired, color: 'red', meaning: 'Past its last valid day (or the registry records it as expired).' },
  not_yet_valid: { label: CREDENTIAL_VERDICT_LABELS.not_yet_valid, color: 'yellow', meaning: 'Its first valid day is still to come.' },
  revoked: { label: CREDENTIAL_VERDICT_LABELS.revoked, color: 'red', meaning: 'Withdrawn by the issuer or at this workstation.' },
  suspended: { label: CREDENTIAL_VERDICT_LABELS.suspended, color: 'orange', meaning: 'On hold: not to be relied on until reinstated.' },
  unknown_issuer: { label: CREDENTIAL_VERDICT_LABELS.unknown_issuer, color: 'red', meaning: 'Signed by a key that is not a registered issuer.' },
  bad_signature: { label: CREDENTIAL_VERDICT_LABELS.bad_signature, color: 'red', meaning: 'The signature does not match the fields, or was made for another chain or registry.' },
  invalid_npi: { label: CREDENTIAL_VERDICT_LABELS.invalid_npi, color: 'red', meaning: 'The NPI fails its check digit.' },
  not_on_registry: { label: CREDENTIAL_VERDICT_LABELS.not_on_registry, color: 'blue', meaning: 'Correctly signed, but never published as active on the registry.' },
  unverified_offline: { label: CREDENTIAL_VERDICT_LABELS.unverified_offline, color: 'yellow', meaning: 'The registry could not be reached; the last good check is shown, never a fresh “verified”.' },
};

export const NOT_CHECKED: BadgeView = { label: 'Not checked yet', color: 'gray', meaning: 'No verification has run for this credential.' };

export function verdictView(verdict: CredentialVerdict | null): BadgeView {
  return verdict === null ? NOT_CHECKED : VERDICT_VIEW[verdict];
}

/** The badge text with local dates: "Unverified (offline) — last verified at 2025-03-01 10:02:11". */
export function checkLabel(check: CredentialCheckState): string {
  if (check.verdict === null) return NOT_CHECKED.label;
  if (check.verdict === 'unverified_offline') {
    return `${VERDICT_VIEW.unverified_offline.label} — ${check.lastVerifiedAt ? `last verified at ${formatDateTime(check.lastVerifiedAt)}` : 'never verified'}`;
  }
  return VERDICT_VIEW[check.verdict].label;
}

export const STANDING_VIEW: Record<ProviderStanding, BadgeView> = {
  verified: { label: 'Verified', color: 'teal', meaning: 'At least one credential is verified and in date.' },
  attention: { label: 'Needs attention', color: 'red', meaning: 'No credential is verified: expired, revoked, suspended, not on the registry or not genuine.' },
  unchecked: { label: 'Not checked yet', color: 'gray', meaning: 'None of the credentials has been verified yet.' },
  offline: { label: 'Unverified (offline)', color: 'yellow', meaning: 'The registry was unreachable at the last check.' },
  no_credentials: { label: 'No credentials', color: 'gray', meaning: 'The roster listed this provider without a credential.' },
};

/** "2 of 3 verified", "No credentials". */
export function verifiedCount(p: Pick<ProviderSummary, 'credentials' | 'verified'>): string {
  if (p.credentials === 0) return 'No credentials';
  return `${formatCount(p.verified)} of ${formatCount(p.credentials)} verified`;
}

export const TRIGGER_LABELS: Record<CredentialCheckEntry['trigger'], string> = {
  'on-demand': 'On demand',
  bulk: 'Verify all',
  schedule: 'Scheduled re-check',
  cli: 'Command line',
};

/** "Expires in 12 days", "Expires today", "Expired 3 days ago", "Valid until 2030-01-01". */
export function expiryText(c: Pick<CredentialView, 'validUntil' | 'daysToExpiry' | 'expiringSoon'>): string {
  if (c.daysToExpiry < 0) return `Expired ${formatCount(-c.daysToExpiry)} ${c.daysToExpiry === -1 ? 'day' : 'days'} ago`;
  if (c.daysToExpiry === 0) return 'Expires today (last valid day)';
  if (c.expiringSoon) return `Expires in ${formatCount(c.daysToExpiry)} ${c.daysToExpiry === 1 ? 'day' : 'days'}`;
  return `Valid until ${c.validUntil}`;
}

export type StatusAction = 'suspended' | 'revoked' | 'active';

/** Which status changes make sense for a credential as it stands: reinstating what is held, holding what is not. */
export function statusActions(c: Pick<CredentialView, 'check' | 'localStatus'>): StatusAction[] {
  const held = c.localStatus?.status === 'suspended' || c.localStatus?.status === 'revoked' || c.check.verdict === 'suspended' || c.check.verdict === 'revoked';
  const actions: StatusAction[] = [];
  if (c.check.verdict !== 'suspended' && c.localStatus?.status !== 'suspended' && c.check.verdict !== 'revoked' && c.localStatus?.status !== 'revoked') actions.push('suspended');
  if (c.check.verdict !== 'revoked' && c.localStatus?.status !== 'revoked') actions.push('revoked');
  if (held || c.check.verdict === 'not_on_registry') actions.push('active');
  return actions;
}

/** Main's reasons carry UTC ISO times ("…on 2025-03-01T10:02:11.123Z (…)"): shown in local time like every other date. */
export function localizeTimes(text: string): string {
  return text.replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\b/g, (iso) => formatDateTime(iso));
}

/** Days from today (UTC, as main counts them) to a YYYY-MM-DD date; negative when past. */
export function daysUntil(day: string, now: Date = new Date()): number {
  const today = Date.parse(`${now.toISOString().slice(0, 10)}T00:00:00Z`);
  return Math.round((Date.parse(`${day}T00:00:00Z`) - today) / 86_400_000);
}

export const STATUS_ACTION_VIEW: Record<StatusAction, { menu: string; title: string; confirm: string; done: string; color: string; effect: string }> = {
  suspended: {
    menu: 'Suspend…',
    title: 'Suspend credential',
    confirm: 'Suspend',
    done: 'Suspended',
    color: 'orange',
    effect:
      'The credential reads as Suspended here at once and access requests relying on it are refused. The suspension is queued for the chain (CredentialRegistry) and reaches other workstations when the sync confirms it. It can be reinstated later.',
  },
  revoked: {
    menu: 'Revoke…',
    title: 'Revoke credential',
    confirm: 'Revoke',
    done: 'Revoked',
    color: 'red',
    effect:
      'Use revocation when the credential must no longer be honoured at all (e.g. the licence was withdrawn). It reads as Revoked here at once and is queued for the chain. Prefer Suspend for a temporary hold.',
  },
  active: {
    menu: 'Mark active…',
    title: 'Mark credential active',
    confirm: 'Mark active',
    done: 'Marked active',
    color: 'teal',
    effect:
      'Publishes the credential as active on the registry (or reinstates it after a suspension or revocation made here). It is re-checked at once; it reads as Verified once the sync has confirmed the change on chain.',
  },
};

/** A bulk verification's counts, most serious verdict first: [["revoked", 2], ["verified", 9800]] (zeros left out). */
export function verdictCounts(byVerdict: Partial<Record<CredentialVerdict, number>>): [CredentialVerdict, number][] {
  return VERDICT_SEVERITY.filter((v) => (byVerdict[v] ?? 0) > 0).map((v) => [v, byVerdict[v]!]);
}

/** One line of a provider's credential verdicts for a tooltip: "License A-1: Revoked (checked 2025-…)". */
export function credentialVerdictLine(v: ProviderCredentialVerdict): string {
  const label = verdictView(v.verdict).label;
  return `${CREDENTIAL_TYPE_LABELS[v.type]} ${v.number}: ${label}${v.checkedAt ? ` (checked ${formatDateTime(v.checkedAt)})` : ''}`;
}

export const ROSTER_RUN_STATE_VIEW: Record<RosterRunSummary['state'], { label: string; color: string }> = {
  queued: { label: 'Queued', color: 'gray' },
  running: { label: 'Running', color: 'blue' },
  succeeded: { label: 'Finished', color: 'teal' },
  failed: { label: 'Failed', color: 'red' },
  cancelled: { label: 'Cancelled', color: 'gray' },
  interrupted: { label: 'Interrupted', color: 'orange' },
  unknown: { label: 'Unknown', color: 'gray' },
};
