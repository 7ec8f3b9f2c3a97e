// When a batch counts as final: on an external network whose node has a 'finalized' block (proof-of-stake
// Ethereum and most L2s), once that block reaches it; else (a node without the tag, or the embedded devnet, where
// anvil's 'finalized' lags 64 blocks behind an idle chain) N blocks deep. Probed once per connection; sync status says which.
import type { JsonRpcProvider } from 'ethers';
import { confirmationsOf } from './rules';

export type Finality = { mode: 'finalized' } | { mode: 'depth'; confirmations: number; reason: string };

/** The node's finalized block number, or null when it has none (pre-merge node, or the tag is unknown). */
export async function finalizedBlockNumber(provider: JsonRpcProvider): Promise<number | null> {
  try {
    const block = (await provider.send('eth_getBlockByNumber', ['finalized', false])) as { number?: unknown } | null;
    return block && typeof block.number === 'string' && /^0x[0-9a-f]+$/i.test(block.number) ? Number(BigInt(block.number)) : null;
  } catch {
    return null;
  }
}

/** 'finalized' when asked for and the node answers the tag; else `confirmations` deep, with the reason. */
export async function probeFinality(provider: JsonRpcProvider, preferFinalized: boolean, confirmations: number): Promise<Finality> {
  const depth = Math.max(1, confirmations);
  if (!preferFinalized) return { mode: 'depth', confirmations: depth, reason: 'the embedded devnet: a block is final once mined' };
  if ((await finalizedBlockNumber(provider)) !== null) return { mode: 'finalized' };
  return { mode: 'depth', confirmations: depth, reason: "the node does not answer the 'finalized' block tag" };
}

/** Whether a transaction mined in `blockNumber` is final now (`head` is the latest block number). */
export async function isFinal(provider: JsonRpcProvider, finality: Finality, blockNumber: number, head: number): Promise<boolean> {
  if (finality.mode === 'depth') return confirmationsOf(blockNumber, head) >= finality.confirmations;
  const finalized = await finalizedBlockNumber(provider);
  return finalized !== null && finalized >= blockNumber;
}

/** One line for sync status: how finality is decided here. */
export function finalityText(f: Finality): string {
  return f.mode === 'finalized' ? "the node's 'finalized' block" : `${f.confirmations} block(s) deep (${f.reason})`;
}
