// Turns whatever a node, ethers or the network threw into a sync failure: a subtype the UI groups by, an AppError
// code, a message for people, and whether the engine retries by itself. Pure; table-tested in failures.test.ts.
import type { SyncFailureReason } from '../api/events';
import { revertDataOf } from '../chain/provider';
import { decodeRevert } from './contracts';

/** What classifyFailure can tell from an error; 'reorg' and 'payload' are found by the engine, not thrown. */
export type FailureSubtype = Exclude<SyncFailureReason, 'reorg' | 'payload' | 'batch-id-taken' | 'item-skipped' | 'applied-without-log'>;

export type SyncErrorCode =
  | 'SYNC_OFFLINE'
  | 'SYNC_RPC_TIMEOUT'
  | 'SYNC_RPC_GARBAGE'
  | 'SYNC_INSUFFICIENT_FUNDS'
  | 'SYNC_NONCE_CONFLICT'
  | 'SYNC_REVERTED'
  | 'SYNC_SIGNER_UNAVAILABLE'
  | 'SYNC_FEE_CEILING'
  | 'CHAIN_ID_MISMATCH';

export interface SyncFailure {
  subtype: FailureSubtype;
  code: SyncErrorCode;
  message: string;
  /** Retried by the engine after a backoff (true), or parked until someone acts (false: a revert). */
  transient: boolean;
  /** Decoded custom error, for reverts. */
  errorName?: string;
  /** True when the revert says the batch id is already used: never a confirmation by itself (receipts.ts decides). */
  alreadyApplied?: boolean;
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  shortMessage?: unknown;
  error?: unknown;
  info?: { error?: unknown };
  cause?: unknown;
}

/** Every message and code in the error's cause chain, lower-cased, for matching node texts. */
function texts(err: unknown): { codes: string[]; text: string } {
  const codes: string[] = [];
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let cur: unknown = err;
  for (let depth = 0; depth < 6 && typeof cur === 'object' && cur !== null && !seen.has(cur); depth++) {
    seen.add(cur);
    const e = cur as ErrorLike;
    if (typeof e.code === 'string' || typeof e.code === 'number') codes.push(String(e.code));
    if (typeof e.shortMessage === 'string') parts.push(e.shortMessage);
    if (typeof e.message === 'string') parts.push(e.message);
    cur = e.info?.error ?? e.error ?? e.cause;
  }
  if (typeof err === 'string') parts.push(err);
  return { codes, text: parts.join(' | ').toLowerCase() };
}

function firstLine(err: unknown): string {
  const e = err as ErrorLike;
  const m = typeof e?.shortMessage === 'string' ? e.shortMessage : typeof e?.message === 'string' ? e.message : String(err);
  return m.split('\n')[0]!.slice(0, 200);
}

/** Node answers that mean "the node already has this very transaction": success for a rebroadcast. */
export function isAlreadyKnown(err: unknown): boolean {
  const { text } = texts(err);
  return /already known|known transaction|already imported|transaction already exists|alreadyknown/.test(text);
}

export function classifyFailure(err: unknown, context: { rpcUrl?: string } = {}): SyncFailure {
  const { codes, text } = texts(err);
  const where = context.rpcUrl ? ` at ${context.rpcUrl}` : '';
  const has = (...cs: string[]) => cs.some((c) => codes.includes(c));

  // Before any text matching: the signer's messages name settings and paths, which may contain any word.
  if (has('SYNC_SIGNER_UNAVAILABLE')) return { subtype: 'signer', code: 'SYNC_SIGNER_UNAVAILABLE', message: `The signing key is not available: ${firstLine(err)}`, transient: true };
  // The fee ceiling stops re-pricing: grouped with money ('funds'); retried, as the market may calm or the price mine.
  if (has('SYNC_FEE_CEILING')) return { subtype: 'funds', code: 'SYNC_FEE_CEILING', message: firstLine(err), transient: true };
  if (has('CHAIN_ID_MISMATCH')) return { subtype: 'chain-id', code: 'CHAIN_ID_MISMATCH', message: firstLine(err), transient: true };
  if (has('INSUFFICIENT_FUNDS', 'SYNC_INSUFFICIENT_FUNDS') || /insufficient funds|insufficient balance|doesn't have enough funds/.test(text)) {
    return { subtype: 'funds', code: 'SYNC_INSUFFICIENT_FUNDS', message: has('SYNC_INSUFFICIENT_FUNDS') ? firstLine(err) : `The signing account cannot pay for the transaction (${firstLine(err)}). Fund it; sync resumes by itself.`, transient: true };
  }
  if (has('NONCE_EXPIRED', 'REPLACEMENT_UNDERPRICED', 'SYNC_NONCE_CONFLICT') || /nonce too low|nonce too high|nonce has already been used|replacement transaction underpriced|invalid nonce/.test(text)) {
    return { subtype: 'nonce', code: 'SYNC_NONCE_CONFLICT', message: has('SYNC_NONCE_CONFLICT') ? firstLine(err) : `Nonce conflict: ${firstLine(err)}. Another process may be sending from this key; the sender re-reads the node's count and resends.`, transient: true };
  }
  const data = revertDataOf(err);
  if (data !== null || has('CALL_EXCEPTION', 'CHAIN_TX_REVERTED', 'SYNC_REVERTED') || /execution reverted|revert/.test(text)) {
    const decoded = data ? decodeRevert(data) : null;
    const what = decoded ? `${decoded.contract}: ${decoded.name}(${decoded.args.join(', ')})` : data ? `revert data ${data.slice(0, 74)}` : firstLine(err);
    return {
      subtype: 'revert',
      code: 'SYNC_REVERTED',
      message: `The contract rejects the batch: ${what}.`,
      transient: false,
      ...(decoded ? { errorName: decoded.name, alreadyApplied: decoded.name === 'BatchAlreadyApplied' } : {}),
    };
  }
  if (has('TIMEOUT', 'SYNC_RPC_TIMEOUT', 'ETIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT') || /timeout|timed out/.test(text)) {
    return { subtype: 'rpc', code: 'SYNC_RPC_TIMEOUT', message: `The RPC endpoint${where} did not answer in time (${firstLine(err)}).`, transient: true };
  }
  if (has('ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'NETWORK_ERROR', 'SYNC_OFFLINE', 'CHAIN_UNAVAILABLE') || /fetch failed|socket hang up|connect econnrefused|other side closed/.test(text)) {
    return { subtype: 'offline', code: 'SYNC_OFFLINE', message: `The chain node${where} is unreachable (${firstLine(err)}).`, transient: true };
  }
  if (has('BAD_DATA', 'UNSUPPORTED_OPERATION', 'SERVER_ERROR', 'SYNC_RPC_GARBAGE') || err instanceof SyntaxError || /not valid json|invalid json|unexpected token|missing response|cannot convert/.test(text)) {
    return { subtype: 'rpc', code: 'SYNC_RPC_GARBAGE', message: `The RPC endpoint${where} answered something that is not a valid JSON-RPC reply (${firstLine(err)}).`, transient: true };
  }
  return { subtype: 'rpc', code: 'SYNC_RPC_GARBAGE', message: `Unexpected error talking to the chain${where}: ${firstLine(err)}.`, transient: true };
}
