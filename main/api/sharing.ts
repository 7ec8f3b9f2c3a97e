// Channels of the sharing domain: this organisation's identity, data-sharing agreements with partner
// organisations (propose, sign, terminate, status) and release-of-information requests with their decisions.
import { z } from 'zod';
import { channel } from './channel';
import { CATEGORIES, PURPOSES, type CategoryCode, type PurposeCode } from './consents';

export const SHARING_DIRECTIONS = ['outbound', 'inbound', 'both'] as const;
export const AGREEMENT_STATUSES = ['proposed', 'active', 'terminated', 'expired'] as const;
export type SharingDirection = (typeof SHARING_DIRECTIONS)[number];
export type AgreementStatus = (typeof AGREEMENT_STATUSES)[number];
/** Break-glass (ETREAT) is never a release purpose. */
export const RELEASE_PURPOSES = PURPOSES.filter((p) => p !== 'ETREAT') as Exclude<PurposeCode, 'ETREAT'>[];

export interface SharingIdentity {
  orgId: string;
  address: string;
  /** Compressed secp256k1 public key of the signing key: a partner seals proposed terms to it. */
  publicKey: string;
  /** The chain and contract agreements are signed for; null while the chain or the contract is not configured. */
  chainId: number | null;
  contract: string | null;
  /** Why agreements cannot be signed now (no chain, no SharingAgreements address), or null. */
  notConfigured: string | null;
}

export interface AgreementView {
  id: string;
  /** 'A' when this organisation proposed it. */
  ourRole: 'A' | 'B';
  partnerOrgId: string;
  partnerAddress: string;
  ourAddress: string;
  /** Seen from this organisation: outbound = we share with the partner. */
  direction: SharingDirection;
  categories: CategoryCode[];
  purposes: PurposeCode[];
  validFrom: string;
  /** Exclusive end. */
  validUntil: string;
  documentHash: string;
  /** The salted commitment to the terms both parties sign (the only trace of the terms on chain). */
  termsHash: string;
  /** Effective status: an active or proposed agreement past its end shows as expired. */
  status: AgreementStatus;
  chainState: 'queued' | 'on-chain' | 'rejected';
  signedByUs: boolean;
  signedByPartner: boolean;
  terminatedBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One partner organisation of the directory, folded from this organisation's agreements with it. */
export interface PartnerView {
  orgId: string;
  /** Signing addresses its agreements name (one, unless the partner changed keys). */
  addresses: string[];
  agreements: number;
  active: number;
  proposed: number;
  /** Terminated or expired. */
  ended: number;
  /** Latest end (exclusive) of its active agreements; null without one. */
  activeUntil: string | null;
  /** What its active agreements cover. */
  categories: CategoryCode[];
  purposes: PurposeCode[];
  directions: SharingDirection[];
  lastChangedAt: string;
}

export interface ReleaseReasonView {
  code: string;
  message: string;
}

export interface ReleaseRequestView {
  id: number;
  partnerOrgId: string;
  patientId: number;
  category: CategoryCode;
  purpose: PurposeCode;
  professionalNpi: string | null;
  agreementId: string | null;
  decision: 'permit' | 'deny';
  reasons: ReleaseReasonView[];
  releasedHash: string | null;
  releasedAt: string | null;
  requestedBy: string;
  requestedAt: string;
}

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');
const agreementId = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be an agreement id (0x + 64 hex digits)');
const orgId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,30}$/, 'must be 2-31 letters, digits, dot, dash or underscore');

export const proposeAgreementInput = z
  .object({
    partnerOrgId: orgId,
    /** The partner's secp256k1 public key (its `sharing identity`): the terms are sealed to it, its address derived from it. */
    partnerPublicKey: z.string().regex(/^0x(0[23][0-9a-fA-F]{64}|04[0-9a-fA-F]{128})$/, 'must be a 33- or 65-byte public key (0x02…, 0x03… or 0x04…)'),
    direction: z.enum(SHARING_DIRECTIONS),
    categories: z.array(z.enum(CATEGORIES)).min(1).max(CATEGORIES.length),
    purposes: z.array(z.enum(RELEASE_PURPOSES as [string, ...string[]])).min(1).max(RELEASE_PURPOSES.length),
    validFrom: day,
    /** Last day covered (inclusive). */
    validUntil: day,
    documentHash: z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/, 'must be 64 hex digits (sha-256 of the signed paper agreement)'),
  })
  .strict();
export type ProposeAgreementInput = z.infer<typeof proposeAgreementInput>;

export const releaseRequestInput = z
  .object({
    partnerOrgId: orgId,
    patientId: z.number().int().positive(),
    category: z.enum(CATEGORIES),
    purpose: z.enum(RELEASE_PURPOSES as [string, ...string[]]),
    professionalNpi: z.string().regex(/^\d{10}$/, 'must be a 10-digit NPI').optional(),
  })
  .strict();
export type ReleaseRequestInput = z.infer<typeof releaseRequestInput>;

export const sharingChannels = {
  'sharing.identity': channel<SharingIdentity>()(z.object({}).strict(), 'sharing.view', { audited: false }),
  'sharing.setOrgId': channel<SharingIdentity>()(z.object({ orgId }).strict(), 'sharing.manage'),
  // Agreements carry organisation ids, addresses and hashes only (no patient data): read unaudited, like status
  // polling, so an open Sharing page does not flood the audit trail. Their changes are audited where they happen.
  'sharing.agreements': channel<AgreementView[]>()(z.object({}).strict(), 'sharing.view', { audited: false }),
  /** The partner directory (from the agreements; same data, same rule: unaudited). `search`: part of an id or an address start. */
  'sharing.partners': channel<PartnerView[]>()(z.object({ search: z.string().max(64).default('') }).strict(), 'sharing.view', { audited: false }),
  'sharing.propose': channel<AgreementView>()(proposeAgreementInput, 'sharing.manage'),
  'sharing.sign': channel<AgreementView>()(z.object({ id: agreementId }).strict(), 'sharing.manage'),
  'sharing.terminate': channel<AgreementView>()(z.object({ id: agreementId, reason: z.string().trim().min(3).max(500) }).strict(), 'sharing.manage'),
  'sharing.requests': channel<ReleaseRequestView[]>()(
    z.object({ releasedOnly: z.boolean().default(false), limit: z.number().int().min(1).max(500).default(100) }).strict(),
    'sharing.view',
  ),
  'sharing.request': channel<ReleaseRequestView>()(releaseRequestInput, 'sharing.release'),
};
