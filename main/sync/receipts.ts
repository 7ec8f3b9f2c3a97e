// What a mined transaction means for its batch. A batch is confirmed only by a successful receipt of a
// transaction WE signed that holds the batch's applied event; a replay guard that says "already applied" is a flag
// anyone may have set, so it is checked against our own transactions and otherwise is a named failure
// (BATCH_ID_TAKEN) that sends the events again under a new id bound to us. Shared by the sender and the tracker.
import { randomBytes } from 'node:crypto';
import type { TransactionReceipt } from 'ethers';
import { rekeyedBatchId } from './batcher';
import { batchPayloads, contractAddress, escapesByNewId, findAppliedLogs, findOwnReceipt, isAppliedOnChain, receiptApplies, skippedItems } from './chain-io';
import type { SenderContext } from './context';
import { classifyFailure } from './failures';
import { nodeBlockNumber } from './rpc';
import { confirmationsOf } from './rules';
import { isFinal, type Finality } from './finality';
import type { BatchRow } from './store';

export function short(hex: string): string {
  return `${hex.slice(0, 10)}…`;
}

/** Records a mined receipt of ours: included, and confirmed once deep enough. A mined revert is decoded and judged. */
export async function recordReceipt(ctx: SenderContext, batch: BatchRow, receipt: TransactionReceipt): Promise<void> {
  if (receipt.status !== 1) {
    const own = await findOwnReceipt(ctx, batch);
    if (own?.status === 1 && own.hash !== receipt.hash) return recordReceipt(ctx, batch, own);
    if (await isAppliedOnChain(ctx, batch, ctx.address)) {
      return resolveApplied(ctx, batch, `Transaction ${short(receipt.hash)} reverted because batch id ${short(batch.id)} was already used on chain`);
    }
    let message = `Transaction ${short(receipt.hash)} was mined in block ${receipt.blockNumber} but reverted`;
    try {
      await ctx.provider.call({ from: ctx.address, to: contractAddress(ctx, batch), data: ctx.registry.encode(batch.kind, batch.id, batchPayloads(ctx, batch)) });
      message += ' (out of gas or a state that has changed since).';
    } catch (err) {
      message += `: ${classifyFailure(err).message}`;
    }
    ctx.store.markFailed(batch.id, 'revert', message);
    ctx.emit({ state: 'failed', batchId: batch.id, reason: 'revert', message });
    return;
  }
  if (!receiptApplies(ctx, batch, receipt)) {
    const message = `SYNC_BATCH_NOT_APPLIED: transaction ${short(receipt.hash)} succeeded but holds no applied event for batch ${short(batch.id)}; it is not confirmed.`;
    ctx.store.markFailed(batch.id, 'revert', message);
    ctx.emit({ state: 'failed', batchId: batch.id, reason: 'revert', message });
    return;
  }
  // The kind's own reading of its receipt (consent.change: each op it skipped becomes a named conflict), never silent.
  ctx.registry.plugin(batch.kind).onReceipt?.(receipt, { db: ctx.store.db, contract: contractAddress(ctx, batch), sender: ctx.address, batchId: batch.id, events: ctx.store.batchEvents(batch.id) });
  const head = await nodeBlockNumber(ctx.provider);
  const confirmations = confirmationsOf(receipt.blockNumber, head);
  const confirmed = await isFinal(ctx.provider, finalityOf(ctx), receipt.blockNumber, head);
  ctx.store.markIncluded(batch.id, { blockNumber: receipt.blockNumber, blockHash: receipt.blockHash.toLowerCase(), gasUsed: receipt.gasUsed, txHash: receipt.hash, confirmations }, confirmed);
  reportSkipped(ctx, batch, receipt);
  if (confirmed) ctx.emit({ state: 'confirmed', batchId: batch.id, txHash: receipt.hash, blockNumber: receipt.blockNumber });
}

/** Items the contract skipped inside an applied batch: named on their outbox rows and reported, never silent. */
function reportSkipped(ctx: SenderContext, batch: BatchRow, receipt: TransactionReceipt): void {
  const skipped = skippedItems(ctx, batch, receipt);
  if (skipped.length === 0) return;
  const events = ctx.store.batchEvents(batch.id);
  for (const s of skipped) {
    const event = events[s.index];
    if (!event) continue;
    const message = `SYNC_ITEM_SKIPPED: ${s.event}(${s.reason}): outbox event ${event.id} (item ${s.index} of batch ${short(batch.id)}) was not applied by the contract.`;
    ctx.store.noteEventSkipped(event.id, message);
    ctx.emit({ state: 'failed', batchId: batch.id, reason: 'item-skipped', message });
  }
}

