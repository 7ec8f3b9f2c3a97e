// Pure rules of the sender: nonce reconciliation, what a consumed nonce means, fee bumps, confirmations and
// backoff. No I/O here; sender.ts and engine.ts apply them. Table-tested in rules.test.ts.

export interface NonceReading {
  /** Our persisted next nonce, or null the first time this key is used on this chain. */
  stored: number | null;
  /** eth_getTransactionCount(address, 'latest'): transactions of this key mined so far. */
  nodeLatest: number;
  /** eth_getTransactionCount(address, 'pending'): mined plus waiting in the node's pool. */
  nodePending: number;
  /** Nonces of our own signed or sent transactions that are not mined yet. */
  inFlight: readonly number[];
}

export interface NonceDecision {
  next: number;
  notice: { kind: 'gap' | 'foreign'; message: string } | null;
}

/**
 * The next nonce after a (re)connect. Our in-flight transactions are rebroadcast by the caller, so the next nonce
 * follows the node's pending count and our highest in-flight nonce, whichever is higher. Stored ahead of that
 * with nothing of ours in between is a gap (a restored database, a node that lost its pool); stored behind the
 * node's count means another process sent from this key.
 */
export function reconcileNonce(r: NonceReading): NonceDecision {
  const ours = r.inFlight.length ? Math.max(...r.inFlight) + 1 : 0;
  const next = Math.max(r.nodePending, ours);
  if (r.stored === null || r.stored === next) return { next, notice: null };
  if (r.stored > next) {
    return {
      next,
      notice: {
        kind: 'gap',
        message: `Nonce gap: the local sender was at nonce ${r.stored} but the node has ${r.nodePending} for this key and none of our transactions lie between; continuing at ${next}.`,
      },
    };
  }
  const foreign = next - r.stored;
  return {
    next,
    notice: {
      kind: 'foreign',
      message: `${foreign} transaction(s) from this key were sent by another process (node count ${r.nodePending}, local nonce ${r.stored}); continuing at ${next}. Use one signing key per workstation.`,
    },
  };
}

export type ConsumedNonceOutcome = 'repriced' | 'applied-elsewhere' | 'replaced';

/**
 * The batch's nonce is used on chain but none of our receipts was found at first look: what happened. It mirrors
 * ethers' TRANSACTION_REPLACED reasons: one of our own prices was mined ('repriced': fine); another transaction
 * took the nonce but the batch is on chain anyway ('applied-elsewhere': confirmed); or the batch was not applied
 * ('replaced' / 'cancelled' in ethers: send it again with a new nonce).
 */
export function consumedNonceOutcome(minedOurs: boolean, appliedOnChain: boolean): ConsumedNonceOutcome {
  if (minedOurs) return 'repriced';
  return appliedOnChain ? 'applied-elsewhere' : 'replaced';
}

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/**
 * Fees for a replacement with the same nonce: at least `percent` (>= 10, the nodes' minimum) above the old ones,
 * rounded up, and never below what the market asks now.
 */
export function bumpFees(old: Fees, market: Fees, percent = 12.5): Fees {
  if (percent < 10) throw new RangeError('a replacement must pay at least 10% more');
  const scale = BigInt(Math.round(percent * 100));
  const up = (v: bigint) => (v * (10_000n + scale) + 9_999n) / 10_000n;
  const tip = max(up(old.maxPriorityFeePerGas), market.maxPriorityFeePerGas);
  const fee = max(up(old.maxFeePerGas), market.maxFeePerGas, tip);
  return { maxFeePerGas: fee, maxPriorityFeePerGas: tip };
}

function max(...xs: bigint[]): bigint {
  return xs.reduce((a, b) => (b > a ? b : a));
}

/** Confirmations of a transaction in `blockNumber` when the head is `head` (the including block counts as one). */
export function confirmationsOf(blockNumber: number, head: number): number {
  return head >= blockNumber ? head - blockNumber + 1 : 0;
}

/** Exponential backoff with jitter (50-100% of the step), so many workstations do not return in step. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 10));
  return Math.round(step * (0.5 + random() / 2));
}

export interface SeenBlock {
  number: number;
  hash: string;
}

/**
 * Newest block we read that is still on the canonical chain, given what we stored and what the node says now
 * (null: the node has no such block). Null when none matches: re-read from the start of what we keep.
 */
export function forkPoint(seen: readonly SeenBlock[], canonical: (n: number) => string | null): number | null {
  const newestFirst = [...seen].sort((a, b) => b.number - a.number);
  for (const b of newestFirst) if (canonical(b.number) === b.hash) return b.number;
  return null;
}
