// Small chain reads the sender and tracker share: receipts of any of a batch's transactions, whether the chain
// already holds a batch, and the current fees. Every answer is checked, so RPC garbage becomes a named error.
import type { JsonRpcProvider, TransactionReceipt } from 'ethers';
import { AppError } from '../api/errors';
import { suggestFees } from '../chain/provider';
import { addressOfKind, contractInterface, CONTRACT_OF_KIND, type ContractAddresses } from './contracts';
import { boundBatchIdOf } from './consent-state';
import { appliedCheckCall } from './encoders';
import { parsePayload, type AuditRootPayload } from './payloads';
import type { BatchRow, SyncStore } from './store';
import type { Fees } from './rules';

export interface ChainContext {
  provider: JsonRpcProvider;
  store: SyncStore;
  chainId: number;
  contracts: ContractAddresses;
}

/** Payloads of a batch's events, parsed again (they were validated when batched; a hand edit is caught here). */
export function batchPayloads(ctx: ChainContext, batch: BatchRow): unknown[] {
  return ctx.store.batchEvents(batch.id).map((e) => {
    const parsed = parsePayload(batch.kind, e.payload);
    if (!parsed.ok) throw new AppError('SYNC_PAYLOAD_INVALID', `Outbox event ${e.id} in batch ${batch.id.slice(0, 10)}… is invalid: ${parsed.reason}`);
    return parsed.value;
  });
}

export function contractAddress(ctx: ChainContext, batch: BatchRow): string {
  const address = addressOfKind(ctx.contracts, batch.kind);
  if (!address) throw new AppError('SYNC_CONTRACT_NOT_CONFIGURED', `No ${CONTRACT_OF_KIND[batch.kind]} address is configured; batch ${batch.id.slice(0, 10)}… waits.`);
  return address;
}

/** Whether the contract already holds this batch (its replay guard says so). */
export async function isAppliedOnChain(ctx: ChainContext & { address?: string }, batch: BatchRow): Promise<boolean> {
  const check = appliedCheckCall(batch.kind, batch.id, batchPayloads(ctx, batch), ctx.address);
  const ret = await ctx.provider.call({ to: contractAddress(ctx, batch), data: check.data });
  return check.decode(ret);
}

/** The first successful receipt among every transaction ever signed for the batch (any fee level), if mined. */
export async function findOwnReceipt(ctx: ChainContext, batch: BatchRow): Promise<TransactionReceipt | null> {
  const hashes = new Set(ctx.store.transactionsOf(batch.id).map((t) => t.hash));
  if (batch.tx_hash) hashes.add(batch.tx_hash);
  let reverted: TransactionReceipt | null = null;
  for (const hash of [...hashes].reverse()) {
    const receipt = await ctx.provider.getTransactionReceipt(hash);
    if (receipt?.status === 1) return receipt;
    if (receipt) reverted = receipt;
  }
  return reverted;
}

const APPLIED_EVENT: Record<BatchRow['kind'], string> = {
  'consent.change': 'BatchApplied',
  'credential.status': 'StatusBatchApplied',
  'audit.root': 'RootAnchored',
  'agreement.propose': 'SharingBatchApplied',
  'agreement.sign': 'SharingBatchApplied',
  'agreement.terminate': 'SharingBatchApplied',
  'claim.record': 'BatchApplied',
};

/** The log that applied the batch, searched over the last `window` blocks (for a batch applied by a transaction we do not have). */
export async function findAppliedLog(ctx: ChainContext & { address?: string }, batch: BatchRow, window = 50_000): Promise<{ txHash: string; blockNumber: number; blockHash: string } | null> {
  const iface = contractInterface(CONTRACT_OF_KIND[batch.kind]);
  const topic0 = iface.getEvent(APPLIED_EVENT[batch.kind])!.topicHash;
  // RootAnchored is indexed by trail id first, then by the audit batch id; the other events by the sync batch id.
  let topics = [topic0, batch.id.toLowerCase()];
  if (batch.kind === 'audit.root') {
    const p = batchPayloads(ctx, batch)[0] as AuditRootPayload;
    topics = [topic0, p.trailId.toLowerCase(), p.batchId.toLowerCase()];
  }
  // ConsentLedger indexes the batch id bound to its sender: another sender's batch of the same id never matches.
  if (batch.kind === 'consent.change') topics = [topic0, boundBatchIdOf(ctx.address ?? `0x${'00'.repeat(20)}`, batch.id)];
  const head = await ctx.provider.getBlockNumber();
  const logs = await ctx.provider.getLogs({ address: contractAddress(ctx, batch), topics, fromBlock: Math.max(0, head - window), toBlock: head });
  const log = logs[0];
  return log ? { txHash: log.transactionHash, blockNumber: log.blockNumber, blockHash: log.blockHash } : null;
}

export async function marketFees(ctx: ChainContext): Promise<Fees> {
  return suggestFees(ctx.provider);
}
