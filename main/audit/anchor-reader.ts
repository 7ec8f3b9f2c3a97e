// Reads AuditAnchor v2 over plain JSON-RPC: a workstation's anchored tree heads (its trail is its signing address),
// the root anchored for one size, and the HeadAnchored log of a head. No database and no artifacts, so a third
// party's checker can reuse it with proof.ts.
import { Contract, Interface, ZeroHash, getAddress, zeroPadValue, toBeHex, type Log, type Provider, type JsonRpcProvider } from 'ethers';

/** The parts of AuditAnchor's ABI the audit domain reads; a test checks them against the compiled artifact. */
export const AUDIT_ANCHOR_ABI = [
  'function anchorHead(uint64 treeSize, bytes32 rootHash)',
  'function headCount(address trail) view returns (uint256 count)',
  'function headAt(address trail, uint256 index) view returns (uint64 treeSize, bytes32 rootHash, uint64 blockNumber, uint64 timestamp)',
  'function rootOf(address trail, uint64 treeSize) view returns (bytes32 rootHash, uint64 blockNumber)',
  'event HeadAnchored(address indexed trail, uint64 indexed treeSize, bytes32 indexed rootHash, uint256 index)',
] as const;

export const auditAnchorInterface = new Interface(AUDIT_ANCHOR_ABI);
export const HEAD_ANCHORED_TOPIC = auditAnchorInterface.getEvent('HeadAnchored')!.topicHash;

/** Where the audit domain reads the chain: a provider, the chain id it expects, and the AuditAnchor address. */
export interface AuditChain {
  provider: JsonRpcProvider;
  chainId: number;
  auditAnchor: string;
}

export interface AnchoredHead {
  trail: string;
  treeSize: number;
  rootHash: string;
  blockNumber: number;
  /** Block time (seconds). */
  timestamp: number;
}

export interface HeadAnchoredLog {
  trail: string;
  treeSize: number;
  rootHash: string;
  index: number;
  contract: string;
  txHash: string;
  blockNumber: number;
  blockHash: string;
  logIndex: number;
}

/** Decodes a HeadAnchored log; null when the log is something else. */
export function decodeHeadAnchored(log: Pick<Log, 'address' | 'topics' | 'data' | 'transactionHash' | 'blockNumber' | 'blockHash' | 'index'>): HeadAnchoredLog | null {
  if (log.topics[0] !== HEAD_ANCHORED_TOPIC) return null;
  const parsed = auditAnchorInterface.parseLog({ topics: [...log.topics], data: log.data });
  if (!parsed) return null;
  return {
    trail: getAddress(parsed.args.getValue('trail') as string),
    treeSize: Number(parsed.args.getValue('treeSize')),
    rootHash: parsed.args.getValue('rootHash') as string,
    index: Number(parsed.args.getValue('index')),
    contract: getAddress(log.address),
    txHash: log.transactionHash,
    blockNumber: log.blockNumber,
    blockHash: log.blockHash,
    logIndex: log.index,
  };
}

const CONCURRENCY = 16;

export class AuditAnchorReader {
  private readonly contract: Contract;

  constructor(
    readonly provider: Provider,
    readonly address: string,
  ) {
    this.contract = new Contract(getAddress(address), auditAnchorInterface, provider);
  }

  async headCount(trail: string): Promise<number> {
    return Number((await this.contract.getFunction('headCount')(trail)) as bigint);
  }

  async headAt(trail: string, index: number): Promise<AnchoredHead> {
    const [treeSize, rootHash, blockNumber, timestamp] = (await this.contract.getFunction('headAt')(trail, index)) as [bigint, string, bigint, bigint];
    return { trail: getAddress(trail), treeSize: Number(treeSize), rootHash, blockNumber: Number(blockNumber), timestamp: Number(timestamp) };
  }

  /** Every head anchored in `trail`, oldest first. */
  async headsOf(trail: string): Promise<AnchoredHead[]> {
    const n = await this.headCount(trail);
    const heads: AnchoredHead[] = [];
    for (let i = 0; i < n; i += CONCURRENCY) {
      heads.push(...(await Promise.all(Array.from({ length: Math.min(CONCURRENCY, n - i) }, (_, k) => this.headAt(trail, i + k)))));
    }
    return heads;
  }

  async latestHeadOf(trail: string): Promise<AnchoredHead | null> {
    const n = await this.headCount(trail);
    return n ? this.headAt(trail, n - 1) : null;
  }

  /** The root `trail` anchored for exactly `treeSize` entries, or null. */
  async rootOf(trail: string, treeSize: number): Promise<{ rootHash: string; blockNumber: number } | null> {
    const [rootHash, blockNumber] = (await this.contract.getFunction('rootOf')(trail, treeSize)) as [string, bigint];
    return rootHash === ZeroHash ? null : { rootHash, blockNumber: Number(blockNumber) };
  }

  /** The HeadAnchored log of (`trail`, `treeSize`), searched in `atBlock` when given (every node serves one block). */
  async findHeadLog(trail: string, treeSize: number, atBlock?: number): Promise<HeadAnchoredLog | null> {
    const logs = await this.provider.getLogs({
      address: this.contract.target as string,
      topics: [HEAD_ANCHORED_TOPIC, zeroPadValue(trail.toLowerCase(), 32), zeroPadValue(toBeHex(treeSize), 32)],
      fromBlock: atBlock ?? 0,
      toBlock: atBlock ?? 'latest',
    });
    for (const log of logs) {
      if (log.removed) continue;
      const decoded = decodeHeadAnchored(log);
      if (decoded && decoded.trail === getAddress(trail) && decoded.treeSize === treeSize) return decoded;
    }
    return null;
  }
}
