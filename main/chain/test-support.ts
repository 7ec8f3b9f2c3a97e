// Test support for the local node starters (anvil.ts, edr.ts): what every starter promises, checked the same way.
import type { JsonRpcProvider } from 'ethers';
import { expect } from 'vitest';
import type { LocalNode } from './local-node';
import { createProvider, readChainStatus } from './provider';

/**
 * Starts two nodes at once, one asked for chain id 4242, and checks they got distinct loopback ports, the asked chain
 * id (read from the node) and the default 31337. `alsoCheck` reads more from the first node while it is up.
 * Both go into `started`, for the suite's afterEach to stop.
 */
export async function startTwoNodes(
  start: (opts?: { chainId?: number }) => Promise<LocalNode>,
  started: LocalNode[],
  alsoCheck?: (provider: JsonRpcProvider) => Promise<void>,
): Promise<[LocalNode, LocalNode]> {
  const [a, b] = await Promise.all([start({ chainId: 4242 }), start()]);
  started.push(a, b);
  expect(a.port).not.toBe(b.port);
  expect(a.rpcUrl).toBe(`http://127.0.0.1:${a.port}`);
  const provider = createProvider(a.rpcUrl, 4242);
  try {
    expect((await readChainStatus(provider)).chainId).toBe(4242);
    await alsoCheck?.(provider);
  } finally {
    provider.destroy();
  }
  expect(b.chainId).toBe(31337);
  return [a, b];
}

/** A data folder's secret for tests that start the embedded devnet without services (the database key in production). */
export const TEST_FOLDER_SECRET: Buffer = Buffer.alloc(32, 0x5c);
