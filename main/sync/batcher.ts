// The batcher: groups pending outbox events by kind into batches bounded by count and by estimated gas, and names
// each batch by keccak256 of its contents. Pure: the store feeds it rows and persists what it plans.
import { AbiCoder, keccak256, toUtf8Bytes } from 'ethers';
import { MAX_TX_GAS } from '../chain/provider';
import type { GasModel } from './plugin';

export interface PendingEvent {
  id: number;
  kind: string;
  /** The outbox row's payload text, exactly as stored (its hash is part of the batch id). */
  payload: string;
}

export interface BatchPlan {
  id: string;
  kind: string;
  eventIds: number[];
  estimatedGas: number;
}

export interface BatchLimits {
  /** Block gas limit of the chain (latest block); the batch uses at most `blockFraction` of it. */
  blockGasLimit: number;
  /** Share of a block one batch may fill (default 0.5), so other traffic still fits. */
  blockFraction?: number;
  /** Share of the EIP-7825 per-transaction cap the plan may use (default 0.8): the gas limit adds 20% on top. */
  txCapFraction?: number;
  /** Override of the per-kind item limit (tests, the benchmark, a halving after an oversized estimate). */
  maxItems?: Partial<Record<string, number>>;
  /** Gas model of each kind: the registry's (SyncRegistry.gasModels), with any overrides. */
  models: Readonly<Record<string, GasModel>>;
}

const coder = AbiCoder.defaultAbiCoder();
export const BATCH_ID_DOMAIN = 'custodian.sync.batch.v1';

/**
 * keccak256(abi.encode(domain, origin, kind, eventIds, payloadHashes)). The origin is this database's random id,
 * so two workstations never mint the same id; the event ids make a repeated identical change a new batch.
 */
export function batchIdOf(origin: string, kind: string, events: readonly Pick<PendingEvent, 'id' | 'payload'>[]): string {
  const hashes = events.map((e) => keccak256(toUtf8Bytes(e.payload)));
  return keccak256(coder.encode(['string', 'bytes32', 'string', 'uint256[]', 'bytes32[]'], [BATCH_ID_DOMAIN, origin, kind, events.map((e) => e.id), hashes]));
}

export const REKEY_DOMAIN = 'custodian.sync.batch.rekey.v1';

/**
 * A fresh id for a batch whose id another party used first: bound to the sender and to a random salt, so it can
 * neither be predicted from the old id nor collide with one already on chain.
 */
export function rekeyedBatchId(oldId: string, sender: string, salt: Uint8Array): string {
  return keccak256(coder.encode(['string', 'bytes32', 'address', 'bytes32'], [REKEY_DOMAIN, oldId, sender, salt]));
}

/** Gas budget one batch may plan with under `limits`. */
export function gasBudget(limits: Pick<BatchLimits, 'blockGasLimit' | 'blockFraction' | 'txCapFraction'>): number {
  const txCap = Number(MAX_TX_GAS) * (limits.txCapFraction ?? 0.8);
  const blockCap = limits.blockGasLimit * (limits.blockFraction ?? 0.5);
  return Math.floor(Math.min(txCap, blockCap));
}

/** Most items of `kind` that fit one batch. At least one, so a lone oversized item surfaces as a send error. */
function modelOf(kind: string, limits: Pick<BatchLimits, 'models'>): GasModel {
  const model = limits.models[kind];
  if (!model) throw new RangeError(`no gas model for outbox kind ${kind}`);
  return model;
}

export function itemsPerBatch(kind: string, limits: BatchLimits): number {
  const model = modelOf(kind, limits);
  const byGas = model.perItem > 0 ? Math.floor((gasBudget(limits) - model.base) / model.perItem) : model.maxItems;
  return Math.max(1, Math.min(model.maxItems, limits.maxItems?.[kind] ?? Infinity, byGas));
}

export function estimateGas(kind: string, items: number, limits: Pick<BatchLimits, 'models'>): number {
  const model = modelOf(kind, limits);
  return model.base + model.perItem * items;
}

/**
 * Plans batches over `events` (any order): per kind in id order, cut at the item limit. A trailing partial batch
 * is planned too; the engine waits for more events only by when it runs, never here.
 */
export function planBatches(origin: string, events: readonly PendingEvent[], limits: BatchLimits): BatchPlan[] {
  const byKind = new Map<string, PendingEvent[]>();
  for (const e of events) {
    const list = byKind.get(e.kind) ?? [];
    list.push(e);
    byKind.set(e.kind, list);
  }
  const plans: BatchPlan[] = [];
  for (const [kind, list] of byKind) {
    list.sort((a, b) => a.id - b.id);
    const size = itemsPerBatch(kind, limits);
    for (let i = 0; i < list.length; i += size) {
      const chunk = list.slice(i, i + size);
      plans.push({ id: batchIdOf(origin, kind, chunk), kind, eventIds: chunk.map((e) => e.id), estimatedGas: estimateGas(kind, chunk.length, limits) });
    }
  }
  // Oldest first across kinds, so the sender keeps the outbox's order (audit roots must go in order).
  return plans.sort((a, b) => a.eventIds[0]! - b.eventIds[0]!);
}
