// Reads AuditAnchor over plain JSON-RPC: anchors by batch id, a trail's head and count, anchored roots, on-chain
// leaf checks and the RootAnchored log of a batch. No database and no artifacts, so a third party's checker can
// reuse it with proof.ts.
import { Contract, Interface, ZeroHash, getAddress, type JsonRpcProvider, type Log, type Provider } from 'ethers';

/** The parts of AuditAnchor's ABI the audit domain reads; a test checks them against the compiled artifact. */
export const AUDIT_ANCHOR_ABI = [
  'function anchor(bytes32 trailId, bytes32 batchId, bytes32 merkleRoot, uint64 leafCount, bytes32 previousRoot)',
  'function anchorOf(bytes32 batchId) view returns (bytes32 trailId, bytes32 merkleRoot, uint64 leafCount, uint64 blockNumber, uint64 timestamp)',
  'function isAnchored(bytes32 root) view returns (bool anchored)',
  'function latestRootOf(bytes32 trailId) view returns (bytes32 root)',
  'function anchorCount(bytes32 trailId) view returns (uint256 count)',
  'function verifyLeaf(bytes32 root, bytes32 leaf, bytes32[] proof) pure returns (bool valid)',
  'event RootAnchored(bytes32 indexed trailId, bytes32 indexed batchId, bytes32 indexed merkleRoot, uint64 leafCount, bytes32 previousRoot, uint256 index)',
] as const;

export const auditAnchorInterface = new Interface(AUDIT_ANCHOR_ABI);
export const ROOT_ANCHORED_TOPIC = auditAnchorInterface.getEvent('RootAnchored')!.topicHash;

/** Where the audit domain reads the chain: a provider, the chain id it expects, and the AuditAnchor address. */
export interface AuditChain {
  provider: JsonRpcProvider;
  chainId: number;
  auditAnchor: string;
}

export interface OnChainAnchor {
  trailId: string;
  merkleRoot: string;
  leafCount: number;
  blockNumber: number;
  timestamp: number;
}

export interface RootAnchoredLog {
  trailId: string;
  batchId: string;
  merkleRoot: string;
  leafCount: number;
  previousRoot: string;
  index: number;
  contract: string;
  txHash: string;
  blockNumber: number;
  blockHash: string;
  logIndex: number;
}

/** Decodes a RootAnchored log; null when the log is something else. */
export function decodeRootAnchored(log: Pick<Log, 'address' | 'topics' | 'data' | 'transactionHash' | 'blockNumber' | 'blockHash' | 'index'>): RootAnchoredLog | null {
  if (log.topics[0] !== ROOT_ANCHORED_TOPIC) return null;
  const parsed = auditAnchorInterface.parseLog({ topics: [...log.topics], data: log.data });
  if (!parsed) return null;
  return {
    trailId: parsed.args.getValue('trailId') as string,
    batchId: parsed.args.getValue('batchId') as string,
    merkleRoot: parsed.args.getValue('merkleRoot') as string,
    leafCount: Number(parsed.args.getValue('leafCount')),
    previousRoot: parsed.args.getValue('previousRoot') as string,
    index: Number(parsed.args.getValue('index')),
    contract: getAddress(log.address),
    txHash: log.transactionHash,
    blockNumber: log.blockNumber,
    blockHash: log.blockHash,
    logIndex: log.index,
  };
}

export class AuditAnchorReader {
  private readonly contract: Contract;

  constructor(
    readonly provider: Provider,
    readonly address: string,
  ) {
    this.contract = new Contract(getAddress(address), auditAnchorInterface, provider);
  }

  /** The anchor recorded for `batchId`, or null when the batch was never anchored. */
  async anchorOf(batchId: string): Promise<OnChainAnchor | null> {
    const [trailId, merkleRoot, leafCount, blockNumber, timestamp] = (await this.contract.getFunction('anchorOf')(batchId)) as [string, string, bigint, bigint, bigint];
    if (merkleRoot === ZeroHash) return null;
    return { trailId, merkleRoot, leafCount: Number(leafCount), blockNumber: Number(blockNumber), timestamp: Number(timestamp) };
  }

  async isAnchored(root: string): Promise<boolean> {
    return (await this.contract.getFunction('isAnchored')(root)) as boolean;
  }

  async verifyLeaf(root: string, leafHash: string, proof: string[]): Promise<boolean> {
    return (await this.contract.getFunction('verifyLeaf')(root, leafHash, proof)) as boolean;
  }

  /** Number of roots anchored in trail `trailId`. */
  async anchorCount(trailId: string): Promise<number> {
    return Number((await this.contract.getFunction('anchorCount')(trailId)) as bigint);
  }

  /** The head of trail `trailId`'s root chain; the zero hash before its first anchor. */
  async latestRootOf(trailId: string): Promise<string> {
    return (await this.contract.getFunction('latestRootOf')(trailId)) as string;
  }

  /**
   * The RootAnchored log of `batchId`, found by its indexed batch id (and trail id, when given). `atBlock` (from
   * anchorOf) narrows the query to one block, which every node serves; without it the whole history is searched.
   */
  async findAnchorLog(batchId: string, options: { atBlock?: number; trailId?: string } = {}): Promise<RootAnchoredLog | null> {
    const { atBlock, trailId } = options;
    const logs = await this.provider.getLogs({
      address: this.contract.target as string,
      topics: [ROOT_ANCHORED_TOPIC, trailId ?? null, batchId],
      fromBlock: atBlock ?? 0,
      toBlock: atBlock ?? 'latest',
    });
    for (const log of logs) {
      if (log.removed) continue;
      const decoded = decodeRootAnchored(log);
      if (decoded && decoded.batchId === batchId && (trailId === undefined || decoded.trailId === trailId)) return decoded;
    }
    return null;
  }
}
