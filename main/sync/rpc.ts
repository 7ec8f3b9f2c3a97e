// The sync engine's own JSON-RPC provider: the measured anvil settings of chain/provider.ts (static network, no
// cache, no batching) plus a short request timeout, so a hanging endpoint becomes an error the engine can name.
import { FetchRequest, JsonRpcProvider, Network } from 'ethers';
import { AppError } from '../api/errors';

export function createSyncProvider(rpcUrl: string, chainId: number, timeoutMs = 10_000): JsonRpcProvider {
  const request = new FetchRequest(rpcUrl);
  request.timeout = timeoutMs;
  const network = Network.from(chainId);
  return new JsonRpcProvider(request, network, { staticNetwork: network, cacheTimeout: -1, batchMaxCount: 1, pollingInterval: 250 });
}

/** A hex quantity from a raw RPC answer, or SYNC_RPC_GARBAGE: ethers passes `send` results through unchecked. */
export function hexQuantity(value: unknown, what: string): number {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{1,16}$/.test(value)) {
    throw new AppError('SYNC_RPC_GARBAGE', `The node answered ${what} with ${JSON.stringify(value)?.slice(0, 40)}, not a hex number.`);
  }
  return Number(BigInt(value));
}

/** The chain id the node itself reports (not the provider's static network). */
export async function nodeChainId(provider: JsonRpcProvider): Promise<number> {
  return hexQuantity(await provider.send('eth_chainId', []), 'eth_chainId');
}

export async function nodeBlockNumber(provider: JsonRpcProvider): Promise<number> {
  return hexQuantity(await provider.send('eth_blockNumber', []), 'eth_blockNumber');
}

export async function nodeNonce(provider: JsonRpcProvider, address: string, tag: 'latest' | 'pending'): Promise<number> {
  return hexQuantity(await provider.send('eth_getTransactionCount', [address, tag]), `eth_getTransactionCount(${tag})`);
}

/** Hash of block `n` on the node's canonical chain, or null when it has none. */
export async function blockHashAt(provider: JsonRpcProvider, n: number): Promise<string | null> {
  const block = (await provider.send('eth_getBlockByNumber', [`0x${n.toString(16)}`, false])) as { hash?: unknown } | null;
  if (block === null) return null;
  if (typeof block !== 'object' || typeof block.hash !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(block.hash)) {
    throw new AppError('SYNC_RPC_GARBAGE', `The node answered eth_getBlockByNumber(${n}) with something that is not a block.`);
  }
  return block.hash.toLowerCase();
}
