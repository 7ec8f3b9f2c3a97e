// The outbox event every consent write records for the chain sync (kind 'consent.change'), and how the sync
// engine turns it into a ConsentLedger op. Pseudonyms and hashes only: no MRN, name or date of birth.
import { keccak256, toUtf8Bytes } from 'ethers';
import { z } from 'zod';
import { CATEGORIES, PURPOSES, type Category, type Decision, type GranteeKind, type Purpose } from './codes';

export const CONSENT_CHANGE_KIND = 'consent.change';

const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x + 64 lowercase hex digits');

/**
 * Payload of a 'consent.change' outbox event. The ledger key is keccak256(abi.encode(patientPseudonym,
 * granteeHash, purposeHash, categoryHash)) over the four bytes32 values carried here; `ledgerOpOf` derives it.
 * The key is derived at send time rather than stored because keccak256 in JavaScript costs ~8 µs, which would
 * be most of a bulk import's budget per row; the parts are as pseudonymous as the key.
 */
export const consentChangePayload = z
  .object({
    v: z.literal(1),
    change: z.enum(['create', 'revoke', 'supersede']),
    /** Local row id, so the sync engine can report confirmations back to the consents table. */
    consentId: z.number().int().positive(),
    patientPseudonym: bytes32,
    granteeHash: bytes32,
    purposeHash: bytes32,
    categoryHash: bytes32,
    seq: z.number().int().positive(),
    decision: z.enum(['permit', 'deny']),
    validFrom: z.number().int().nonnegative(),
    /** First second no longer covered; 0 means open-ended (ConsentLedger convention). */
    validUntil: z.number().int().nonnegative(),
    revoked: z.boolean(),
    documentHash: bytes32,
  })
  .strict();
export type ConsentChangePayload = z.infer<typeof consentChangePayload>;

const utf8Hash = (text: string) => keccak256(toUtf8Bytes(text));

export const PURPOSE_HASHES: Record<Purpose, string> = Object.fromEntries(PURPOSES.map((p) => [p, utf8Hash(p)])) as Record<Purpose, string>;
export const CATEGORY_HASHES: Record<Category, string> = Object.fromEntries(CATEGORIES.map((c) => [c, utf8Hash(c)])) as Record<Category, string>;

const granteeHashes = new Map<string, string>();
/** keccak256 of "npi:1234567893" or "org:<id>", cached: a file has far fewer grantees than rows. */
export function granteeHashOf(kind: GranteeKind, grantee: string): string {
  const id = `${kind}:${grantee}`;
  let hash = granteeHashes.get(id);
  if (hash === undefined) {
    if (granteeHashes.size >= 50_000) granteeHashes.clear();
    hash = utf8Hash(id);
    granteeHashes.set(id, hash);
  }
  return hash;
}

export interface LedgerKeyParts {
  patientPseudonym: string;
  granteeHash: string;
  purposeHash: string;
  categoryHash: string;
}

/** keccak256(abi.encode(bytes32, bytes32, bytes32, bytes32)): the ABI encoding of four bytes32 is their concatenation. */
export function ledgerKey(parts: LedgerKeyParts): string {
  return keccak256(`0x${parts.patientPseudonym.slice(2)}${parts.granteeHash.slice(2)}${parts.purposeHash.slice(2)}${parts.categoryHash.slice(2)}`);
}

/** The ConsentLedger.Op for an event, in the shape ethers encodes for `applyBatch`. */
export interface LedgerOp {
  key: string;
  seq: bigint;
  decision: 1 | 2;
  validFrom: bigint;
  validUntil: bigint;
  revoked: boolean;
  documentHash: string;
}

export function ledgerOpOf(payload: ConsentChangePayload): LedgerOp {
  return {
    key: ledgerKey(payload),
    seq: BigInt(payload.seq),
    decision: payload.decision === 'permit' ? 1 : 2,
    validFrom: BigInt(payload.validFrom),
    validUntil: BigInt(payload.validUntil),
    revoked: payload.revoked,
    documentHash: payload.documentHash,
  };
}

export interface ChangeSource {
  change: ConsentChangePayload['change'];
  consentId: number;
  pseudonym: string;
  grantee: string;
  granteeKind: GranteeKind;
  purpose: Purpose;
  category: Category;
  seq: number;
  decision: Decision;
  periodStart: number;
  periodEnd: number | null;
  revoked: boolean;
  documentHash: string;
}

/** Serializes the payload of one change (field order fixed; validated by consentChangePayload in tests). */
export function consentChangeJson(c: ChangeSource): string {
  const payload: ConsentChangePayload = {
    v: 1,
    change: c.change,
    consentId: c.consentId,
    patientPseudonym: c.pseudonym,
    granteeHash: granteeHashOf(c.granteeKind, c.grantee),
    purposeHash: PURPOSE_HASHES[c.purpose],
    categoryHash: CATEGORY_HASHES[c.category],
    seq: c.seq,
    decision: c.decision,
    // The ledger stores uint64 seconds; a period that started before 1970 is clamped to 0 (always valid from).
    validFrom: Math.max(0, c.periodStart),
    validUntil: c.periodEnd === null ? 0 : Math.max(1, c.periodEnd),
    revoked: c.revoked,
    documentHash: c.documentHash,
  };
  return JSON.stringify(payload);
}
