// The outbox event a passing claim records for the chain sync (kind 'claim.record'), and how the sync engine turns
// it into a ClaimsLedger.ClaimRecord. Two salted commitments only: no claim id, MRN, NPI, payer, day, codes or amount.
import { AbiCoder, keccak256 } from 'ethers';
import { z } from 'zod';
import type { OutboxKind } from '../sync/plugin';

export const CLAIM_RECORD_KIND = 'claim.record' as const;

const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x + 64 lowercase hex digits');

export const claimRecordPayload = z
  .object({
    v: z.literal(2),
    /** Local row id (claims.id), so confirmations can be traced back; not an identifier of anyone. */
    claimRowId: z.number().int().positive(),
    /** The claim's salted commitment (claimCommitmentOf), never the bare content hash. */
    claimHash: bytes32.refine((v) => !/^0x0{64}$/.test(v), 'must not be zero'),
    /** payerCommitmentOf(payer address, payerNonceOf(salt)): which payer may decide, hidden until it does. */
    payerCommitment: bytes32.refine((v) => !/^0x0{64}$/.test(v), 'must not be zero'),
  })
  .strict();
export type ClaimRecordPayload = z.infer<typeof claimRecordPayload>;

/** The outbox kind as written (sync/outbox.ts checks every payload against it). */
export const CLAIM_RECORD: OutboxKind<ClaimRecordPayload, typeof CLAIM_RECORD_KIND> = { kind: CLAIM_RECORD_KIND, payload: claimRecordPayload };

export const CLAIM_COMMITMENT_DOMAIN = 'custodian.claim.commitment.v1';
const PAYER_NONCE_DOMAIN = 'custodian.claim.payer-nonce.v1';
const REASON_PAD_DOMAIN = 'custodian.claim.reason-pad.v1';
const coder = AbiCoder.defaultAbiCoder();

/**
 * What the chain sees of a claim: keccak256(abi.encode(domain, salt, contentHash)) with a random per-claim salt of
 * 16 bytes kept locally and given to the payer off chain, so nobody without the salt can test guesses against it.
 */
export function claimCommitmentOf(salt: string, contentHash: string): string {
  return keccak256(coder.encode(['string', 'bytes16', 'bytes32'], [CLAIM_COMMITMENT_DOMAIN, salt, contentHash]));
}

/**
 * The nonce that opens a claim's payer commitment, derived from the claim's salt (the payer has the salt, so it
 * needs nothing else). Revealed by the payer's decision; one-way, so it reveals nothing of the salt.
 */
export function payerNonceOf(salt: string): string {
  return keccak256(coder.encode(['string', 'bytes16'], [PAYER_NONCE_DOMAIN, salt]));
}

/** ClaimsLedger.payerCommitmentOf: keccak256(abi.encode(payer address, payerNonce)). */
export function payerCommitmentOf(payerAddress: string, payerNonce: string): string {
  return keccak256(coder.encode(['address', 'bytes32'], [payerAddress, payerNonce]));
}

/** The one-time pad that masks the payer's bytes8 reason code on chain (only the salt's holders can remove it). */
function reasonPadOf(salt: string): bigint {
  return BigInt(keccak256(coder.encode(['string', 'bytes16'], [REASON_PAD_DOMAIN, salt])).slice(0, 18));
}

const ZERO8 = `0x${'00'.repeat(8)}`;

/** Masks a bytes8 reason code (0x + 16 hex digits) for the chain; no reason stays zero. */
export function sealReasonCode(salt: string, reason: string): string {
  if (BigInt(reason) === 0n) return ZERO8;
  return `0x${(BigInt(reason) ^ reasonPadOf(salt)).toString(16).padStart(16, '0')}`;
}

/** The reason code text of a sealed bytes8 (null for none), given the claim's salt. */
export function openReasonCode(salt: string, sealed: string): string | null {
  if (BigInt(sealed) === 0n) return null;
  const plain = (BigInt(sealed) ^ reasonPadOf(salt)).toString(16).padStart(16, '0');
  const text = Buffer.from(plain, 'hex').toString('latin1').replace(/\0+$/, '');
  return /^[A-Z0-9-]{1,8}$/.test(text) ? text : null;
}

/** The ClaimsLedger.ClaimRecord for a payload, in the shape ethers encodes for `recordBatch`. */
export function claimRecordOf(p: ClaimRecordPayload): { claimHash: string; payerCommitment: string } {
  return { claimHash: p.claimHash, payerCommitment: p.payerCommitment };
}
