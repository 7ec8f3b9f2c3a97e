// The outbox event a passing claim records for the chain sync (kind 'claim.record'), and how the sync engine turns
// it into a ClaimsLedger.ClaimRecord. Hashes and a day number only: no claim id, MRN, NPI, codes or amount.
import { AbiCoder, keccak256, toUtf8Bytes } from 'ethers';
import { z } from 'zod';
import type { OutboxKind } from '../sync/plugin';

export const CLAIM_RECORD_KIND = 'claim.record' as const;

const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x + 64 lowercase hex digits');

export const claimRecordPayload = z
  .object({
    v: z.literal(1),
    /** Local row id (claims.id), so confirmations can be traced back; not an identifier of anyone. */
    claimRowId: z.number().int().positive(),
    /** The claim's salted commitment (claimCommitmentOf), never the bare content hash. */
    claimHash: bytes32.refine((v) => !/^0x0{64}$/.test(v), 'must not be zero'),
    /** keccak256("payer:<payer id>") */
    payerHash: bytes32,
    /** Days since 1970-01-01 (UTC) of the service date. */
    serviceDay: z.number().int().positive().max(0xffffffff),
  })
  .strict();
export type ClaimRecordPayload = z.infer<typeof claimRecordPayload>;

/** The outbox kind as written (sync/outbox.ts checks every payload against it). */
export const CLAIM_RECORD: OutboxKind<ClaimRecordPayload, typeof CLAIM_RECORD_KIND> = { kind: CLAIM_RECORD_KIND, payload: claimRecordPayload };

export const CLAIM_COMMITMENT_DOMAIN = 'custodian.claim.commitment.v1';

/**
 * What the chain sees of a claim: keccak256(abi.encode(domain, salt, contentHash)) with a random per-claim salt of
 * 16 bytes kept locally and given to the payer off chain, so nobody without the salt can test guesses against it.
 */
export function claimCommitmentOf(salt: string, contentHash: string): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(['string', 'bytes16', 'bytes32'], [CLAIM_COMMITMENT_DOMAIN, salt, contentHash]));
}

export function payerHashOf(payerId: string): string {
  return keccak256(toUtf8Bytes(`payer:${payerId}`));
}

/** The ClaimsLedger.ClaimRecord for a payload, in the shape ethers encodes for `recordBatch`. */
export function claimRecordOf(p: ClaimRecordPayload): { claimHash: string; payerHash: string; serviceDay: number } {
  return { claimHash: p.claimHash, payerHash: p.payerHash, serviceDay: p.serviceDay };
}
