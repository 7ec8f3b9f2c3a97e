// Channels of the credentials domain: the provider directory, credential verification (one, bulk, expiring) and
// status changes that go to the chain. Pure TypeScript + zod; handlers live in main/credentials.
import { z } from 'zod';
import { channel } from './channel';
import { uploadId } from './imports';
import type { JobSummary } from './system';

/**
 * Credential types a roster or an issuer may use (the EIP-712 `credentialType` field carries the code).
 * `other` covers anything not listed (e.g. a nursing registration); its jurisdiction and number say what it is.
 */
export const CREDENTIAL_TYPES = [
  'license',
  'board_certification',
  'dea_registration',
  'controlled_substance_registration',
  'hospital_privileges',
  'malpractice_insurance',
  'other',
] as const;
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];

export const CREDENTIAL_TYPE_LABELS: Record<CredentialType, string> = {
  license: 'Medical license',
  board_certification: 'Board certification',
  dea_registration: 'DEA registration',
  controlled_substance_registration: 'State controlled-substance registration',
  hospital_privileges: 'Hospital privileges',
  malpractice_insurance: 'Malpractice insurance',
  other: 'Other credential',
};

/**
 * Outcome of one verification. Checked in this order; the first that applies is the verdict:
 * invalid_npi, bad_signature (incl. another chain or registry), not_yet_valid, expired, then on chain:
 * unknown_issuer, revoked, suspended, not_on_registry, expired (registry expiry), else verified.
 * unverified_offline: the off-chain checks passed but the registry could not be reached.
 */
export const CREDENTIAL_VERDICTS = [
  'verified',
  'expired',
  'not_yet_valid',
  'revoked',
  'suspended',
  'unknown_issuer',
  'bad_signature',
  'invalid_npi',
  'not_on_registry',
  'unverified_offline',
] as const;
export type CredentialVerdict = (typeof CREDENTIAL_VERDICTS)[number];

export const CREDENTIAL_VERDICT_LABELS: Record<CredentialVerdict, string> = {
  verified: 'Verified',
  expired: 'Expired',
  not_yet_valid: 'Not yet valid',
  revoked: 'Revoked',
  suspended: 'Suspended',
  unknown_issuer: 'Unknown issuer',
  bad_signature: 'Bad signature',
  invalid_npi: 'Invalid NPI',
  not_on_registry: 'Not on registry',
  unverified_offline: 'Unverified (offline)',
};

/** The error code a script sees for a verdict other than 'verified' (e.g. `custodian credentials verify`). */
export function verdictErrorCode(verdict: Exclude<CredentialVerdict, 'verified'>): string {
  return `CREDENTIAL_${verdict.toUpperCase()}`;
}

/** Status changes this workstation can publish for a credential (CredentialRegistry statuses). */
export const CREDENTIAL_STATUS_CHANGES = ['active', 'suspended', 'revoked'] as const;
export type CredentialStatusChange = (typeof CREDENTIAL_STATUS_CHANGES)[number];

export interface CredentialCheckState {
  /** null: never checked. */
  verdict: CredentialVerdict | null;
  reason: string | null;
  checkedAt: string | null;
  /** The last check whose verdict was 'verified' (kept across later offline checks). */
  lastVerifiedAt: string | null;
}

/** "Verified", "Revoked", "Unverified (offline) — last verified at …", "Not checked yet". */
export function checkStateLabel(s: CredentialCheckState): string {
  if (s.verdict === null) return 'Not checked yet';
  if (s.verdict === 'unverified_offline') {
    return `Unverified (offline) — ${s.lastVerifiedAt ? `last verified at ${s.lastVerifiedAt}` : 'never verified'}`;
  }
  return CREDENTIAL_VERDICT_LABELS[s.verdict];
}

export interface CredentialView {
  id: number;
  providerId: number;
  npi: string;
  type: CredentialType;
  typeLabel: string;
  jurisdiction: string;
  number: string;
  /** YYYY-MM-DD, first day valid (UTC). */
  validFrom: string;
  /** YYYY-MM-DD, last day valid (UTC, inclusive). */
  validUntil: string;
  issuer: string;
  credentialHash: string;
  chainId: number;
  registry: string;
  check: CredentialCheckState & { label: string };
  /** valid_until falls within the expiring window (30 days unless configured) and the credential is not expired. */
  expiringSoon: boolean;
  daysToExpiry: number;
  /** The latest status change made at this workstation, if any (pending on chain until the sync confirms it). */
  localStatus: { status: CredentialStatusChange; reason: string; at: string; actor: string; outboxState: string | null } | null;
}

/** Overall standing of a provider in the directory list. */
export type ProviderStanding = 'verified' | 'attention' | 'unchecked' | 'offline' | 'no_credentials';

export interface ProviderSummary {
  id: number;
  npi: string;
  name: string;
  organization: string | null;
  specialty: string | null;
  credentials: number;
  verified: number;
  standing: ProviderStanding;
  /** Earliest valid_until among credentials not yet expired, or null. */
  nextExpiry: string | null;
  /** The most serious last verdict among the provider's credentials (VERDICT_SEVERITY); null when none was checked. */
  worstVerdict: CredentialVerdict | null;
  /** Each credential's last verdict, worst first (at most 20; `credentials` is the full count). */
  credentialVerdicts: ProviderCredentialVerdict[];
}

