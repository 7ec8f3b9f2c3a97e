// Channels of the audit domain: the trail (filtered list, CSV export), integrity verification, proof bundles,
// batching on demand and the break-glass review list. Pure TypeScript + zod; handlers live in main/audit.
import { z } from 'zod';
import { channel } from './channel';
import type { DownloadFile } from './imports';

export interface AuditEntryView {
  id: number;
  at: string;
  actor: { id: string; name: string | null; role: string | null } | null;
  workstation: string;
  action: string;
  outcome: string;
  /** Local patient id, never an MRN or name. */
  patientId: number | null;
  subject: string | null;
  details: Record<string, unknown>;
  hash: string;
}

export interface AuditListResult {
  entries: AuditEntryView[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: number | null;
}

/** forged-head: a head not signed by the workstation key; replaced: heads of another trail (the log was wiped or
 * swapped); forked-head: two different signed heads of one size (the log was rewritten and re-signed). */
export type TamperKind = 'changed' | 'deleted' | 'inserted' | 'forged-head' | 'replaced' | 'forked-head';

/** A signed tree head as reported: where it was found (database, heads file, chain). */
export interface AuditHeadView {
  treeSize: number;
  rootHash: string;
  timestamp: number;
  signer: string;
  sources: ('database' | 'file' | 'chain')[];
}

/** The Merkle log's part of a verification: the log against its last signed heads. */
export interface AuditLogReport {
  treeSize: number;
  root: string;
  /** Entries covered by the last signed head that the log still matches. */
  verifiedSize: number;
  lastSignedHead: AuditHeadView | null;
  lastMatchingHead: AuditHeadView | null;
  /** Entries after the last signed head (only the hash chain protects them until the next head). */
  unsignedTail: { sinceSize: number; entries: number } | null;
  headsFile: 'present' | 'missing';
  headsInDatabase: number;
  headsInFile: number;
  chainHead: { state: 'checked'; treeSize: number | null } | { state: 'unavailable'; reason: string };
}

export interface TamperFinding {
  kind: TamperKind;
  /** The first entry found changed, deleted or inserted (for a batch-level finding, the batch's first entry). */
  entryId: number;
  message: string;
  batchId?: string;
}

export interface BatchProblem {
  batchId: string;
  firstId: number;
  lastId: number;
  /** root: entries no longer give the recorded root; entries: some are missing; chain: the anchor disagrees. */
  problem: 'root' | 'entries' | 'chain';
  /** The entry the problem points at, when it can be named (e.g. the first missing one). */
  entryId?: number;
  message: string;
}

export interface AuditVerifyReport {
  ok: boolean;
  depth: 'full' | 'quick';
  entries: number;
  lastEntryId: number | null;
  unbatchedEntries: number;
  batches: { total: number; anchored: number; notAnchored: number; mismatched: number; unchecked: number };
  chain: { state: 'checked'; chainId: number; contract: string } | { state: 'unavailable'; reason: string };
  /** The earliest problem by entry id, whether the hash chain, a signed head or a batch root found it. */
  firstProblem: TamperFinding | null;
  log: AuditLogReport;
  batchProblems: BatchProblem[];
  /**
   * FHIR exports' patient sets against the digests in their signed seal entries (consents/export-seal.ts):
   * tampered sets fail the check; sets recorded before sets were sealed are counted as not covered.
   */
  exportSets: { verified: number; notCovered: number; tampered: { exportId: string; entryId: number; message: string }[] };
  warnings: string[];
  durationMs: number;
  checkedAt: string;
}

/** The entry exactly as hashed (trail.ts entryHash): snake_case fields, details as canonical JSON text. */
export interface AuditEntryRecord {
  id: number;
  at: string;
  actor_id: string | null;
  actor_name: string | null;
  actor_role: string | null;
  workstation: string;
  action: string;
  outcome: string;
  patient_id: number | null;
  subject: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

/** A signed tree head as exported in a proof bundle (audit/heads.ts). */
export interface AuditSignedHead {
  trailId: string;
  treeSize: number;
  rootHash: string;
  timestamp: number;
  signer: string;
  signature: string;
}

export interface AuditProofBundle {
  format: 'custodian-audit-proof/2';
  entry: AuditEntryRecord;
  /** 0-based position of the entry in the log (entry id - 1). */
  leafIndex: number;
  /** The first signed head that covers the entry. */
  head: AuditSignedHead;
  /** RFC 6962 inclusion proof of the entry in `head`. */
  inclusion: string[];
  /** A later head the workstation anchored on chain, with the consistency proof from `head` to it; null when none yet. */
  anchor: {
    chainId: number;
    contract: string;
    trail: string;
    treeSize: number;
    rootHash: string;
    consistency: string[];
    txHash: string;
    blockNumber: number;
    blockHash: string;
    logIndex: number;
  } | null;
  exportedAt: string;
}

export interface AuditProofResult {
  bundle: AuditProofBundle;
  anchorStatus: 'anchored' | 'not-anchored' | 'chain-unavailable';
}

export interface ProofCheckStep {
  name: string;
  /** null: not checked (e.g. no RPC endpoint given). */
  ok: boolean | null;
  message: string;
}

export interface ProofCheckResult {
  ok: boolean;
  entryId: number | null;
  offlineOk: boolean;
  onChainChecked: boolean;
  steps: ProofCheckStep[];
}

export interface AuditBatchSummary {
  batchId: string;
  firstId: number;
  lastId: number;
  leafCount: number;
  merkleRoot: string;
  previousRoot: string;
  createdAt: string;
}

export interface BreakGlassReview {
  entryId: number;
  reviewerId: string;
  reviewedAt: string;
}

/** A date (YYYY-MM-DD, whole UTC day) or an ISO date-time with offset. */
const instant = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);
const entryId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** The name writeAuditCsv gives a report (audit-<UTC stamp>[-n].csv): nothing else in the exports folder. */
export const AUDIT_REPORT_NAME = /^audit-\d{8}T\d{6}Z(-\d{1,6})?\.csv$/;
const auditReportId = z.string().max(64).regex(AUDIT_REPORT_NAME, 'an audit report id: audit-<UTC stamp>.csv');

export const auditFilterSchema = z
  .object({
    patientId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    actorId: z.string().min(1).max(128).optional(),
    action: z.string().min(1).max(128).optional(),
    from: instant.optional(),
    to: instant.optional(),
  })
  .strict();
export type AuditFilter = z.output<typeof auditFilterSchema>;

export const auditChannels = {
  'audit.list': channel<AuditListResult>()(
    auditFilterSchema.extend({ cursor: entryId.optional(), limit: z.number().int().min(1).max(500).default(100) }).strict(),
    'audit.view',
  ),
  'audit.verify': channel<AuditVerifyReport>()(z.object({ depth: z.enum(['full', 'quick']).default('full') }).strict(), 'audit.view'),
  /** Writes the report to <data dir>/exports; the page then fetches it by its id, its file name (reportFile / saveReport). */
  'audit.exportCsv': channel<{ path: string; fileName: string; rows: number }>()(auditFilterSchema, 'audit.view'),
  /** Browser mode: a written report as a download (GET /api/download/audit/<report id>); audited per download. */
  'audit.reportFile': channel<DownloadFile>()(z.object({ reportId: auditReportId }).strict(), 'audit.view'),
  /** Electron: a written report through the save dialog; audited per save. */
  'audit.saveReport': channel<{ saved: boolean; fileName: string }>()(z.object({ reportId: auditReportId }).strict(), 'audit.view'),
  'audit.proof': channel<AuditProofResult>()(z.object({ entryId }).strict(), 'audit.view'),
  /** Seals a signed tree head now (and queues it for the chain); `head` is null when nothing new or no key. */
  'audit.batchNow': channel<{ sealed: AuditBatchSummary[]; unbatched: number; head: { treeSize: number; rootHash: string } | null; unsignedReason?: string }>()(z.object({}).strict(), 'sync.run'),
  'audit.breakGlass.list': channel<{ entries: AuditEntryView[] }>()(
    z.object({ since: instant.optional(), limit: z.number().int().min(1).max(500).default(100) }).strict(),
    'audit.view',
  ),
  'audit.breakGlass.review': channel<BreakGlassReview>()(
    z.object({ entryId, note: z.string().trim().min(1).max(1000) }).strict(),
    'audit.view',
  ),
};

/** What one event of an accounting of disclosures was: a look at the record, a release to a partner, etc. */
export const DISCLOSURE_KINDS = ['access', 'change', 'release', 'export', 'break-glass', 'claim'] as const;
export type DisclosureKind = (typeof DISCLOSURE_KINDS)[number];

export interface DisclosureEvent {
  at: string;
  kind: DisclosureKind;
  /** The staff member (or 'system'), as the trail recorded them. */
  who: { id: string | null; name: string | null; role: string | null };
  /** The channel or claim, in words (e.g. "consents.get consent:12", "claim CLM-1 to PAYER-ACME"). */
  what: string;
  /** The purpose or reason given, when there was one (a break-glass reason, a purpose code, a payer's answer). */
  why: string | null;
  outcome: string;
  /** Where the event comes from: an audit entry (its id) or a stored claim (its row id). */
  source: { kind: 'audit'; entryId: number } | { kind: 'claim'; claimId: number };
}

/**
 * HIPAA accounting of disclosures (45 CFR 164.528) and ONC 170.315(d)(3) for one patient and a period: every access,
 * change, release, break-glass and claim that touched the patient, oldest first.
 */
export interface DisclosureAccounting {
  /** mrn, name and birthDate are null when withheld from the caller (the auditor has no patients.view). */
  patient: { id: number; facility: string; mrn: string | null; name: string | null; birthDate: string | null };
  from: string | null;
  to: string | null;
  events: DisclosureEvent[];
  /** True when the period held more events than `limit`: narrow the period. */
  truncated: boolean;
  /**
   * FHIR exports named in the period whose patient sets each matched their signed audit entry (digest and count),
   * and those recorded before sets were sealed: for these, whether the patient was in them rests on a table the
   * signed log does not cover (someone who can write the database could have removed the patient unseen).
   */
  exports: { verified: number; notCovered: string[] };
  generatedAt: string;
  /** The events as CSV (header line first), for the page's download. */
  csv: string;
}

export const disclosureQuerySchema = z
  .object({
    patientId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    from: instant.optional(),
    to: instant.optional(),
    limit: z.number().int().min(1).max(50_000).default(10_000),
  })
  .strict();
export type DisclosureQuery = z.output<typeof disclosureQuerySchema>;

export const disclosureChannels = {
  /** The auditor and the records manager (audit.view); the call is itself audited, naming the patient. */
  'audit.disclosures': channel<DisclosureAccounting>()(disclosureQuerySchema, 'audit.view'),
};
