// What a mined transaction means for its batch: included (and confirmed once deep enough), already applied by
// another transaction, or reverted with a decoded reason. Shared by the sender's reconcile and the tracker.
import type { TransactionReceipt } from 'ethers';
import { batchPayloads, contractAddress, findAppliedLog, findOwnReceipt, isAppliedOnChain } from './chain-io';
import type { SenderContext } from './context';
import { ConsentConflicts } from './consent-conflicts';
import { encodeBatchCall } from './encoders';
import { classifyFailure } from './failures';
import { nodeBlockNumber } from './rpc';
import { confirmationsOf } from './rules';
import type { BatchRow } from './store';

export function short(hex: string): string {
  return `${hex.slice(0, 10)}…`;
}

/** Records a mined receipt: included, and confirmed once deep enough. A mined revert is decoded and judged. */
export async function recordReceipt(ctx: SenderContext, batch: BatchRow, receipt: TransactionReceipt): Promise<void> {
  if (receipt.status !== 1) {
    if (await isAppliedOnChain(ctx, batch)) {
      // Our transaction lost a race against another that applied the same batch: confirmed, not failed.
      const other = await findOwnReceipt(ctx, batch);
      if (other?.status === 1) return recordReceipt(ctx, batch, other);
      ctx.store.markAppliedElsewhere(batch.id, `Transaction ${short(receipt.hash)} reverted because the batch was already on chain.`);
      return;
    }
    let message = `Transaction ${short(receipt.hash)} was mined in block ${receipt.blockNumber} but reverted`;
    try {
      await ctx.provider.call({ from: ctx.address, to: contractAddress(ctx, batch), data: encodeBatchCall(batch.kind, batch.id, batchPayloads(ctx, batch), ctx) });
      message += ' (out of gas or a state that has changed since).';
    } catch (err) {
      message += `: ${classifyFailure(err).message}`;
    }
    ctx.store.markFailed(batch.id, 'revert', message);
    ctx.emit({ state: 'failed', batchId: batch.id, reason: 'revert', message });
    return;
  }
  if (batch.kind === 'consent.change') {
    // Only this transaction's own BatchApplied (under the id bound to our sender) confirms a consent batch; each op it
    // skipped becomes a named conflict of its outbox event (consent-conflicts.ts), never a silent confirmation.
    const outcome = new ConsentConflicts(ctx.store.db).fromReceipt(receipt, contractAddress(ctx, batch), ctx.address, batch.id, ctx.store.batchEvents(batch.id));
    if (!outcome.applied) {
      const message = `Transaction ${short(receipt.hash)} holds no BatchApplied of batch ${short(batch.id)} from ${ctx.address}; it is not confirmed.`;
      ctx.store.markFailed(batch.id, 'revert', message);
      ctx.emit({ state: 'failed', batchId: batch.id, reason: 'revert', message });
      return;
    }
  }
  const head = await nodeBlockNumber(ctx.provider);
  const confirmations = confirmationsOf(receipt.blockNumber, head);
  const confirmed = confirmations >= Math.max(1, ctx.confirmations);
  ctx.store.markIncluded(batch.id, { blockNumber: receipt.blockNumber, blockHash: receipt.blockHash.toLowerCase(), gasUsed: receipt.gasUsed, txHash: receipt.hash, confirmations }, confirmed);
  if (confirmed) ctx.emit({ state: 'confirmed', batchId: batch.id, txHash: receipt.hash, blockNumber: receipt.blockNumber });
}


export async function confirmAppliedElsewhere(ctx: SenderContext, batch: BatchRow): Promise<void> {
  const found = await findAppliedLog(ctx, batch);
  if (found) {
    const receipt = await ctx.provider.getTransactionReceipt(found.txHash);
    if (receipt) {
      await recordReceipt(ctx, batch, receipt);
      return;
    }
  }
  ctx.store.markAppliedElsewhere(batch.id, 'The chain already holds this batch (applied by a transaction this workstation did not record).');
  ctx.emit({ state: 'confirmed', batchId: batch.id, txHash: found?.txHash ?? '', blockNumber: found?.blockNumber ?? 0 });
}

