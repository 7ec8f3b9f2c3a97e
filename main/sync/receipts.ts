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
import { blockHashAt, nodeBlockNumber } from './rpc';
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
 * is applied. Only our key sets that flag and our batch ids commit to the outbox payloads (batchIdOf; a rekeyed id to
 * the id it replaced), so these payloads were applied, once; re-encoding to compare calldata cannot tell (consent
 * terms are sealed under a fresh nonce). But every other workstation pulls changes from the applied EVENTS, so the
 * flag alone confirms nothing: the batch is confirmed only when its applied event is in a canonical block, from our
 * contract and our sender (a node restarted without its receipts still serves its logs), and is recorded at that
 * log's block and transaction. A flag with no such log (a torn node state: the writes kept, the block and its logs
 * lost) is SYNC_APPLIED_WITHOUT_LOG: the batch fails, named, and its kind sends the changes again with events.
 * True when the batch was settled here either way; false when the flag is not ours to judge (BATCH_ID_TAKEN).
 */
async function confirmFromChainState(ctx: SenderContext, batch: BatchRow): Promise<boolean> {
  const payloads = batchPayloads(ctx, batch);
  const check = ctx.registry.appliedCheck(batch.kind, batch.id, payloads, ctx.address);
  if (!check.senderBound) return false;
  const block = await ctx.provider.getBlock('latest');
  if (!block?.hash) return false;
  const contract = contractAddress(ctx, batch);
  if (!check.decode(await ctx.provider.call({ to: contract, data: check.data, blockTag: block.number }))) return false;
  const plugin = ctx.registry.plugin(batch.kind);
  const state = { db: ctx.store.db, provider: ctx.provider, contract, sender: ctx.address, batchId: batch.id, events: ctx.store.batchEvents(batch.id), blockTag: block.number };
  const log = await ownAppliedLog(ctx, batch);
  if (log) {
    const receipt = await ctx.provider.getTransactionReceipt(log.txHash);
    if (receipt && receipt.from.toLowerCase() === ctx.address.toLowerCase() && receiptApplies(ctx, batch, receipt)) {
      await recordReceipt(ctx, batch, receipt);
      return true;
    }
    // The log, not its receipt: each op's outcome from the contract's state (the consent conflicts), as of the head.
    await plugin.onAppliedWithoutReceipt?.(state);
    const confirmed = await isFinal(ctx.provider, finalityOf(ctx), log.blockNumber, block.number);
    ctx.store.markIncluded(batch.id, { blockNumber: log.blockNumber, blockHash: log.blockHash, gasUsed: null, txHash: log.txHash, confirmations: confirmationsOf(log.blockNumber, block.number) }, confirmed);
    ctx.log.warn(`sync: batch ${short(batch.id)}: no receipt of ours is served, but its applied event is in block ${log.blockNumber} (transaction ${short(log.txHash)}); confirmed from that log`);
    if (confirmed) ctx.emit({ state: 'confirmed', batchId: batch.id, txHash: log.txHash, blockNumber: log.blockNumber });
    return true;
  }
  const resend = plugin.onAppliedWithoutLog ? await plugin.onAppliedWithoutLog(state) : null;
  const message =
    `SYNC_APPLIED_WITHOUT_LOG: batch ${short(batch.id)} (${batch.event_count} ${batch.kind} event(s)) is applied in ${plugin.contract}'s storage under our sender-bound id, ` +
    `but no applied event of ours is in any canonical block (a node state torn by a crash keeps the writes and loses the block and its logs), so no workstation can pull it; it is NOT confirmed. ` +
    (resend ? `${resend.note}.` : `${batch.kind} cannot be sent again (the contract refuses the id and holds the content); it stays failed here.`);
  ctx.log.warn(`sync: ${message}`);
  ctx.store.markAppliedWithoutLog(batch.id, message);
  ctx.emit({ state: 'failed', batchId: batch.id, reason: 'applied-without-log', message });
  return true;
}

/**
 * The batch's applied event in a canonical block (its block hash is the chain's at that height), from our contract
 * (the log filter and a check) and our sender: named by the event's topics where the kind binds them to the sender
 * (ConsentLedger), else by the transaction's sender, or one of the transactions we signed for the batch. Another
 * account's event under the same batch id never counts.
 */
async function ownAppliedLog(ctx: SenderContext, batch: BatchRow): Promise<{ txHash: string; blockNumber: number; blockHash: string } | null> {
  const bindsSender = ctx.registry.plugin(batch.kind).appliedTopicsBindSender === true;
  const signed = new Set(ctx.store.transactionsOf(batch.id).map((t) => t.hash.toLowerCase()));
  const ours = ctx.address.toLowerCase();
  for (const found of await findAppliedLogs(ctx, batch)) {
    if ((await blockHashAt(ctx.provider, found.blockNumber)) !== found.blockHash) continue;
    if (!bindsSender && !signed.has(found.txHash.toLowerCase())) {
      const from = (await ctx.provider.getTransaction(found.txHash))?.from ?? (await ctx.provider.getTransactionReceipt(found.txHash))?.from;
      if (from?.toLowerCase() !== ours) continue;
    }
    return found;
  }
  return null;
}

/** The context's finality, or N blocks deep when the engine set none. */
export function finalityOf(ctx: SenderContext): Finality {
  return ctx.finality ?? { mode: 'depth', confirmations: Math.max(1, ctx.confirmations), reason: 'configured depth' };
}
