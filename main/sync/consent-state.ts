// The ConsentLedger's packed state word (decision, revoked, validFrom, validUntil, seq in one uint256) and its op.
// Pure: used by the consent encoder on the way out and by the puller to read ConsentChanged events back.
import { AbiCoder, keccak256 } from 'ethers';

export const DECISION_PERMIT = 1;
export const DECISION_DENY = 2;
const U64 = (1n << 64n) - 1n;

export interface ConsentState {
  decision: 1 | 2;
  revoked: boolean;
  /** Unix seconds. */
  validFrom: number;
  /** Unix seconds; 0 means open-ended. */
  validUntil: number;
  seq: number;
}

/** One ConsentLedger.applyBatch op, in ABI order. */
export interface ConsentOp {
  patientPseudonym: string;
  grantee: string;
  purpose: string;
  category: string;
  documentHash: string;
  state: bigint;
}

function u64(name: string, v: number): bigint {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative safe integer, got ${v}`);
  return BigInt(v) & U64;
}

/** Packs the state as the contract stores it: bits 0-7 decision, 8-15 revoked, 16-79 from, 80-143 until, 144-207 seq. */
export function packConsentState(s: ConsentState): bigint {
  return (
    BigInt(s.decision) |
    (BigInt(s.revoked ? 1 : 0) << 8n) |
    (u64('validFrom', s.validFrom) << 16n) |
    (u64('validUntil', s.validUntil) << 80n) |
    (u64('seq', s.seq) << 144n)
  );
}

export function unpackConsentState(word: bigint): ConsentState {
  const decision = Number(word & 0xffn);
  return {
    decision: decision === DECISION_DENY ? DECISION_DENY : DECISION_PERMIT,
    revoked: ((word >> 8n) & 0xffn) === 1n,
    validFrom: Number((word >> 16n) & U64),
    validUntil: Number((word >> 80n) & U64),
    seq: Number((word >> 144n) & U64),
  };
}

const coder = AbiCoder.defaultAbiCoder();

/** keccak256(abi.encode(patientPseudonym, grantee, purpose, category)): the ledger's key (same as chain/keys.ts). */
export function consentKeyOf(op: Pick<ConsentOp, 'patientPseudonym' | 'grantee' | 'purpose' | 'category'>): string {
  return keccak256(coder.encode(['bytes32', 'bytes32', 'bytes32', 'bytes32'], [op.patientPseudonym, op.grantee, op.purpose, op.category]));
}
