// The sender: signs one batch at a time with its own nonce (persisted, reconciled with the node on every connect),
// EIP-1559 fees, write-ahead (signed tx and hash stored before broadcast), and fee bumps with the same nonce.
import { Transaction } from 'ethers';
import { AppError } from '../api/errors';
import { MAX_TX_GAS } from '../chain/provider';
import { batchPayloads, contractAddress, findOwnReceipt, isAppliedOnChain, marketFees } from './chain-io';
import type { Notice, SendOutcome, SendStep, SenderContext } from './context';
import { classifyFailure, isAlreadyKnown, type FailureSubtype, type SyncFailure } from './failures';
import { nodeNonce } from './rpc';
import { bumpFees, consumedNonceOutcome, reconcileNonce } from './rules';
import type { BatchRow, ErrorSubtype, SignedTx } from './store';
import { recordReceipt, resolveApplied, short } from './receipts';

const GAS_BUFFER_PERCENT = 20n;

async function step(ctx: SenderContext, name: SendStep, batchId: string): Promise<void> {
  if (ctx.failpoint) await ctx.failpoint(name, batchId);
}

/** Broadcasts a raw transaction; "already known" counts as accepted. Throws the node's error otherwise. */
async function broadcast(ctx: SenderContext, raw: string): Promise<void> {
  ctx.onBroadcast?.(raw);
  try {
    const hash = (await ctx.provider.send('eth_sendRawTransaction', [raw])) as unknown;
    if (typeof hash !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(hash)) throw new AppError('SYNC_RPC_GARBAGE', `eth_sendRawTransaction answered ${JSON.stringify(hash)?.slice(0, 40)}`);
  } catch (err) {
    if (!isAlreadyKnown(err)) throw err;
  }
}

/**
 * After a (re)connect: settle every batch whose transaction is signed or sent but not mined, then set the next
 * nonce from the node's counts. Nothing is resent blindly: a mined receipt, the contract's replay guard, or the
 * node's pool decides; only the very same signed bytes are rebroadcast.
 */
export async function reconcile(ctx: SenderContext): Promise<Notice[]> {
  const notices: Notice[] = [];
  const latest = await nodeNonce(ctx.provider, ctx.address, 'latest');
  for (const batch of ctx.store.inFlight()) {
    if (batch.sender && batch.sender !== ctx.address) continue; // another key's batch (key rotated): left alone
    const n = await settleInFlight(ctx, batch, latest);
    if (n) notices.push(n);
  }
  const pending = await nodeNonce(ctx.provider, ctx.address, 'pending');
  const stored = ctx.store.sender(ctx.chainId, ctx.address)?.next_nonce ?? null;
  const inFlight = ctx.store.inFlight().flatMap((b) => (b.nonce === null || b.sender !== ctx.address ? [] : [b.nonce]));
  const decision = reconcileNonce({ stored, nodeLatest: await nodeNonce(ctx.provider, ctx.address, 'latest'), nodePending: pending, inFlight });
  ctx.store.setNextNonce(ctx.chainId, ctx.address, decision.next, false, { latest, pending });
  if (decision.notice) {
    ctx.log.warn(`sync: ${decision.notice.message}`);
    notices.push(decision.notice);
  }
  return notices;
}

/** One in-flight batch: mined (by any of our prices), applied by someone else, replaced, or rebroadcast as is. */
export async function settleInFlight(ctx: SenderContext, batch: BatchRow, latestNonce: number): Promise<Notice | null> {
  const receipt = await findOwnReceipt(ctx, batch);
  if (receipt) {
    await recordReceipt(ctx, batch, receipt);
    return receipt.hash !== batch.tx_hash ? { kind: 'repriced', message: `Batch ${short(batch.id)} was mined at an earlier fee (${short(receipt.hash)}).` } : null;
  }
  if (batch.nonce !== null && batch.nonce < latestNonce) {
    const applied = await isAppliedOnChain(ctx, batch, ctx.address);
    const outcome = consumedNonceOutcome(false, applied);
    if (outcome === 'applied-elsewhere') {
      await resolveApplied(ctx, batch, `Nonce ${batch.nonce} was used by a transaction we did not record and batch id ${short(batch.id)} is already used on chain`);
      return null;
    }
    const message = `Nonce ${batch.nonce} was used by another transaction from ${ctx.address} (not one of ours); batch ${short(batch.id)} is sent again with a new nonce.`;
    ctx.store.requeue(batch.id, 'replaced', 'nonce', message);
    ctx.emit({ state: 'failed', batchId: batch.id, reason: 'nonce', message });
    return { kind: 'replaced', message };
  }
  if (batch.raw_tx) {
    await broadcast(ctx, batch.raw_tx);
    ctx.store.markSent(batch.id, batch.tx_hash!);
  }
  return null;
}

