// Which EVM node the chain test suites run against (CUSTODIAN_TEST_NODE=anvil|edr, anvil by default), and what
// each node can do beyond standard JSON-RPC. Test fixtures only: the engine itself speaks standard JSON-RPC.
import type { JsonRpcProvider } from 'ethers';
import { startAnvil } from './anvil';
import { startEdr } from './edr';
import type { LocalNode } from './local-node';

export const TEST_NODE_KINDS = ['anvil', 'edr'] as const;
export type TestNodeKind = (typeof TEST_NODE_KINDS)[number];

/**
 * The non-standard methods a test may need, per node. Both nodes answer the `evm_*` family the same way; what
 * differs is named here so a fixture asks the table, never hard-codes a node's method.
 */
export interface NodeCapabilities {
  /** Sets an account's balance in wei. */
  setBalance: 'anvil_setBalance' | 'hardhat_setBalance';
  /** Overwrites one storage slot of a contract (what any local process can do to a devnet). */
  setStorageAt: 'anvil_setStorageAt' | 'hardhat_setStorageAt';
  /** Replaces a contract's code (what any local process can do to a devnet). */
  setCode: 'anvil_setCode' | 'hardhat_setCode';
  /** Replaces the last N blocks by new (empty) ones, as a real reorg would: anvil only. */
  reorg: 'anvil_reorg' | null;
  /** Keeps its chain in a file across a restart (anvil --state): anvil only, EDR lives in memory. */
  stateFile: boolean;
  /**
   * Rejects a same-nonce replacement that does not raise the fees by 10% (as geth does). anvil 1.7 takes any
   * higher fee, so only EDR proves the engine's re-pricing would be accepted by a real node.
   */
  replacementBump: boolean;
  /** Rejects a transaction whose gas limit is over the EIP-7825 cap of 2^24 (anvil 1.7 accepts it on Osaka). */
  txGasCap: boolean;
  /** Sets an account's nonce (what any local process can do to a devnet). */
  setNonce: 'anvil_setNonce' | 'hardhat_setNonce';
}

export const NODE_CAPABILITIES: Readonly<Record<TestNodeKind, NodeCapabilities>> = {
  anvil: { setBalance: 'anvil_setBalance', setStorageAt: 'anvil_setStorageAt', setCode: 'anvil_setCode', reorg: 'anvil_reorg', stateFile: true, replacementBump: false, txGasCap: false, setNonce: 'anvil_setNonce' },
  edr: { setBalance: 'hardhat_setBalance', setStorageAt: 'hardhat_setStorageAt', setCode: 'hardhat_setCode', reorg: null, stateFile: false, replacementBump: true, txGasCap: true, setNonce: 'hardhat_setNonce' },
};

/** The node named by CUSTODIAN_TEST_NODE; anvil when unset. An unknown name fails loudly, never falls back. */
export function testNodeKind(env: NodeJS.ProcessEnv = process.env): TestNodeKind {
  const value = env.CUSTODIAN_TEST_NODE?.trim().toLowerCase() || 'anvil';
  if ((TEST_NODE_KINDS as readonly string[]).includes(value)) return value as TestNodeKind;
  throw new Error(`CUSTODIAN_TEST_NODE=${env.CUSTODIAN_TEST_NODE} names no test node; use one of ${TEST_NODE_KINDS.join(', ')}.`);
}

/** The capabilities of the node this test run uses; read at collection time to name node-only cases. */
export function testNodeCapabilities(kind: TestNodeKind = testNodeKind()): NodeCapabilities {
  return NODE_CAPABILITIES[kind];
}

export interface TestNode extends LocalNode {
  kind: TestNodeKind;
  caps: NodeCapabilities;
}

export interface TestNodeOptions {
  chainId?: number;
  port?: number;
  /** anvil only (caps.stateFile): asking it of EDR is an error, not a silently fresh chain. */
  stateFile?: string;
  kind?: TestNodeKind;
}

/** Starts the selected node on a free loopback port with chain id 31337 unless told otherwise. */
export async function startTestNode(opts: TestNodeOptions = {}): Promise<TestNode> {
  const kind = opts.kind ?? testNodeKind();
  const chainId = opts.chainId ?? 31337;
  const caps = NODE_CAPABILITIES[kind];
  if (opts.stateFile !== undefined && !caps.stateFile) throw new Error(`The ${kind} test node cannot keep its state in a file.`);
  const node =
    kind === 'anvil'
      ? await startAnvil({ chainId, ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.stateFile ? { stateFile: opts.stateFile } : {}) })
      : await startEdr({ chainId, ...(opts.port !== undefined ? { port: opts.port } : {}) });
  // A run that believes it tests EDR must not pass on anvil (or the reverse): ask the node who it is.
  const version = await clientVersion(node.rpcUrl).catch(async (err: unknown) => {
    await node.stop();
    throw err;
  });
  if (!CLIENT_VERSION[kind].test(version)) {
    await node.stop();
    throw new Error(`The ${kind} test node answered web3_clientVersion ${version}.`);
  }
  return { ...node, kind, caps };
}

const CLIENT_VERSION: Record<TestNodeKind, RegExp> = { anvil: /^anvil\//, edr: /^HardhatNetwork\/.*edr/ };

async function clientVersion(rpcUrl: string): Promise<string> {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'web3_clientVersion', params: [] }),
    signal: AbortSignal.timeout(5_000),
  });
  const body = (await res.json()) as { result?: unknown };
  return typeof body.result === 'string' ? body.result : JSON.stringify(body);
}

/** Dev-node controls through the capability table, for fixtures and tests. */
export class NodeControl {
  constructor(
    private readonly provider: JsonRpcProvider,
    readonly caps: NodeCapabilities = testNodeCapabilities(),
  ) {}

  async setBalance(address: string, wei: bigint): Promise<void> {
    await this.provider.send(this.caps.setBalance, [address, `0x${wei.toString(16)}`]);
  }

  /** Replaces the code at `address`. */
  async setCode(address: string, code: string): Promise<void> {
    await this.provider.send(this.caps.setCode, [address, code]);
  }

  /** Writes a 32-byte word into a contract's storage slot. */
  async setStorageAt(address: string, slot: string, word: string): Promise<void> {
    await this.provider.send(this.caps.setStorageAt, [address, slot, word]);
  }

  async setNonce(address: string, nonce: number): Promise<void> {
    await this.provider.send(this.caps.setNonce, [address, `0x${nonce.toString(16)}`]);
  }

  /** An id for revert(); both nodes consume it on revert, so take a new one to go back twice. */
  async snapshot(): Promise<string> {
    return (await this.provider.send('evm_snapshot', [])) as string;
  }

  async revert(snapshotId: string): Promise<void> {
    const ok = (await this.provider.send('evm_revert', [snapshotId])) as unknown;
    if (ok !== true) throw new Error(`evm_revert(${snapshotId}) answered ${String(ok)}`);
  }

  async mine(blocks = 1): Promise<void> {
    for (let i = 0; i < blocks; i++) await this.provider.send('evm_mine', []);
  }

  async setAutomine(on: boolean): Promise<void> {
    await this.provider.send('evm_setAutomine', [on]);
  }

  async increaseTime(seconds: number): Promise<void> {
    await this.provider.send('evm_increaseTime', [seconds]);
  }

  /** Replaces the last `depth` blocks (anvil_reorg); throws on a node without it: check caps.reorg first. */
  async reorg(depth: number): Promise<void> {
    if (this.caps.reorg === null) throw new Error('This test node cannot reorganise mined blocks.');
    await this.provider.send(this.caps.reorg, [depth, []]);
  }
}
