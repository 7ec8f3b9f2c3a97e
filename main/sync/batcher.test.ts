// The batcher's pure rules, table-driven: gas budget per batch, items per batch by kind, grouping and order,
// and batch ids that depend on exactly the batch's contents.
import { describe, expect, it } from 'vitest';
import { batchIdOf, estimateGas, gasBudget, itemsPerBatch, planBatches, type PendingEvent } from './batcher';
import { TEST_REGISTRY } from './fixtures/chain';

const models = TEST_REGISTRY.gasModels();
type SyncKind = (typeof TEST_REGISTRY.kinds)[number];

const origin = `0x${'aa'.repeat(32)}`;
const ev = (id: number, kind: SyncKind = 'consent.change', payload = `{"n":${id}}`): PendingEvent => ({ id, kind, payload });

describe('gas budget and items per batch', () => {
  it.each([
    ['anvil default block (30M): the consent item cap binds under the EIP-7825 cap', 30_000_000, 'consent.change', Math.floor(16_777_216 * 0.8), 400],
    ['small block (8M): half of it', 8_000_000, 'consent.change', 4_000_000, Math.floor((4_000_000 - 80_000) / 12_000)],
    ['credential statuses on 30M: the item cap binds', 30_000_000, 'credential.status', Math.floor(16_777_216 * 0.8), 250],
    ['audit roots: always one', 30_000_000, 'audit.root', Math.floor(16_777_216 * 0.8), 1],
    ['a block too small for even one still gives one', 100_000, 'consent.change', 50_000, 1],
  ] as const)('%s', (_n, blockGasLimit, kind, budget, items) => {
    expect(gasBudget({ blockGasLimit })).toBe(budget);
    expect(itemsPerBatch(kind, { blockGasLimit, models })).toBe(items);
    expect(estimateGas(kind, items, { models })).toBeLessThanOrEqual(Math.max(budget, estimateGas(kind, 1, { models })));
  });

  it('keeps every planned consent batch under 16,777,216 gas at the measured worst case with the 20% limit buffer', () => {
    const items = itemsPerBatch('consent.change', { blockGasLimit: 60_000_000, models });
    expect(estimateGas('consent.change', items, { models }) * 1.2).toBeLessThan(16_777_216);
    // Above the measured cost of an op (contracts/test/ConsentLedger.test.ts: ~9,100 gas, new key or not).
    expect(models['consent.change']!.perItem).toBeGreaterThan(9_500);
  });
});

describe('planBatches', () => {
  it.each([
    ['nothing pending', [], {}, []],
    ['one kind under the cap', [ev(1), ev(2), ev(3)], {}, [['consent.change', [1, 2, 3]]]],
    ['cut at the item cap, in id order whatever the input order', [ev(3), ev(1), ev(2), ev(5), ev(4)], { 'consent.change': 2 }, [['consent.change', [1, 2]], ['consent.change', [3, 4]], ['consent.change', [5]]]],
    [
      'grouped by kind, oldest batch first',
      [ev(1, 'audit.root'), ev(2), ev(3, 'credential.status'), ev(4, 'audit.root'), ev(5)],
      {},
      [['audit.root', [1]], ['consent.change', [2, 5]], ['credential.status', [3]], ['audit.root', [4]]],
    ],
  ] as const)('%s', (_n, events, maxItems, expected) => {
    const plans = planBatches(origin, events as unknown as PendingEvent[], { blockGasLimit: 30_000_000, maxItems, models });
    expect(plans.map((p) => [p.kind, p.eventIds])).toEqual(expected);
    for (const p of plans) expect(p.estimatedGas).toBe(estimateGas(p.kind, p.eventIds.length, { models }));
  });

  it('names a batch by its contents: same events same id; any change (event, payload, origin, kind) a new one', () => {
    const a = [ev(1), ev(2)];
    const id = batchIdOf(origin, 'consent.change', a);
    expect(id).toMatch(/^0x[0-9a-f]{64}$/);
    expect(planBatches(origin, a, { blockGasLimit: 30_000_000, models })[0]!.id).toBe(id);
    expect(batchIdOf(origin, 'consent.change', [ev(1), ev(2)])).toBe(id);
    const variants = [
      batchIdOf(origin, 'consent.change', [ev(1)]),
      batchIdOf(origin, 'consent.change', [ev(1), ev(3)]),
      batchIdOf(origin, 'consent.change', [ev(1), ev(2, 'consent.change', '{"n":22}')]),
      batchIdOf(`0x${'bb'.repeat(32)}`, 'consent.change', a),
      batchIdOf(origin, 'credential.status', a),
    ];
    expect(new Set([id, ...variants]).size).toBe(6);
  });
});
