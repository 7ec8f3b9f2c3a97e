// What every local EVM node this project starts has in common (anvil for the app and tests, Hardhat's EDR for
// tests): the handle callers hold, a free loopback port, and the eth_chainId probe that says the node is ready.
import net from 'node:net';

/** A local EVM node running as a child process of this one, bound to 127.0.0.1. */
export interface LocalNode {
  rpcUrl: string;
  port: number;
  pid: number;
  chainId: number;
  /** Ends the process (SIGTERM, SIGKILL after a grace period) and waits for its exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** Chain id from a node's eth_chainId answer; throws when the node does not answer or answers junk. */
export async function rpcChainId(rpcUrl: string): Promise<number> {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    signal: AbortSignal.timeout(2_000),
  });
  const body = (await res.json()) as { result?: string };
  if (typeof body.result !== 'string') throw new Error(`unexpected eth_chainId answer: ${JSON.stringify(body)}`);
  return Number(BigInt(body.result));
}

/** Asks the OS for a free port on 127.0.0.1 by listening on port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export type LocalNodeErrorCode = 'EDR_NOT_FOUND' | 'EDR_START_FAILED' | 'EDR_PORT_IN_USE';

/**
 * Start failures of the test-only node (EDR). Not an AppError: it never crosses the API, only fails a test run,
 * so its codes stay out of the renderer's error union.
 */
export class LocalNodeError extends Error {
  constructor(
    readonly code: LocalNodeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LocalNodeError';
  }
}
