// Small chain reads the sender and tracker share: receipts of any of a batch's transactions, whether the chain
// already holds a batch, and the current fees. Every answer is checked, so RPC garbage becomes a named error.
import type { JsonRpcProvider, TransactionReceipt } from 'ethers';
import { AppError } from '../api/errors';
import { suggestFees } from '../chain/provider';
import { addressOf, contractInterface, type ContractAddresses } from './contracts';
import type { SyncRegistry } from './plugin';
import type { BatchRow, SyncStore } from './store';
import type { Fees } from './rules';

export interface ChainContext {
  provider: JsonRpcProvider;
  store: SyncStore;
  chainId: number;
  contracts: ContractAddresses;
  /** The synced kinds' plug-ins: every kind-specific answer comes from here. */
  registry: SyncRegistry;
}

/** Payloads of a batch's events, parsed again (they were validated when batched; a hand edit is caught here). */
export function batchPayloads(ctx: ChainContext, batch: BatchRow): unknown[] {
  return ctx.store.batchEvents(batch.id).map((e) => {
    const parsed = ctx.registry.parse(batch.kind, e.payload);
    if (!parsed.ok) throw new AppError('SYNC_PAYLOAD_INVALID', `Outbox event ${e.id} in batch ${batch.id.slice(0, 10)}… is invalid: ${parsed.reason}`);
    return parsed.value;
  });
}

export function contractAddress(ctx: ChainContext, batch: BatchRow): string {
  const contract = ctx.registry.contractOf(batch.kind);
  const address = addressOf(ctx.contracts, contract);
  if (!address) throw new AppError('SYNC_CONTRACT_NOT_CONFIGURED', `No ${contract} address is configured; batch ${batch.id.slice(0, 10)}… waits.`);
  return address;
}

/** Whether the chain already holds this batch id for `sender` (or for anyone, where the contract keeps ids global). */
export async function isAppliedOnChain(ctx: ChainContext, batch: BatchRow, sender: string): Promise<boolean> {
  const check = ctx.registry.appliedCheck(batch.kind, batch.id, batchPayloads(ctx, batch), sender);
  const ret = await ctx.provider.call({ to: contractAddress(ctx, batch), data: check.data });
  return check.decode(ret);
}

/** Whether a new sync batch id gets the batch's events past a taken id (false for audit roots). */
export function escapesByNewId(ctx: ChainContext, batch: BatchRow, sender: string): boolean {
  return ctx.registry.appliedCheck(batch.kind, batch.id, batchPayloads(ctx, batch), sender).bySyncId;
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

/** The items of `batch` its own receipt says were skipped, with the contract's named reason. */
export function skippedItems(ctx: ChainContext, batch: BatchRow, receipt: TransactionReceipt): { index: number; reason: string; event: string }[] {
  const plugin = ctx.registry.plugin(batch.kind);
  const skip = plugin.skipEvent;
  if (!skip) return [];
  const iface = contractInterface(plugin.contract);
  const address = contractAddress(ctx, batch).toLowerCase();
  const out: { index: number; reason: string; event: string }[] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== address) continue;
    const parsed = iface.parseLog(log);
    if (parsed?.name !== skip.event || String(parsed.args.getValue('batchId')).toLowerCase() !== batch.id.toLowerCase()) continue;
    const code = Number(parsed.args.getValue('reason'));
    out.push({ index: Number(parsed.args.getValue('index')), reason: skip.reasons[code] ?? `reason ${code}`, event: skip.event });
  }
  return out;
}

/**
 * Topics of the batch's applied event (the kind's plug-in says which): the sync batch id, or what binds it to its
 * sender (`sender`, else this workstation), so another account's application never counts as ours.
 */
function appliedTopics(ctx: ChainContext & { address?: string }, batch: BatchRow, sender?: string): string[] {
  return ctx.registry.appliedTopics(batch.kind, batch.id, () => batchPayloads(ctx, batch), sender ?? ctx.address);
}

/** Whether a receipt holds the batch's applied event, emitted by the batch's contract. */
export function receiptApplies(ctx: ChainContext, batch: BatchRow, receipt: TransactionReceipt): boolean {
  if (receipt.status !== 1) return false;
  const address = contractAddress(ctx, batch).toLowerCase();
  const topics = appliedTopics(ctx, batch, receipt.from);
  return receipt.logs.some((log) => log.address.toLowerCase() === address && topics.every((t, i) => log.topics[i]?.toLowerCase() === t));
}

/**
 * Every log that applied this batch id, searched over the last `window` blocks, whoever sent it: the caller
 * decides which (if any) is ours. Logs of any other address, or marked removed, are left out.
 */
export async function findAppliedLogs(ctx: ChainContext & { address?: string }, batch: BatchRow, window = 50_000): Promise<{ txHash: string; blockNumber: number; blockHash: string }[]> {
  const head = await ctx.provider.getBlockNumber();
  const address = contractAddress(ctx, batch);
  const logs = await ctx.provider.getLogs({ address, topics: appliedTopics(ctx, batch), fromBlock: Math.max(0, head - window), toBlock: head });
  return logs
    .filter((log) => !log.removed && log.address.toLowerCase() === address.toLowerCase())
    .map((log) => ({ txHash: log.transactionHash, blockNumber: log.blockNumber, blockHash: log.blockHash.toLowerCase() }));
}

export async function marketFees(ctx: ChainContext): Promise<Fees> {
  return suggestFees(ctx.provider);
}