export interface ProviderCredentialVerdict {
  credentialId: number;
  type: CredentialType;
  number: string;
  /** null: never checked. */
  verdict: CredentialVerdict | null;
  reason: string | null;
  checkedAt: string | null;
}

/**
 * Verdicts from the most to the least serious, for a provider's worst verdict: a credential that must not be relied
 * on at all first, then one the registry holds back, then one merely out of date or not yet checkable, then verified.
 */
export const VERDICT_SEVERITY: readonly CredentialVerdict[] = [
  'revoked',
  'bad_signature',
  'invalid_npi',
  'unknown_issuer',
  'suspended',
  'expired',
  'not_on_registry',
  'not_yet_valid',
  'unverified_offline',
  'verified',
];

/** The most serious of `verdicts` (null entries, never checked, are ignored); null when there is none. */
export function worstVerdictOf(verdicts: readonly (CredentialVerdict | null)[]): CredentialVerdict | null {
  let worst: CredentialVerdict | null = null;
  for (const v of verdicts) if (v !== null && (worst === null || VERDICT_SEVERITY.indexOf(v) < VERDICT_SEVERITY.indexOf(worst))) worst = v;
  return worst;
}

export interface ProviderListResult {
  providers: ProviderSummary[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface CredentialCheckEntry {
  id: number;
  credentialId: number;
  verdict: CredentialVerdict;
  reason: string;
  checkedAt: string;
  trigger: 'on-demand' | 'bulk' | 'schedule' | 'cli';
  actor: string | null;
  blockNumber: number | null;
}

export interface ProviderDetail {
  provider: Omit<ProviderSummary, 'credentials' | 'verified' | 'standing' | 'nextExpiry' | 'worstVerdict' | 'credentialVerdicts'> & { createdAt: string; updatedAt: string; source: string };
  credentials: CredentialView[];
  /** Newest first, up to 200 entries over all the provider's credentials. */
  trail: CredentialCheckEntry[];
}

export interface VerificationResult {
  credentialId: number | null;
  credentialHash: string;
  verdict: CredentialVerdict;
  reason: string;
  checkedAt: string;
  lastVerifiedAt: string | null;
  label: string;
  /** The registry the credential was checked against, when the chain was reachable. */
  chain: { chainId: number; registry: string; blockNumber: number } | null;
  /**
   * Set when the registry could not be asked and the answer rests on the verification on record: when that was
   * and how old it is (seconds), null fields when it was never verified. Null when the registry answered now.
   */
  cached: { lastVerifiedAt: string | null; ageSeconds: number | null } | null;
}

export interface ExpiringCredential {
  credentialId: number;
  providerId: number;
  providerName: string;
  npi: string;
  type: CredentialType;
  jurisdiction: string;
  number: string;
  validUntil: string;
  daysToExpiry: number;
  verdict: CredentialVerdict | null;
}

export interface ExpiringResult {
  days: number;
  asOf: string;
  credentials: ExpiringCredential[];
  total: number;
}

export interface RosterImportStarted {
  runId: number;
  job: JobSummary;
}

export interface RosterRunSummary {
  id: number;
  jobId: string | null;
  fileName: string;
  fileSize: number;
  /** A dry run: every row resolved against the directory, nothing stored. */
  dryRun: boolean;
  /** From the run's job while it is under way; the run's own outcome once it has ended. */
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted' | 'unknown';
  rowsRead: number;
  providersAdded: number;
  providersUpdated: number;
  credentialsAdded: number;
  duplicate: number;
  rejected: number;
  fileHash: string | null;
  rejectsPath: string | null;
  error: { code: string; message: string } | null;
  /** The staff member's display name (their id if the account is gone). */
  startedBy: string;
  createdAt: string;
  finishedAt: string | null;
}

export interface RosterRejectedRow {
  /** Data row number in the file (1 = the first row after the header). */
  row: number;
  /** Line of the file the row starts on. */
  line: number;
  /** Each problem of the row: the column (or "(row)") and why. */
  problems: { field: string; reason: string }[];
}

export interface RosterRunDetail extends RosterRunSummary {
  /** The rejected rows, in file order, read back from the run's rejects file (at most `limit`). */
  rejects: RosterRejectedRow[];
  /** More rejected rows are in the rejects file than are listed. */
  rejectsTruncated: boolean;
  /** The rejects file is gone (moved or deleted): the counts stand, the list cannot be shown. */
  rejectsMissing: boolean;
  ignoredColumns: string[];
}

/**
 * What the issuer's tool hands over for a status: the fields it signed beyond the credential hash and the status
 * (credentials/status-signature.ts), and the 65-byte signature. The registry applies it only when it recovers to
 * the credential's registered issuer, with a nonce above the last applied one, before the deadline.
 */
export const issuerStatusSignature = z
  .object({
    expiresAt: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    nonce: z.number().int().positive().max(2 ** 48 - 1),
    deadline: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'must be a 65-byte signature (0x + 130 hex digits)'),
  })
  .strict();
export type IssuerStatusSignature = z.infer<typeof issuerStatusSignature>;

export interface StatusChangeResult {
  outboxId: number;
  credential: CredentialView;
}

/** Tunables an IT admin may change (stored in the settings table). */
export interface CredentialSettingsView {
  /** Credentials last checked longer ago than this are re-checked by the schedule (default 360). */
  recheckMinutes: number;
  /** A credential whose last valid day is within this many days is flagged as about to expire (default 30). */
  expiringDays: number;
  /** The consent gate accepts a verification at most this old (default 24; an offline re-check keeps it). */
  gateMaxAgeHours: number;
}

const npiText = z.string().trim().regex(/^\d{10}$/, 'must be 10 digits');
const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** A governance transaction on CredentialRegistry: which issuer, which registry, and where it was mined. */
export interface IssuerGovernanceResult {
  address: string;
  registry: string;
  txHash: string;
  blockNumber: number;
}

const issuerAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');

// Issuer governance: changes the registry every workstation trusts, so an IT admin (sync.configure), audited with
// its transaction. Its own map: the handlers need the governance key (credentials/governance-handlers.ts).
export const issuerGovernanceChannels = {
  'credentials.registerIssuer': channel<IssuerGovernanceResult>()(z.object({ address: issuerAddress, name: z.string().trim().min(2).max(120) }).strict(), 'sync.configure'),
  'credentials.revokeIssuer': channel<IssuerGovernanceResult>()(z.object({ address: issuerAddress }).strict(), 'sync.configure'),
};

export const credentialChannels = {
  'providers.list': channel<ProviderListResult>()(
    z
      .object({
        /** Digits: NPI prefix; otherwise name prefix (case-insensitive). */
        search: z.string().trim().max(100).optional(),
        standing: z.enum(['verified', 'attention', 'unchecked', 'offline', 'no_credentials']).optional(),
        verdict: z.enum(CREDENTIAL_VERDICTS).optional(),
        type: z.enum(CREDENTIAL_TYPES).optional(),
        limit: z.number().int().min(1).max(500).default(50),
        cursor: z.string().max(400).optional(),
      })
      .strict(),
    'credentials.view',
  ),
  'providers.get': channel<ProviderDetail>()(
    z.union([z.object({ providerId: id }).strict(), z.object({ npi: npiText }).strict()]),
    'credentials.view',
  ),
  'credentials.verify': channel<VerificationResult>()(z.object({ credentialId: id }).strict(), 'credentials.verify'),
  /** Verifies a signed credential document (JSON text) without storing it: the CLI's `credentials verify FILE`. */
  'credentials.check': channel<VerificationResult>()(z.object({ document: z.string().min(1).max(64 * 1024) }).strict(), 'credentials.verify'),
  'credentials.verifyAll': channel<JobSummary>()(
    z.object({ onlyDue: z.boolean().default(false) }).strict(),
    'credentials.verify',
  ),
  'credentials.expiring': channel<ExpiringResult>()(
    z.object({ days: z.number().int().min(1).max(366).optional(), limit: z.number().int().min(1).max(1000).default(100) }).strict(),
    'credentials.view',
    { audited: false },
  ),
  /** The roster comes by id (an upload, a dialog pick, or a file the CLI registered for its OS user): never a path. */
  'credentials.import': channel<RosterImportStarted>()(
    z.object({ uploadId, format: z.enum(['csv', 'fhir']).optional(), dryRun: z.boolean().default(false) }).strict(),
    'imports.run',
  ),
  'credentials.rosterRuns.list': channel<RosterRunSummary[]>()(
    z.object({ limit: z.number().int().min(1).max(200).default(20), before: id.optional() }).strict(),
    'imports.view',
  ),
  'credentials.rosterRuns.get': channel<RosterRunDetail>()(
    z.object({ runId: id, limit: z.number().int().min(1).max(2_000).default(500) }).strict(),
    'imports.view',
  ),
  'credentials.settings': channel<CredentialSettingsView>()(z.object({}).strict(), 'credentials.view', { audited: false }),
  'credentials.configure': channel<CredentialSettingsView>()(
    z
      .object({
        recheckMinutes: z.number().int().min(5).max(60 * 24 * 30).optional(),
        expiringDays: z.number().int().min(1).max(366).optional(),
        gateMaxAgeHours: z.number().int().min(1).max(24 * 90).optional(),
      })
      .strict(),
    'settings.configure',
  ),
  'credentials.setStatus': channel<StatusChangeResult>()(
    z
      .object({
        credentialId: id,
        status: z.enum(CREDENTIAL_STATUS_CHANGES),
        reason: z.string().trim().min(3, 'say why (at least 3 characters)').max(500),
        /** The issuer's EIP-712 signature over this status (credentials/status-signature.ts); required to send it. */
        issuerSignature: issuerStatusSignature.optional(),
      })
      .strict(),
    'credentials.verify',
  ),
};
