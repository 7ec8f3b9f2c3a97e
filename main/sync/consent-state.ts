// The ConsentLedger's packed state word (decision, revoked, validFrom, validUntil, seq, purpose and category codes
// in one uint256) and its op. Pure: used by the consent encoder on the way out and by the puller to read
// ConsentChanged events back.
import { AbiCoder, keccak256, toUtf8Bytes } from 'ethers';

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
  /** Purpose code (LEDGER_PURPOSES index + 1); 0 only in words that are not ops. */
  purpose: number;
  /** Category code (LEDGER_CATEGORIES index + 1). */
  category: number;
}

/**
 * The contract's code tables (ConsentLedger.purposeHash / categoryHash), append-only: code = index + 1, and the
 * key uses keccak256 of the text, as consents/outbox-events.ts hashes it. The contract test checks both agree.
 */
export const LEDGER_PURPOSES = ['TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH', 'HMARKT'] as const;
export const LEDGER_CATEGORIES = ['general', 'mental-health', 'substance-use', 'HIV', 'genetic', 'reproductive'] as const;
const PURPOSE_CODE_HASHES = LEDGER_PURPOSES.map((p) => keccak256(toUtf8Bytes(p)));
const CATEGORY_CODE_HASHES = LEDGER_CATEGORIES.map((c) => keccak256(toUtf8Bytes(c)));

/** The code of a purpose / category hash, or undefined when the ledger has no code for it. */
export function purposeCodeOf(hash: string): number | undefined {
  const i = PURPOSE_CODE_HASHES.indexOf(hash.toLowerCase());
  return i < 0 ? undefined : i + 1;
}
export function categoryCodeOf(hash: string): number | undefined {
  const i = CATEGORY_CODE_HASHES.indexOf(hash.toLowerCase());
  return i < 0 ? undefined : i + 1;
}
/** The hash a code stands for in the key, or undefined for an unknown code. */
export function purposeHashOfCode(code: number): string | undefined {
  return PURPOSE_CODE_HASHES[code - 1];
}
export function categoryHashOfCode(code: number): string | undefined {
  return CATEGORY_CODE_HASHES[code - 1];
}

/** One ConsentLedger.applyBatch op, in ABI order (purpose and category travel as codes inside `state`). */
export interface ConsentOp {
  patientPseudonym: string;
  grantee: string;
  documentHash: string;
  state: bigint;
}

function u64(name: string, v: number): bigint {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative safe integer, got ${v}`);
  return BigInt(v) & U64;
}

function u8(name: string, v: number): bigint {
  if (!Number.isInteger(v) || v < 0 || v > 255) throw new RangeError(`${name} must be an integer 0..255, got ${v}`);
  return BigInt(v);
}

/**
 * Packs the state as the contract stores it: bits 0-7 decision, 8-15 revoked, 16-79 from, 80-143 until, 144-207 seq,
 * 208-215 purpose code, 216-223 category code.
 */
export function packConsentState(s: ConsentState): bigint {
  return (
    BigInt(s.decision) |
    (BigInt(s.revoked ? 1 : 0) << 8n) |
    (u64('validFrom', s.validFrom) << 16n) |
    (u64('validUntil', s.validUntil) << 80n) |
    (u64('seq', s.seq) << 144n) |
    (u8('purpose', s.purpose) << 208n) |
    (u8('category', s.category) << 216n)
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
    purpose: Number((word >> 208n) & 0xffn),
    category: Number((word >> 216n) & 0xffn),
  };
}

const coder = AbiCoder.defaultAbiCoder();

/** keccak256(abi.encode(patientPseudonym, grantee, purpose, category)): the ledger's key (same as chain/keys.ts). */
export function consentKeyOf(op: { patientPseudonym: string; grantee: string; purpose: string; category: string }): string {
  return keccak256(coder.encode(['bytes32', 'bytes32', 'bytes32', 'bytes32'], [op.patientPseudonym, op.grantee, op.purpose, op.category]));
}

/** The key of an op or of a ConsentChanged event: the codes in its state word give the purpose and category hashes. */
export function consentKeyOfOp(op: Pick<ConsentOp, 'patientPseudonym' | 'grantee' | 'state'>): string {
  const s = unpackConsentState(op.state);
  const purpose = purposeHashOfCode(s.purpose);
  const category = categoryHashOfCode(s.category);
  if (!purpose || !category) throw new RangeError(`state word has no known purpose/category code (${s.purpose}/${s.category})`);
  return consentKeyOf({ patientPseudonym: op.patientPseudonym, grantee: op.grantee, purpose, category });
}