/** Signs and broadcasts the oldest sendable batch. Call only with no unmined transaction of ours outstanding. */
export async function sendNext(ctx: SenderContext): Promise<SendOutcome> {
  const batch = ctx.store.nextSendable();
  if (!batch) return { kind: 'none' };
  ctx.emit({ state: 'sending', batchId: batch.id, events: batch.event_count });
  const to = contractAddress(ctx, batch);
  const data = ctx.registry.encode(batch.kind, batch.id, batchPayloads(ctx, batch));

  let estimate: bigint;
  try {
    estimate = await ctx.provider.estimateGas({ from: ctx.address, to, data });
  } catch (err) {
    const failure = classifyFailure(err, { rpcUrl: ctx.rpcUrl });
    if (failure.subtype !== 'revert') throw err;
    // AuditAnchor's HeadAlreadyAnchored says only that this size is taken in our trail: it is ours to confirm only
    // when our own trail holds this very root (isAppliedOnChain asks rootOf(sender, size)); else it failed. Any other
    // used id: by a transaction of ours (a resend after a crash: its receipt confirms), or by someone else
    // (BATCH_ID_TAKEN: never a confirmation; the events go again under a new id).
    const ownHead = failure.errorName === 'HeadAlreadyAnchored' && batch.kind === 'audit.root' && (await isAppliedOnChain(ctx, batch, ctx.address));
    if (failure.alreadyApplied || ownHead) {
      const own = await findOwnReceipt(ctx, batch);
      if (own?.status === 1) {
        await recordReceipt(ctx, batch, own);
        return { kind: 'confirmed', batchId: batch.id };
      }
      await resolveApplied(ctx, batch, `The contract refuses batch ${short(batch.id)}: ${failure.errorName ?? 'already applied'}`);
      return ctx.store.batch(batch.id)?.state === 'failed' ? { kind: 'failed', batchId: batch.id, failure } : { kind: 'confirmed', batchId: batch.id };
    }
    ctx.store.markFailed(batch.id, 'revert', failure.message);
    ctx.emit({ state: 'failed', batchId: batch.id, reason: 'revert', message: failure.message });
    return { kind: 'failed', batchId: batch.id, failure };
  }
  if (estimate > (MAX_TX_GAS * 9n) / 10n) {
    ctx.log.warn(`sync: batch ${short(batch.id)} needs ${estimate} gas, near the per-transaction cap; splitting it`);
    ctx.store.dissolve(batch.id);
    return { kind: 'split', batchId: batch.id, eventKind: batch.kind };
  }
  await step(ctx, 'estimated', batch.id);
  const buffered = (estimate * (100n + GAS_BUFFER_PERCENT)) / 100n;
  const gasLimit = buffered > MAX_TX_GAS ? MAX_TX_GAS : buffered;
  const fees = underCeiling(ctx, await marketFees(ctx));
  const balance = await ctx.provider.getBalance(ctx.address);
  const worstCost = gasLimit * fees.maxFeePerGas;
  if (balance < worstCost) {
    const message = `The signing account ${ctx.address} holds ${formatEth(balance)} ETH but batch ${short(batch.id)} may cost up to ${formatEth(worstCost)} ETH (${gasLimit} gas at ${fees.maxFeePerGas} wei). Fund the account; sync resumes by itself.`;
    ctx.store.noteError(batch.id, 'funds', message);
    throw new AppError('SYNC_INSUFFICIENT_FUNDS', message, { address: ctx.address, balance: balance.toString(), needed: worstCost.toString() });
  }
  const nonce = await nextNonceChecked(ctx);
  const signed = await sign(ctx, { to, data, nonce, gasLimit, ...fees });
  await step(ctx, 'signed', batch.id);
  ctx.store.recordSigned(batch.id, signed, false);
  await step(ctx, 'written', batch.id);
  return broadcastSigned(ctx, { ...batch, nonce, tx_hash: signed.hash, raw_tx: signed.raw }, signed);
}

