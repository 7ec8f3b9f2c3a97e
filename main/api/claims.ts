// Channels of the claims domain (issue #7): browse claims with filters, a claim's detail with every reason, check
// (and optionally submit) one claim from the form, and bulk imports of claim CSVs as jobs.
import { z } from 'zod';
import { channel } from './channel';
import { uploadId } from './imports';

export const CLAIM_VERDICTS = ['pass', 'fail'] as const;
export const CLAIM_CHAIN_STATUSES = ['not_sent', 'pending', 'recorded', 'accepted', 'denied'] as const;
export type ClaimVerdictName = (typeof CLAIM_VERDICTS)[number];
export type ClaimChainStatus = (typeof CLAIM_CHAIN_STATUSES)[number];

export const CLAIM_CHAIN_STATUS_LABELS: Record<ClaimChainStatus, string> = {
  not_sent: 'Not sent (failed pre-check)',
  pending: 'Queued for the chain',
  recorded: 'Recorded on chain',
  accepted: 'Accepted by payer',
  denied: 'Denied by payer',
};

export interface ClaimReasonView {
  code: string;
  message: string;
  subject?: string;
}

export interface ClaimListRow {
  id: number;
  claimId: string;
  /** mrn is null when withheld from the caller (no patients.view). */
  patient: { facility: string; mrn: string | null; id: number | null };
  renderingNpi: string;
  payerId: string;
  serviceDate: string;
  /** Diagnosis and service codes; null when withheld from the caller (no patients.view). */
  codes: string[] | null;
  amountCents: number;
  verdict: ClaimVerdictName;
  reasonCodes: string[];
  chainStatus: ClaimChainStatus;
  chainReason: string | null;
  source: string;
  createdAt: string;
}

export interface ClaimDetail extends ClaimListRow {
  contentHash: string;
  /**
   * What ClaimsLedger holds for this claim: keccak256(domain, salt, contentHash). The payer gets the commitment and
   * the salt with the claim, off chain; null for a failed claim (never sent) or one stored before commitments.
   */
  chainCommitment: string | null;
  chainSalt: string | null;
  reasons: ClaimReasonView[];
  chainTx: string | null;
  chainBlock: number | null;
  importRunId: number | null;
  sourceRow: number | null;
  checkedBy: string;
  updatedAt: string;
}

export interface ClaimListResult {
  rows: ClaimListRow[];
  nextCursor: number | null;
}

export interface ClaimCheckResult {
  verdict: ClaimVerdictName;
  reasons: ClaimReasonView[];
  contentHash: string;
  /** The stored claim when `submit` was asked and the claim id was new. */
  stored: ClaimDetail | null;
}

export interface ClaimImportRunView {
  id: number;
  jobId: string | null;
  fileName: string;
  state: string;
  rowsRead: number;
  passed: number;
  failed: number;
  rejected: number;
  duplicate: number;
  rejectsPath: string | null;
  /** A dry run: every row checked, nothing stored (its counts say what the import would do). */
  dryRun: boolean;
  error: { code: string; message: string } | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface ClaimsLedgerStatus {
  /** Whether this chain has a ClaimsLedger address; without one, passing claims stay queued. */
  configured: boolean;
  address: string | null;
  queued: number;
}

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');
const text = (max: number) => z.string().max(max);

export const claimFilter = z
  .object({
    verdict: z.enum(CLAIM_VERDICTS).optional(),
    chainStatus: z.enum(CLAIM_CHAIN_STATUSES).optional(),
    payerId: z.string().trim().min(1).max(64).optional(),
    serviceFrom: day.optional(),
    serviceTo: day.optional(),
  })
  .strict();
export type ClaimFilter = z.infer<typeof claimFilter>;

/** The "Check a claim" form: text as typed; main parses it with the same rules as an imported row. */
export const claimForm = z
  .object({
    claimId: text(64),
    facility: text(64),
    mrn: text(64),
    renderingNpi: text(64),
    payerId: text(64),
    serviceDate: text(32),
    codes: text(1000),
    amount: text(32),
  })
  .strict();
export type ClaimForm = z.infer<typeof claimForm>;

/** One row of a dry check of a claims file (`claims.checkFile`): its verdict and reasons, or why it was not read. */
export type ClaimFileCheckRow =
  | { kind: 'rejected'; row: number; reason: string }
  | { kind: 'duplicate'; row: number; claimId: string }
  | { kind: 'checked'; row: number; claimId: string; verdict: 'pass' | 'fail'; reasons: ClaimReasonView[]; contentHash: string };

export interface ClaimFileCheck {
  counts: { rowsRead: number; passed: number; failed: number; rejected: number; duplicate: number };
  rows: ClaimFileCheckRow[];
}

/** What `claims.payers.register` did: the payer id (trimmed), its address (checksummed), the claims it queued. */
export interface PayerRegistration {
  payerId: string;
  address: string;
  queued: number;
}

export const claimsChannels = {
  'claims.list': channel<ClaimListResult>()(
    claimFilter.extend({ limit: z.number().int().min(1).max(500).default(100), before: z.number().int().positive().optional() }).strict(),
    'claims.view',
  ),
  'claims.get': channel<ClaimDetail>()(z.object({ id: z.number().int().positive() }).strict(), 'claims.view'),
  'claims.check': channel<ClaimCheckResult>()(z.object({ claim: claimForm, submit: z.boolean().default(false) }).strict(), 'claims.check'),
  /** The file comes by id (an upload, a dialog pick, or a file the CLI registered for its OS user): never a path. */
  'claims.import': channel<{ runId: number; jobId: string }>()(z.object({ uploadId, format: z.enum(['csv', 'fhir']).optional(), dryRun: z.boolean().default(false) }).strict(), 'imports.run'),
  /** Pre-checks every claim of a file and stores nothing (`custodian claims check`); the file comes by id. */
  'claims.checkFile': channel<ClaimFileCheck>()(z.object({ uploadId }).strict(), 'claims.check'),
  'claims.importRuns': channel<ClaimImportRunView[]>()(z.object({ limit: z.number().int().min(1).max(200).default(20) }).strict(), 'imports.view'),
  /**
   * This data folder addresses `payerId`'s passing claims to `address` from now on and queues those waiting for it
   * (`custodian payer register`; the on-chain registration is the ledger admin's, done by the CLI afterwards). A
   * configuration change that decides who may answer for claims: its own permission, audited with the address.
   */
  'claims.payers.register': channel<PayerRegistration>()(
    z
      .object({
        payerId: z.string().trim().min(1, 'payerId: needs 1 to 64 characters').max(64, 'payerId: needs 1 to 64 characters'),
        address: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'address: must be 0x and 40 hex digits'),
      })
      .strict(),
    'claims.configure',
  ),
  'claims.ledger': channel<ClaimsLedgerStatus>()(z.object({}).strict(), 'claims.view', { audited: false }),
} as const;
