// Channels of the consents domain: browse and search consents, their detail and history, grant, revoke,
// supersede, export as FHIR, check access, and find patients. Also the shared vocabularies the forms offer.
import { z } from 'zod';
import { channel } from './channel';
import type { DownloadFile } from './imports';
import type { JobState } from './system';

export const PURPOSES = ['TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH', 'HMARKT'] as const;
export const CATEGORIES = ['general', 'mental-health', 'substance-use', 'HIV', 'genetic', 'reproductive'] as const;
export const DECISIONS = ['permit', 'deny'] as const;
export const GRANTEE_KINDS = ['npi', 'org'] as const;
export const CONSENT_STATUSES = ['active', 'revoked', 'expired', 'superseded'] as const;

export type PurposeCode = (typeof PURPOSES)[number];
export type CategoryCode = (typeof CATEGORIES)[number];
export type ConsentDecision = (typeof DECISIONS)[number];
export type ConsentStatusName = (typeof CONSENT_STATUSES)[number];

/** Purposes of use as staff read them, on screen and in main's reasons and exports. */
export const PURPOSE_LABELS: Record<PurposeCode, string> = {
  TREAT: 'Treatment',
  ETREAT: 'Emergency treatment (break-glass)',
  HPAYMT: 'Payment',
  HOPERAT: 'Healthcare operations',
  HRESCH: 'Research',
  PUBHLTH: 'Public health',
  HMARKT: 'Marketing',
};

/**
 * Patient identity (name, MRN, birth date) is null for callers without patients.view: main withholds it
 * (main/runtime/minimum-necessary.ts) and the page shows the patient number (`id`) instead.
 */
export interface PatientSummary {
  id: number;
  facility: string;
  mrn: string | null;
  name: string | null;
  birthDate: string | null;
  consents: number;
}

export interface ConsentListRow {
  id: number;
  externalId: string | null;
  /** mrn and name are null when withheld from the caller (no patients.view). */
  patient: { id: number; facility: string; mrn: string | null; name: string | null };
  grantee: string;
  granteeKind: 'npi' | 'org';
  decision: ConsentDecision;
  purpose: PurposeCode;
  category: CategoryCode;
  /** As imported: a date (UTC day) or a UTC date-time. */
  periodStart: string;
  /** Inclusive end (the last day or second covered), or null when open-ended. */
  periodEnd: string | null;
  /** Effective status: an active consent whose period has ended shows as expired. */
  status: ConsentStatusName;
  source: string;
  createdAt: string;
  updatedAt: string;
}

export interface ConsentListResult {
  rows: ConsentListRow[];
  /** Pass as `before` for the next page; null on the last page. */
  nextCursor: number | null;
  /** On the first page only: matching rows, exact up to 10,000 ("10,000+" beyond). */
  total: { count: number; exact: boolean } | null;
  /**
   * On the first page of a search only: how many patients (MRN or name) and directory providers (NPI or name) the text
   * matched; `capped` when more matched than a search uses (narrow it).
   */
  search?: { patients: number; providers: number; capped: boolean } | null;
}

export interface ConsentHistoryEntry {
  action: 'create' | 'revoke' | 'supersede' | 'expire';
  actor: string;
  at: string;
  detail: Record<string, unknown> | null;
}

export interface ConsentDetail extends ConsentListRow {
  documentHash: string;
  revokedReason: string | null;
  supersededBy: number | null;
  supersedes: number[];
  importRunId: number | null;
  sourceRow: number | null;
  seq: number;
  history: ConsentHistoryEntry[];
}

/** Why the credential gate refused an NPI grantee (main/access/credential-rule.ts). */
export type CredentialGateCode = 'NPI_INVALID' | 'DIRECTORY_MISSING' | 'NPI_NOT_IN_DIRECTORY' | 'NO_CREDENTIALS' | 'NO_CURRENT_CREDENTIAL';

/** What the answer knows about the grantee: the provider directory entry and the credential verdict it rests on. */
export interface AccessGranteeCheck {
  kind: 'npi' | 'org';
  /** An NPI: whether the provider directory (the credentials roster) lists it, and the name on file. */
  directory: { listed: boolean; providerName: string | null } | null;
  /** 'passed', 'refused' (with code) or 'not-gated' (organisations have no credentials here). */
  gate: 'passed' | 'refused' | 'not-gated';
  code: CredentialGateCode | null;
  /** A person's sentence: why the gate passed or refused. */
  reason: string;
  /**
   * The gate never asks the chain: a pass rests on the verdict cached at the last verification. Its verdict, when
   * it was reached, and its age in seconds at the time asked about.
   */
  cachedVerdict: { credentialId: number; verdict: string; lastVerifiedAt: string; ageSeconds: number } | null;
}