/**
 * The nonce for a new transaction, checked against the node's pending count (nothing of ours is in flight when
 * this runs): a reorg that dropped our transactions, a gap, or another process using the key is noticed here,
 * before a transaction is signed with a nonce the node would park or refuse.
 */
async function nextNonceChecked(ctx: SenderContext): Promise<number> {
  const stored = ctx.store.sender(ctx.chainId, ctx.address)?.next_nonce ?? null;
  const pending = await nodeNonce(ctx.provider, ctx.address, 'pending');
  const decision = reconcileNonce({ stored, nodeLatest: pending, nodePending: pending, inFlight: [] });
  if (decision.notice) {
    ctx.log.warn(`sync: ${decision.notice.message}`);
    ctx.emit({ state: 'failed', batchId: null, reason: 'nonce', message: decision.notice.message });
    ctx.store.setNextNonce(ctx.chainId, ctx.address, decision.next, false, { latest: pending, pending });
    ctx.notices?.push(decision.notice);
  }
  return decision.next;
}

async function broadcastSigned(ctx: SenderContext, batch: BatchRow, signed: SignedTx): Promise<SendOutcome> {
  try {
    await broadcast(ctx, signed.raw);
  } catch (err) {
    const failure = classifyFailure(err, { rpcUrl: ctx.rpcUrl });
    if (failure.subtype === 'nonce') {
      // The nonce is taken: by one of our own earlier transactions (mined), or by another process.
      const latest = await nodeNonce(ctx.provider, ctx.address, 'latest');
      const notice = await settleInFlight(ctx, batch, Math.max(latest, signed.nonce + 1));
      await reconcile(ctx);
      return notice?.kind === 'replaced' ? { kind: 'requeued', batchId: batch.id } : { kind: 'sent', batchId: batch.id, txHash: signed.hash };
    }
    if (failure.subtype === 'funds' || failure.subtype === 'revert') {
      // Refused outright: the node did not take the nonce. Give it back and park or retry the batch.
      ctx.store.requeue(batch.id, 'pending', failure.subtype, failure.message);
      ctx.store.setNextNonce(ctx.chainId, ctx.address, signed.nonce);
      if (failure.subtype === 'revert') {
        ctx.store.markFailed(batch.id, 'revert', failure.message);
        ctx.emit({ state: 'failed', batchId: batch.id, reason: 'revert', message: failure.message });
        return { kind: 'failed', batchId: batch.id, failure };
      }
    }
    // Offline, timeout, garbage: the node may or may not have it. The write-ahead row lets reconcile decide.
    ctx.store.noteError(batch.id, batchSubtype(failure.subtype), failure.message);
    throw err;
  }
  await step(ctx, 'broadcast', batch.id);
  ctx.store.markSent(batch.id, signed.hash);
  await step(ctx, 'marked-sent', batch.id);
  ctx.emit({ state: 'sent', batchId: batch.id, txHash: signed.hash });
  return { kind: 'sent', batchId: batch.id, txHash: signed.hash };
}

