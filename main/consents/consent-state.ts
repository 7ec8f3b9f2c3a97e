// The ConsentLedger words and the ordering rule, pure: the op's order word (decision, revoked, hlc), the event's
// state word (the same plus the writer), the order key (hlc, rank, writer) every reader compares, the readers' fold of
// a key's events (foldWords), the hybrid logical clock stamp, and the op's sealed terms. Used by the consent encoder
// on the way out and by the puller and the proof checker to read ConsentChanged events back.
import { AbiCoder, getAddress, keccak256, toUtf8Bytes } from 'ethers';

export const DECISION_PERMIT = 1;
export const DECISION_DENY = 2;
/** ConsentLedger.MAX_CLOCK_SKEW_MS: an op stamped further ahead of the block's time is skipped as FUTURE. */
export const MAX_CLOCK_SKEW_MS = 600_000;

const U64 = (1n << 64n) - 1n;
const U160 = (1n << 160n) - 1n;

/** What an op says about its key's order: the decision, the revoked flag and the hlc stamp. */
export interface ConsentOrder {
  decision: 1 | 2;
  revoked: boolean;
  /** Hybrid logical clock: unix milliseconds << 16 | counter. */
  hlc: bigint;
}

/** A stored (or emitted) state word: the order and the writer (the signer that sent it, lowercase address). */
export interface LedgerState extends ConsentOrder {
  writer: string;
}

/**
 * The contract's code tables, append-only: code = index + 1. The key's fields and the sealed terms carry the codes;
 * the consents domain's hashes map onto them (consents/outbox-events.ts).
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
/** The hash a code stands for, or undefined for an unknown code. */
export function purposeHashOfCode(code: number): string | undefined {
  return PURPOSE_CODE_HASHES[code - 1];
}
export function categoryHashOfCode(code: number): string | undefined {
  return CATEGORY_CODE_HASHES[code - 1];
}

/** One ConsentLedger.applyBatch op, in ABI order. */
export interface ConsentOp {
  opKey: string;
  order: bigint;
  /** The terms, sealed (consents/ledger-seal.ts), as 0x hex. */
  sealedTerms: string;
}

/** Packs an op's order word: bits 0-7 decision, 8-15 revoked, 16-79 hlc. */
export function packOrder(o: ConsentOrder): bigint {
  if (o.hlc <= 0n || o.hlc > U64) throw new RangeError(`hlc must be 1..2^64-1, got ${o.hlc}`);
  if (o.decision !== DECISION_PERMIT && o.decision !== DECISION_DENY) throw new RangeError(`decision must be 1 or 2, got ${String(o.decision)}`);
  return BigInt(o.decision) | (BigInt(o.revoked ? 1 : 0) << 8n) | (o.hlc << 16n);
}

/** The state word the contract emits for `order` sent by `writer`. */
export function stateWordOf(order: bigint, writer: string): bigint {
  return order | ((BigInt(writer) & U160) << 80n);
}

/** Unpacks an emitted state word; null for 0 (a key never written). */
export function unpackState(word: bigint): LedgerState | null {
  if (word === 0n) return null;
  const decision = Number(word & 0xffn);
  return {
    decision: decision === DECISION_DENY ? DECISION_DENY : DECISION_PERMIT,
    revoked: ((word >> 8n) & 0xffn) === 1n,
    hlc: (word >> 16n) & U64,
    writer: getAddress(`0x${((word >> 80n) & U160).toString(16).padStart(40, '0')}`).toLowerCase(),
  };
}

/** 1 for a revoke or a deny, 0 for a permit: on equal stamps, the refusal wins. */
export function rankOf(o: Pick<ConsentOrder, 'decision' | 'revoked'>): 0 | 1 {
  return o.revoked || o.decision === DECISION_DENY ? 1 : 0;
}

/** The order key (hlc, rank, writer) as one integer: hlc above rank above writer, as the readers' fold compares. */
export function orderKeyOf(s: LedgerState): bigint {
  return (s.hlc << 161n) | (BigInt(rankOf(s)) << 160n) | (BigInt(s.writer) & U160);
}

/** Whether `a` wins over `b` under the ordering rule (b null: never written). */
export function wins(a: LedgerState, b: LedgerState | null): boolean {
  return b === null || orderKeyOf(a) > orderKeyOf(b);
}

/** The state an order key text (orderText) stands for. */
export function stateOfOrderText(text: string): LedgerState {
  if (!/^[0-9a-f]{16}[01][0-9a-f]{40}$/.test(text)) throw new RangeError('order key text must be 16 hex digits, a rank digit and 40 hex digits');
  const rank = text[16] === '1';
  // The rank alone cannot say deny from revoked permit: a refusal is stated as a deny, which ranks the same.
  return { hlc: BigInt(`0x${text.slice(0, 16)}`), decision: rank ? DECISION_DENY : DECISION_PERMIT, revoked: false, writer: `0x${text.slice(17)}` };
}

/**
 * The readers' fold of one key's ConsentChanged state words, in chain order (block, log index), in one facility's
 * namespace (the rule in ConsentLedger's docs and main/sync/README.md): a word holds the key when its order key is
 * greater than that of every earlier word, and is STALE otherwise (`held[i]` false). The result is the greatest word,
 * whatever the landing order; 0n / null for none.
 */
export function foldWords(words: readonly bigint[]): { word: bigint; state: LedgerState | null; held: boolean[] } {
  let word = 0n;
  let best: LedgerState | null = null;
  const held: boolean[] = [];
  for (const w of words) {
    const s = unpackState(w);
    const holds = s !== null && wins(s, best);
    held.push(holds);
    if (holds) {
      word = w;
      best = s;
    }
  }
  return { word, state: best, held };
}

/** The milliseconds part of an hlc stamp. */
export function hlcMillis(hlc: bigint): number {
  return Number(hlc >> 16n);
}

/**
 * The stamp for a new change of a key: max(now_ms << 16, highest stamp seen for that key (written here or pulled) + 1).
 * A clock that runs behind still moves forward; one ahead is bounded by the contract's FUTURE check.
 */
export function nextHlc(nowMs: number, seen: bigint | null): bigint {
  const wall = BigInt(Math.max(0, Math.floor(nowMs))) << 16n;
  return seen !== null && seen + 1n > wall ? seen + 1n : wall;
}

/** Whether the contract would skip `hlc` as FUTURE in a block stamped `blockSeconds`. */
export function isFuture(hlc: bigint, blockSeconds: number): boolean {
  return hlc >> 16n > BigInt(blockSeconds) * 1000n + BigInt(MAX_CLOCK_SKEW_MS);
}

/** The hlc stamp as the outbox and the database keep it: 16 hex digits, so text order is numeric order. */
export function hlcText(hlc: bigint): string {
  return hlc.toString(16).padStart(16, '0');
}
export function hlcOfText(text: string): bigint {
  if (!/^[0-9a-f]{16}$/.test(text)) throw new RangeError('hlc text must be 16 lowercase hex digits');
  return BigInt(`0x${text}`);
}

const coder = AbiCoder.defaultAbiCoder();

/** keccak256(abi.encode(sender, batchId)): the batch id as the contract binds it to its sender. */
export function boundBatchIdOf(sender: string, batchId: string): string {
  return keccak256(coder.encode(['address', 'bytes32'], [sender, batchId]));
}

/** The order key as sortable text: hlc (16 hex) || rank (0/1) || writer (40 hex, no 0x). Text order = rule order. */
export function orderText(s: LedgerState): string {
  return `${hlcText(s.hlc)}${rankOf(s)}${s.writer.toLowerCase().replace(/^0x/, '').padStart(40, '0')}`;
}