export interface AccessDecision {
  decision: ConsentDecision;
  breakGlass: boolean;
  reason: string;
  grantee: AccessGranteeCheck;
  decidedBy: { consentId: number; externalId: string | null; decision: ConsentDecision; counts: boolean; why: string }[];
  at: string;
}

/** An export of consents as FHIR NDJSON: a worker job whose file the page links to once it succeeded. */
export interface ConsentExport {
  exportId: string;
  state: JobState;
  count: number;
  fileName: string;
  sizeBytes: number | null;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** The terms of one consent change as its proof bundle states them (the ledger's sealed terms, opened). */
export interface ConsentProofTerms {
  patientPseudonym: string;
  granteeKind: 'npi' | 'org';
  grantee: string;
  purpose: PurposeCode;
  category: CategoryCode;
  /** Unix seconds; validUntil 0 means open-ended (the ledger's convention). */
  validFrom: number;
  validUntil: number;
  decision: ConsentDecision;
  revoked: boolean;
  documentHash: string;
  /** The highest stamp the writer had seen for the key (16 hex digits). */
  prevHlc: string;
}

/**
 * A self-contained proof that one consent change is on ConsentLedger (main/consents/README.md): the terms, the opening
 * of this one change (its key salt and its own terms key, never the facility secret) and where the change landed.
 */
export interface ConsentProofBundle {
  format: 'custodian-consent-proof/1';
  /** The consent's row number in the exporting database (for reference only; the chain does not know it). */
  consentId: number;
  terms: ConsentProofTerms;
  opening: { keySalt: string; termsKey: string };
  /** The op as the ledger recorded it: op key, facility namespace, order stamp and the signer that sent it. */
  op: { opKey: string; facilityId: string; hlc: string; writer: string };
  /** Where its ConsentChanged event is: chain, ledger contract, transaction, block and log. */
  chain: { chainId: number; contract: string; txHash: string; blockNumber: number; blockHash: string; logIndex: number };
  /** The block the bundle speaks of (the latest block when it was exported); the checker may ask another. */
  atBlock: number;
  exportedAt: string;
}

/** A ledger state word, unpacked: what the contract holds for a key at a block. */
export interface ConsentLedgerState {
  decision: ConsentDecision;
  revoked: boolean;
  hlc: string;
  writer: string;
}

/** A later ConsentChanged of the same key (the checker sees its public fields only: it cannot open the terms). */
export interface ConsentLaterOp extends ConsentLedgerState {
  txHash: string;
  blockNumber: number;
  logIndex: number;
}

/** What `consent check-proof` established; any failure is CONSENT_PROOF_INVALID with details.reason instead. */
export interface ConsentProofCheck {
  consentId: number;
  opKey: string;
  terms: ConsentProofTerms;
  op: { txHash: string; blockNumber: number; logIndex: number; state: ConsentLedgerState };
  atBlock: number;
  /** The key's state at `atBlock`: its ConsentChanged events up to that block, folded by the ordering rule. */
  stateAtBlock: ConsentLedgerState;
  /** True when the state at `atBlock` is this op's; false when a later op (listed) replaced it, or it is `stale`. */
  current: boolean;
  /** True when the change never held the key: an earlier change on chain outranks it (the fold's STALE). */
  stale: boolean;
  laterOps: ConsentLaterOp[];
  /** The ledger address: pinned by the checker (--ledger), or taken from the bundle (then confirm it out of band). */
  ledger: { address: string; pinned: boolean };
  steps: { name: string; message: string }[];
}

/** Why a consent proof failed (details.reason of CONSENT_PROOF_INVALID). */
export type ConsentProofFailure =
  | 'malformed'
  | 'chain-id'
  | 'transaction'
  | 'block'
  | 'contract'
  | 'event'
  | 'op-key'
  | 'facility'
  | 'order'
  | 'terms'
  | 'block-before-op'
  | 'state';

const id = z.number().int().positive();
const exportId = z.string().uuid();
const text = (max: number) => z.string().trim().min(1).max(max);
const isoInstant = z.string().datetime({ offset: true });

export const consentFilter = z
  .object({
    patientId: id.optional(),
    grantee: text(128).optional(),
    purpose: z.enum(PURPOSES).optional(),
    category: z.enum(CATEGORIES).optional(),
    status: z.enum(CONSENT_STATUSES).optional(),
    /** Any part of an MRN or a patient's name, or a provider's NPI (start) or name (any part), or a grantee id. */
    search: text(100).optional(),
  })
  .strict();
export type ConsentFilter = z.infer<typeof consentFilter>;

/**
 * The consents table's sortable columns: each has an index ending in id (consents_by_grantee, consents_by_period_start),
 * so a sorted page is an index walk at any size. Ties are broken by id in the same direction.
 */
export const CONSENT_SORT_COLUMNS = ['grantee', 'periodStart'] as const;
export type ConsentSortColumn = (typeof CONSENT_SORT_COLUMNS)[number];
export const consentSort = z.object({ column: z.enum(CONSENT_SORT_COLUMNS), direction: z.enum(['asc', 'desc']) }).strict();
export type ConsentSort = z.infer<typeof consentSort>;

/** The grant form; dates as YYYY-MM-DD or ISO date-times with a zone. Checked further in main (NPI, real dates). */
export const consentForm = z
  .object({
    externalId: text(200).optional(),
    facility: text(200),
    mrn: text(64),
    patientName: text(200).optional(),
    birthDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD').optional(),
    grantee: text(128),
    granteeKind: z.enum(GRANTEE_KINDS).optional(),
    decision: z.enum(DECISIONS),
    purpose: z.enum(PURPOSES),
    category: z.enum(CATEGORIES),
    periodStart: text(40),
    periodEnd: text(40).optional(),
    documentHash: z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/, 'must be 64 hex digits').optional(),
  })
  .strict();
export type ConsentForm = z.infer<typeof consentForm>;

/** What to export: chosen rows, or every row matching the table's filter. */
export const exportSelection = z.union([z.object({ ids: z.array(id).min(1).max(100_000) }).strict(), z.object({ filter: consentFilter }).strict()]);
export type ExportSelection = z.infer<typeof exportSelection>;

export const consentsChannels = {
  'consents.list': channel<ConsentListResult>()(
    // Without a sort: newest first. `before` is the last row's id (nextCursor) in either order: under a sort the next
    // page continues after that row's (column, id).
    consentFilter.extend({ limit: z.number().int().min(1).max(500).default(100), before: id.optional(), sort: consentSort.optional() }).strict(),
    'consents.view',
  ),
  'consents.get': channel<ConsentDetail>()(z.object({ id }).strict(), 'consents.view'),
  'consents.grant': channel<ConsentDetail>()(consentForm, 'consents.grant'),
  'consents.supersede': channel<ConsentDetail>()(z.object({ id, consent: consentForm }).strict(), 'consents.grant'),
  'consents.revoke': channel<ConsentDetail>()(z.object({ id, reason: z.string().trim().min(3).max(500) }).strict(), 'consents.revoke'),
  /** Starts the export job; progress arrives as job.progress events (kind consents.exportFhir). */
  'consents.exportFhir': channel<{ exportId: string; jobId: string }>()(exportSelection, 'consents.export'),
  /** Stops a running export (no file is kept); needs the export permission, not the imports one of jobs.cancel. */
  'consents.exportCancel': channel<{ cancelled: boolean }>()(z.object({ exportId }).strict(), 'consents.export'),
  'consents.exportGet': channel<ConsentExport>()(z.object({ exportId }).strict(), 'consents.export'),
  'consents.exportFile': channel<DownloadFile>()(z.object({ exportId }).strict(), 'consents.export'),
  /** Electron: the export file through a save dialog. */
  'consents.saveExport': channel<{ saved: boolean; fileName: string }>()(z.object({ exportId }).strict(), 'consents.export'),
  'access.check': channel<AccessDecision>()(
    z
      .object({
        grantee: text(128),
        patientId: id,
        purpose: z.enum(PURPOSES),
        category: z.enum(CATEGORIES),
        at: isoInstant.optional(),
        breakGlassReason: z.string().trim().max(500).optional(),
      })
      .strict()
      // A reason makes the call a break-glass request (its own action in the console, with its own confirmation);
      // without one, ETREAT is asked about like any other purpose.
      .refine((v) => v.breakGlassReason === undefined || v.breakGlassReason.length >= 3, {
        message: 'emergency access (break-glass) needs a reason of at least 3 characters',
        path: ['breakGlassReason'],
      })
      .refine((v) => v.breakGlassReason === undefined || v.purpose === 'ETREAT', {
        message: 'break-glass is emergency treatment: purpose must be ETREAT',
        path: ['purpose'],
      }),
    'consents.view',
  ),
  /** The proof bundle of a consent's latest change on ConsentLedger (an opening of this one change, audited as a read). */
  'consents.proof': channel<ConsentProofBundle>()(z.object({ id }).strict(), 'consents.view'),
  'patients.search': channel<PatientSummary[]>()(z.object({ query: text(100), limit: z.number().int().min(1).max(100).default(20) }).strict(), 'patients.view'),
};