interface TxFields {
  to: string;
  data: string;
  nonce: number;
  gasLimit: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

async function sign(ctx: SenderContext, f: TxFields): Promise<SignedTx> {
  const raw = await ctx.wallet.signTransaction({ type: 2, chainId: ctx.chainId, value: 0n, ...f });
  const hash = Transaction.from(raw).hash!;
  return { hash, raw, chainId: ctx.chainId, sender: ctx.address, nonce: f.nonce, gasLimit: f.gasLimit, maxFeePerGas: f.maxFeePerGas, maxPriorityFeePerGas: f.maxPriorityFeePerGas };
}

/** Re-prices a stuck transaction: same nonce, same call, fees up by >= 10% (write-ahead as for the first). */
export async function bumpFee(ctx: SenderContext, batch: BatchRow): Promise<string> {
  if (batch.nonce === null || !batch.raw_tx) throw new Error(`batch ${batch.id} has no transaction to re-price`);
  const old = Transaction.from(batch.raw_tx);
  const fees = bumpFees({ maxFeePerGas: old.maxFeePerGas ?? 0n, maxPriorityFeePerGas: old.maxPriorityFeePerGas ?? 0n }, await marketFees(ctx), ctx.feeBumpPercent);
  if (ctx.maxFeePerGas && fees.maxFeePerGas > ctx.maxFeePerGas) {
    // Stop bidding: the transaction keeps its place at its current price and may still be mined; a person decides.
    const message = `SYNC_FEE_CEILING: batch ${short(batch.id)} (nonce ${batch.nonce}) is stuck at ${gwei(old.maxFeePerGas ?? 0n)} gwei; re-pricing needs ${gwei(fees.maxFeePerGas)} gwei, above the ceiling of ${gwei(ctx.maxFeePerGas)} gwei (chain.maxFeePerGasGwei). It is not re-priced; raise the ceiling or wait for lower fees.`;
    ctx.store.noteError(batch.id, 'funds', message);
    throw new AppError('SYNC_FEE_CEILING', message, { batchId: batch.id, needed: fees.maxFeePerGas.toString(), ceiling: ctx.maxFeePerGas.toString() });
  }
  const signed = await sign(ctx, { to: old.to!, data: old.data, nonce: batch.nonce, gasLimit: old.gasLimit, ...fees });
  ctx.store.recordSigned(batch.id, signed, true);
  await step(ctx, 'bump-written', batch.id);
  ctx.log.info(`sync: batch ${short(batch.id)} re-priced to ${fees.maxFeePerGas} wei (nonce ${batch.nonce}) as ${short(signed.hash)}`);
  try {
    await broadcast(ctx, signed.raw);
    ctx.store.markSent(batch.id, signed.hash);
  } catch (err) {
    const failure = classifyFailure(err, { rpcUrl: ctx.rpcUrl });
    ctx.store.noteError(batch.id, batchSubtype(failure.subtype), failure.message);
    if (failure.subtype !== 'nonce') throw err;
    // Nonce used meanwhile: one of our prices was mined, or another transaction took it; settle decides.
    await settleInFlight(ctx, { ...batch, tx_hash: signed.hash, raw_tx: signed.raw }, batch.nonce + 1);
  }
  ctx.emit({ state: 'sent', batchId: batch.id, txHash: signed.hash });
  return signed.hash;
}

/** The market's fees for a first send, capped at the configured ceiling (the tip never above the cap). */
function underCeiling(ctx: SenderContext, fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }): { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } {
  const cap = ctx.maxFeePerGas;
  if (!cap || fees.maxFeePerGas <= cap) return fees;
  return { maxFeePerGas: cap, maxPriorityFeePerGas: fees.maxPriorityFeePerGas > cap ? cap : fees.maxPriorityFeePerGas };
}

function gwei(wei: bigint): string {
  return (Number(wei) / 1e9).toFixed(3);
}

function formatEth(wei: bigint): string {
  const whole = wei / 10n ** 18n;
  const frac = (wei % 10n ** 18n).toString().padStart(18, '0').slice(0, 6);
  return `${whole}.${frac}`;
}

/**
 * A batch row's error subtype (0003 CHECK) for a classified failure. The key is unlocked before any batch is signed,
 * so a signer failure cannot arise while sending one; were it to, it is recorded as an RPC-side error.
 */
function batchSubtype(subtype: FailureSubtype): ErrorSubtype {
  return subtype === 'signer' ? 'rpc' : subtype;
}
