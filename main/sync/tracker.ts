// Follows sent batches to finality: receipts (of any fee level), confirmations to the configured depth, stuck
// transactions re-priced, and reorgs caught by re-checking the block hashes of recent inclusions (as OpenTimestamps
// does): a batch whose block left the chain goes back to the queue and is sent again.
import type { TransactionReceipt } from 'ethers';
import { findOwnReceipt } from './chain-io';
import type { SenderContext } from './context';
import { isFinal } from './finality';
import { finalityOf, recordReceipt, short } from './receipts';
import { blockHashAt, nodeBlockNumber, nodeNonce } from './rpc';
import { confirmationsOf } from './rules';
import { bumpFee, settleInFlight } from './sender';
import type { BatchRow } from './store';

/**
 * Waits up to `waitMs` for our outstanding transactions to be mined. Rebroadcasts a 'signed' one (same bytes),
 * re-prices one stuck longer than `stuckAfterMs`. True when nothing of ours is left unmined.
 */
export async function progressInFlight(ctx: SenderContext, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  let pause = 15;
  for (;;) {
    const open = ctx.store.inFlight().filter((b) => b.sender === ctx.address);
    if (open.length === 0) return true;
    for (const batch of open) {
      const receipt = await findOwnReceipt(ctx, batch);
      if (receipt) {
        await recordReceipt(ctx, batch, receipt);
        continue;
      }
      if (batch.state === 'signed') {
        await settleInFlight(ctx, batch, await nodeNonce(ctx.provider, ctx.address, 'latest'));
        continue;
      }
      const age = Date.now() - Date.parse(batch.signed_at ?? batch.updated_at);
      if (age > ctx.stuckAfterMs) {
        const latest = await nodeNonce(ctx.provider, ctx.address, 'latest');
        if (batch.nonce !== null && batch.nonce < latest) await settleInFlight(ctx, batch, latest);
        else if (batch.nonce !== null && batch.nonce > latest && !open.some((b) => b.nonce === latest)) {
          // Waiting behind a nonce nobody will fill (a foreign transaction that was dropped): a higher fee would
          // not help. Queue the batch again at the node's nonce; the contract's replay guard keeps it single.
          const message = `Nonce gap: batch ${short(batch.id)} waits at nonce ${batch.nonce} but the node is at ${latest} with nothing of ours in between; sending it again at ${latest}.`;
          ctx.store.requeue(batch.id, 'replaced', 'nonce', message);
          ctx.store.setNextNonce(ctx.chainId, ctx.address, latest);
          ctx.emit({ state: 'failed', batchId: batch.id, reason: 'nonce', message });
        } else await bumpFee(ctx, batch);
      }
    }
    if (Date.now() >= deadline) return ctx.store.inFlight().every((b) => b.sender !== ctx.address);
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 500);
  }
}

/** Re-counts confirmations of included batches and promotes those deep enough; a vanished receipt is a reorg. */
export async function updateConfirmations(ctx: SenderContext): Promise<void> {
  const waiting = ctx.store.awaitingConfirmations();
  if (waiting.length === 0) return;
  const head = await nodeBlockNumber(ctx.provider);
  for (const batch of waiting) {
    const receipt = batch.tx_hash ? await ctx.provider.getTransactionReceipt(batch.tx_hash) : null;
    // Included by its applied log while the node serves no receipt (restarted without its history): the block, by
    // its hash, still holds it; a changed hash is a reorg as for a receipt.
    const stillThere = !receipt && batch.tx_hash && batch.block_number !== null && (await blockHashAt(ctx.provider, batch.block_number)) === batch.block_hash;
    if (!stillThere && (!receipt || receipt.blockHash.toLowerCase() !== batch.block_hash)) {
      await reorged(ctx, batch, receipt);
      continue;
    }
    const at = receipt ? { blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, txHash: receipt.hash } : { blockNumber: batch.block_number!, gasUsed: null, txHash: batch.tx_hash! };
    const confirmations = confirmationsOf(at.blockNumber, head);
    const confirmed = await isFinal(ctx.provider, finalityOf(ctx), at.blockNumber, head);
    ctx.store.markIncluded(batch.id, { ...at, blockHash: batch.block_hash!, confirmations }, confirmed);
    if (confirmed) ctx.emit({ state: 'confirmed', batchId: batch.id, txHash: at.txHash, blockNumber: at.blockNumber });
  }
}

/**
 * Re-checks the block hash of every batch confirmed within the last `depth` blocks. A changed or missing block
 * means a reorg: the batch is re-recorded if its transaction landed elsewhere, else queued again.
 */
export async function checkReorgs(ctx: SenderContext, depth: number): Promise<string[]> {
  const head = await nodeBlockNumber(ctx.provider);
  const recent = ctx.store.recentConfirmed(Math.max(0, head - depth));
  const hashes = new Map<number, string | null>();
  const requeued: string[] = [];
  for (const batch of recent) {
    if (batch.block_number === null || batch.block_hash === null) continue;
    if (!hashes.has(batch.block_number)) hashes.set(batch.block_number, await blockHashAt(ctx.provider, batch.block_number));
    if (hashes.get(batch.block_number) === batch.block_hash) {
      // Still there: refresh the depth shown to people.
      continue;
    }
    const receipt = batch.tx_hash ? await ctx.provider.getTransactionReceipt(batch.tx_hash) : null;
    if (await reorged(ctx, batch, receipt)) requeued.push(batch.id);
  }
  return requeued;
}

/** Handles a batch whose recorded block is gone. True when it was queued again. */
async function reorged(ctx: SenderContext, batch: BatchRow, receipt: TransactionReceipt | null): Promise<boolean> {
  if (receipt && receipt.status === 1) {
    ctx.log.warn(`sync: reorg moved batch ${short(batch.id)} from block ${batch.block_number} to ${receipt.blockNumber}`);
    await recordReceipt(ctx, batch, receipt);
    return false;
  }
  const message = `Block ${batch.block_number} (${short(batch.block_hash ?? '')}) that held this batch left the chain (reorg); the batch is queued again.`;
  ctx.log.warn(`sync: batch ${short(batch.id)}: ${message}`);
  ctx.store.requeue(batch.id, 'pending', 'reorg', message);
  ctx.emit({ state: 'failed', batchId: batch.id, reason: 'reorg', message });
  return true;
}
