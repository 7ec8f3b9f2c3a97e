// `custodian sync --dry-run`: what the batcher would send now, without persisting, signing or sending anything.
import type { DryRunPlan } from '../api/sync';
import type { Db } from '../db/connection';
import { planBatches } from './batcher';
import type { SyncRegistry } from './plugin';
import { SyncStore } from './store';

export type { DryRunPlan };

export function dryRunPlan(db: Db, registry: SyncRegistry, blockGasLimit = 30_000_000): DryRunPlan {
  const store = new SyncStore(db, registry.kinds);
  const pending = store.pendingEvents(Number.MAX_SAFE_INTEGER);
  const invalid: DryRunPlan['invalid'] = [];
  const valid = pending.filter((e) => {
    const parsed = registry.parse(e.kind, e.payload);
    if (!parsed.ok) invalid.push({ id: e.id, reason: parsed.reason });
    return parsed.ok;
  });
  const plans = planBatches(store.origin(), valid, { blockGasLimit, models: registry.gasModels() });
  const queued = db.prepare(`SELECT count(*) FROM sync_batches WHERE state IN ('pending', 'signed', 'sent', 'replaced')`).pluck().get() as number;
  return {
    batches: plans.map((p) => ({ kind: p.kind, contract: registry.contractOf(p.kind), events: p.eventIds.length, estimatedGas: p.estimatedGas, firstEventId: p.eventIds[0]!, lastEventId: p.eventIds.at(-1)! })),
    invalid,
    inFlight: queued,
  };
}
