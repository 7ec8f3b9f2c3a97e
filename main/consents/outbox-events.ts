// The outbox event every consent write records for the chain sync (kind 'consent.change'), and how the sync
// engine turns it into a ConsentLedger op. Pseudonyms and hashes only: no MRN, name or date of birth.
import { keccak256, toUtf8Bytes } from 'ethers';
import { z } from 'zod';
import type { OutboxKind, OutboxReference } from '../sync/plugin';
import { CATEGORIES, PURPOSES, type Category, type Decision, type GranteeKind, type Purpose } from './codes';
import { categoryCodeOf, purposeCodeOf } from './consent-state';

export const CONSENT_CHANGE_KIND = 'consent.change' as const;

const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x + 64 lowercase hex digits');

const hlc = z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex digits');

/**
 * Payload of a 'consent.change' outbox event (v2). The sync encoder turns it into a ConsentLedger v2 op: a keyed op key
 * and the terms sealed under the facility secret (consents/ledger-seal.ts), ordered by `hlc` (main/sync/README.md).
 * The grantee is named because it travels sealed: a puller that has never seen it can still apply the change.
 * Local only (the outbox lives in the encrypted database); nothing here reaches the chain in clear.
 */
export const consentChangePayload = z
  .object({
    v: z.literal(2),
    change: z.enum(['create', 'revoke', 'supersede']),
    /** Local row id, so the sync engine can report confirmations and conflicts back to the consents table. */
    consentId: z.number().int().positive(),
    patientPseudonym: bytes32,
    granteeKind: z.enum(['npi', 'org']),
    grantee: z.string().min(1).max(128),
    granteeHash: bytes32,
    purposeHash: bytes32,
    categoryHash: bytes32,
    /** Hybrid logical clock stamp (unix ms << 16 | counter) as 16 hex digits. */
    hlc,
    /** The highest stamp this workstation had seen for the key when it wrote the change ('0'x16 for none). */
    prevHlc: hlc,
    decision: z.enum(['permit', 'deny']),
    validFrom: z.number().int().nonnegative(),
    /** First second no longer covered; 0 means open-ended (ConsentLedger convention). */
    validUntil: z.number().int().nonnegative(),
    revoked: z.boolean(),
    documentHash: bytes32,
  })
  .strict();
export type ConsentChangePayload = z.infer<typeof consentChangePayload>;

/**
 * The outbox kind as written (sync/outbox.ts checks every payload against it): the ledger carries purpose and
 * category as codes, so a hash outside its tables is refused when written, not when sent.
 */
export const CONSENT_CHANGE: OutboxKind<ConsentChangePayload, typeof CONSENT_CHANGE_KIND> = {
  kind: CONSENT_CHANGE_KIND,
  payload: consentChangePayload.superRefine((p, ctx) => {
    if (purposeCodeOf(p.purposeHash) === undefined) ctx.addIssue({ code: 'custom', path: ['purposeHash'], message: 'is not a purpose the ConsentLedger has a code for' });
    if (categoryCodeOf(p.categoryHash) === undefined) ctx.addIssue({ code: 'custom', path: ['categoryHash'], message: 'is not a category the ConsentLedger has a code for' });
  }),
  reference: consentChangeReference,
};

const CHANGE_CODES = { create: 0, revoke: 1, supersede: 2 } as const;

/**
 * A change stored by reference (migration 0023): the consent row it was built from (its terms never change: a
 * trigger refuses it) and what the change adds to them. The outbox writer keeps it only when the database rebuilds
 * this payload's text exactly; the hashes are the ones the payload carries.
 */
export function consentChangeReference(p: ConsentChangePayload): OutboxReference | null {
  const purpose = PURPOSES.find((x) => PURPOSE_HASHES[x] === p.purposeHash);
  const category = CATEGORIES.find((x) => CATEGORY_HASHES[x] === p.categoryHash);
  if (purpose === undefined || category === undefined) return null;
  return {
    sourceId: p.consentId,
    change: CHANGE_CODES[p.change],
    hlc: BigInt(`0x${p.hlc}`),
    prevHlc: BigInt(`0x${p.prevHlc}`),
    revoked: p.revoked,
    hashes: [
      [`${p.granteeKind}:${p.grantee}`, p.granteeHash],
      [purpose, p.purposeHash],
      [category, p.categoryHash],
    ],
  };
}

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

export interface ChangeSource {
  change: ConsentChangePayload['change'];
  consentId: number;
  pseudonym: string;
  grantee: string;
  granteeKind: GranteeKind;
  purpose: Purpose;
  category: Category;
  /** The change's order stamp (16 hex digits); the store takes it from the key's history and the clock. */
  hlc: string;
  /** The highest stamp seen for the key before this change (16 hex digits; zeros for none). */
  prevHlc?: string;
  decision: Decision;
  periodStart: number;
  periodEnd: number | null;
  revoked: boolean;
  documentHash: string;
}

/** Serializes the payload of one change (field order fixed; validated by consentChangePayload in tests). */
export function consentChangeJson(c: ChangeSource): string {
  const payload: ConsentChangePayload = {
    v: 2,
    change: c.change,
    consentId: c.consentId,
    patientPseudonym: c.pseudonym,
    granteeKind: c.granteeKind,
    grantee: c.grantee,
    granteeHash: granteeHashOf(c.granteeKind, c.grantee),
    purposeHash: PURPOSE_HASHES[c.purpose],
    categoryHash: CATEGORY_HASHES[c.category],
    hlc: c.hlc,
    prevHlc: c.prevHlc ?? '0000000000000000',
    decision: c.decision,
    // The ledger stores uint64 seconds; a period that started before 1970 is clamped to 0 (always valid from).
    validFrom: Math.max(0, c.periodStart),
    validUntil: c.periodEnd === null ? 0 : Math.max(1, c.periodEnd),
    revoked: c.revoked,
    documentHash: c.documentHash,
  };
  return JSON.stringify(payload);
}