/**
 * The chain says the batch id is used, and no transaction we recorded did it. Only a transaction from our own
 * key carrying exactly this batch's calldata (ours, from a database restored from an older copy) confirms it;
 * anything else is BATCH_ID_TAKEN: the batch fails with that reason and its events go again under a new id.
 */
export async function resolveApplied(ctx: SenderContext, batch: BatchRow, why: string): Promise<void> {
  // Encoded only when a log is there to compare with (a node without its history has none), and read from the
  // receipt's sender first: for kinds with sealed payloads (consent terms under a fresh nonce) it never matches.
  let data: string | null = null;
  for (const found of await findAppliedLogs(ctx, batch)) {
    const tx = await ctx.provider.getTransaction(found.txHash);
    if (!tx || tx.from.toLowerCase() !== ctx.address.toLowerCase()) continue;
    data ??= ctx.registry.encode(batch.kind, batch.id, batchPayloads(ctx, batch)).toLowerCase();
    if (tx.data.toLowerCase() !== data) continue;
    const receipt = await ctx.provider.getTransactionReceipt(found.txHash);
    if (receipt && receiptApplies(ctx, batch, receipt)) return recordReceipt(ctx, batch, receipt);
  }
  if (await confirmFromChainState(ctx, batch)) return;
  const taken = `SYNC_BATCH_ID_TAKEN: ${why}, by a transaction this workstation did not sign with this content; the batch is not confirmed`;
  if (!escapesByNewId(ctx, batch, ctx.address)) {
    const message = `${taken}. Its id is inside the payload, so it cannot be resent under a new one.`;
    ctx.store.markFailed(batch.id, 'revert', message);
    ctx.emit({ state: 'failed', batchId: batch.id, reason: 'batch-id-taken', message });
    return;
  }
  const newId = rekeyedBatchId(batch.id, ctx.address, randomBytes(32));
  const message = `${taken}. Its events are sent again as batch ${short(newId)}.`;
  ctx.log.warn(`sync: batch ${short(batch.id)}: ${message}`);
  ctx.store.rekey(batch.id, newId, message);
  ctx.emit({ state: 'failed', batchId: batch.id, reason: 'batch-id-taken', message });
}

/**
 * No receipt of ours holds the batch, yet the contract's replay guard, keyed by keccak(our sender, batch id), says it
 * is applied: a node restarted from its state keeps the guard but not the blocks and receipts. Only our key can set
 * that flag, and our batch id commits to the outbox payloads (batchIdOf; a rekeyed id to the id it replaced), so it
 * proves these payloads were applied, once. Re-encoding the batch to compare calldata cannot: consent terms are
 * sealed with a fresh nonce. The kind reads each op's outcome from the state at the same block (the consent
 * conflicts); the batch is included as of that block, whose depth and hash the tracker then follows.
 */
async function confirmFromChainState(ctx: SenderContext, batch: BatchRow): Promise<boolean> {
  const payloads = batchPayloads(ctx, batch);
  const check = ctx.registry.appliedCheck(batch.kind, batch.id, payloads, ctx.address);
  if (!check.senderBound) return false;
  const block = await ctx.provider.getBlock('latest');
  if (!block?.hash) return false;
  const contract = contractAddress(ctx, batch);
  if (!check.decode(await ctx.provider.call({ to: contract, data: check.data, blockTag: block.number }))) return false;
  await ctx.registry.plugin(batch.kind).onAppliedWithoutReceipt?.({ db: ctx.store.db, provider: ctx.provider, contract, sender: ctx.address, batchId: batch.id, events: ctx.store.batchEvents(batch.id), blockTag: block.number });
  const confirmed = await isFinal(ctx.provider, finalityOf(ctx), block.number, block.number);
  ctx.store.markAppliedByState(batch.id, { blockNumber: block.number, blockHash: block.hash.toLowerCase(), confirmations: confirmationsOf(block.number, block.number) }, confirmed);
  ctx.log.warn(`sync: batch ${short(batch.id)} is applied under our sender-bound id but no receipt of ours is found (node restarted without its history?); confirmed from the chain state at block ${block.number}`);
  if (confirmed) ctx.emit({ state: 'confirmed', batchId: batch.id, txHash: batch.tx_hash ?? '', blockNumber: block.number });
  return true;
}

/** The context's finality, or N blocks deep when the engine set none. */
export function finalityOf(ctx: SenderContext): Finality {
  return ctx.finality ?? { mode: 'depth', confirmations: Math.max(1, ctx.confirmations), reason: 'configured depth' };
}
