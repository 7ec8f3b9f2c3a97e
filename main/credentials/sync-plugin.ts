// What each outbox kind carries to the chain and how it is validated: pseudonyms, hashes, codes and numbers only.
// consent.change comes from the consents domain (consents/outbox-events.ts), agreement.* from sharing/outbox-events.ts,
// claim.record from claims/outbox-events.ts;
// the other two are defined here.
import { z } from 'zod';
import { claimRecordPayload, CLAIM_RECORD_KIND, type ClaimRecordPayload } from '../claims/outbox-events';
import { consentChangePayload, CONSENT_CHANGE_KIND, type ConsentChangePayload } from '../consents/outbox-events';
import {
  agreementProposePayload,
  agreementSignPayload,
  agreementTerminatePayload,
  AGREEMENT_KINDS,
  type AgreementProposePayload,
  type AgreementSignPayload,
  type AgreementTerminatePayload,
} from '../sharing/outbox-events';
import { categoryCodeOf, purposeCodeOf } from '../consents/consent-state';

export { consentChangePayload, type ConsentChangePayload };
export { claimRecordPayload, type ClaimRecordPayload };

export const SYNC_KINDS = [CONSENT_CHANGE_KIND, 'credential.status', 'audit.root', ...AGREEMENT_KINDS, CLAIM_RECORD_KIND] as const;
export type SyncKind = (typeof SYNC_KINDS)[number];

export function isSyncKind(kind: string): kind is SyncKind {
  return (SYNC_KINDS as readonly string[]).includes(kind);
}

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x + 64 hex digits');
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');
const uint64 = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * 'credential.status' (written by the credentials domain): one CredentialRegistry.StatusUpdate, signed by the
 * issuer (credentials/status-signature.ts). The credential appears only as its hash; the issuer is an
 * organisation's signing address.
 */
export const credentialStatusPayload = z
  .object({
    credentialHash: bytes32,
    status: z.enum(['active', 'suspended', 'revoked']),
    /** Unix seconds after which the credential is expired; 0 for none. */
    expiresAt: uint64,
    issuer: address,
    /** Above the credential's last applied nonce on chain (the issuer tool's clock in milliseconds). */
    nonce: z.number().int().positive().max(2 ** 48 - 1),
    /** Last unix second the signature may be submitted. */
    deadline: uint64,
    /** The issuer's 65-byte EIP-712 signature. */
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'must be a 65-byte signature'),
  })
  .strict();
export type CredentialStatusPayload = z.infer<typeof credentialStatusPayload>;

/**
 * 'audit.root' (written by the audit domain): one AuditAnchor.anchorHead call, a signed tree head of the audit log.
 * The trail on chain is the sending account itself, so the payload names none.
 */
export const auditRootPayload = z
  .object({
    /** Entries the head covers; larger than the trail's last anchored head. */
    treeSize: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    /** RFC 6962 root of the first treeSize entries. */
    rootHash: bytes32.refine((v) => !/^0x0{64}$/.test(v), 'must not be zero'),
  })
  .strict();
export type AuditRootPayload = z.infer<typeof auditRootPayload>;

export type PayloadOf<K extends SyncKind> = K extends 'consent.change'
  ? ConsentChangePayload
  : K extends 'credential.status'
    ? CredentialStatusPayload
    : K extends 'agreement.propose'
      ? AgreementProposePayload
      : K extends 'agreement.sign'
        ? AgreementSignPayload
        : K extends 'agreement.terminate'
          ? AgreementTerminatePayload
          : K extends 'claim.record'
            ? ClaimRecordPayload
            : AuditRootPayload;

export const PAYLOAD_SCHEMAS: { [K in SyncKind]: z.ZodType<PayloadOf<K>> } = {
  // The ledger carries purpose and category as codes: a hash outside its tables could not be sent.
  'consent.change': consentChangePayload.superRefine((p, ctx) => {
    if (purposeCodeOf(p.purposeHash) === undefined) ctx.addIssue({ code: 'custom', path: ['purposeHash'], message: 'is not a purpose the ConsentLedger has a code for' });
    if (categoryCodeOf(p.categoryHash) === undefined) ctx.addIssue({ code: 'custom', path: ['categoryHash'], message: 'is not a category the ConsentLedger has a code for' });
  }),
  'credential.status': credentialStatusPayload,
  'audit.root': auditRootPayload,
  'agreement.propose': agreementProposePayload,
  'agreement.sign': agreementSignPayload,
  'agreement.terminate': agreementTerminatePayload,
  'claim.record': claimRecordPayload,
};

export type ParsedPayload = { ok: true; value: unknown } | { ok: false; reason: string };

/** Parses an outbox row's JSON payload for its kind; the reason names the field, never echoes a value. */
export function parsePayload(kind: SyncKind, json: string): ParsedPayload {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const parsed = PAYLOAD_SCHEMAS[kind].safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.code === 'unrecognized_keys' ? `unexpected field(s) ${(i as { keys?: string[] }).keys?.join(', ')}` : i.message}`);
  return { ok: false, reason: issues.join('; ') };
}
