// External-network finality and fee ceiling, on a real node: a batch is confirmed once the node's 'finalized' block
// reaches it (anvil's lags 64 blocks; EDR's is the head), a node without the tag falls back to N blocks deep and
// says so, and re-pricing a stuck transaction stops at the configured ceiling with SYNC_FEE_CEILING.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suggestFees } from '../chain/provider';
import { finalizedBlockNumber, finalityText } from './finality';
import { auditRootPayload, enqueue, openTestDb, startTestChain, tempDir, testEngine, type TestChain } from './fixtures/chain';
import { startRpcProxy } from './fixtures/rpc-proxy';

let chain: TestChain;
let dir: string;
beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('finality');
});
afterAll(async () => {
  await chain?.stop();
});

const batchOf = (db: ReturnType<typeof openTestDb>) => db.prepare(`SELECT state, block_number AS block FROM sync_batches ORDER BY rowid DESC LIMIT 1`).get() as { state: string; block: number };

describe('finality on an external network', () => {
  it("confirms a batch only once the node's 'finalized' block reaches it", async () => {
    const db = openTestDb(path.join(dir, 'finalized.sqlite'));
    const engine = testEngine(db, chain, { pull: false, finality: 'finalized-if-supported', confirmations: 1 });
    enqueue(db, 'audit.root', [auditRootPayload(1).json]);
    await engine.syncNow();
    expect(engine.finality).toEqual({ mode: 'finalized' });
    const first = batchOf(db);
    const finalized = (await finalizedBlockNumber(chain.provider))!;
    // anvil's 'finalized' lags the head: one block deep is not final there. EDR finalizes at the head.
    expect(first.state).toBe(finalized >= first.block ? 'confirmed' : 'sent');
    if (chain.node.kind === 'anvil') expect(first.state).toBe('sent');
    while (((await finalizedBlockNumber(chain.provider)) ?? -1) < first.block) await chain.control.mine(8);
    await engine.syncNow();
    expect(batchOf(db).state).toBe('confirmed');
    await engine.stop();
    db.close();
  });

  it("falls back to N blocks deep on a node without the 'finalized' tag, and says so", async () => {
    const proxy = await startRpcProxy(chain.rpcUrl);
    proxy.mode = 'no-finalized';
    const db = openTestDb(path.join(dir, 'depth.sqlite'));
    const engine = testEngine(db, chain, { pull: false, finality: 'finalized-if-supported', confirmations: 2, rpcUrl: proxy.url });
    try {
      enqueue(db, 'audit.root', [auditRootPayload(2).json]);
      await engine.syncNow();
      const f = engine.finality!;
      expect(f).toMatchObject({ mode: 'depth', confirmations: 2 });
      expect(finalityText(f)).toMatch(/2 block\(s\) deep \(the node does not answer the 'finalized' block tag\)/);
      expect(batchOf(db).state).toBe('sent');
      await chain.control.mine(1);
      await engine.syncNow();
      expect(batchOf(db).state).toBe('confirmed');
    } finally {
      await engine.stop();
      await proxy.close();
      db.close();
    }
  });
});

describe('fee ceiling', () => {
  it('stops re-pricing a stuck transaction at the ceiling with SYNC_FEE_CEILING (one price sent, none higher)', async () => {
    const db = openTestDb(path.join(dir, 'ceiling.sqlite'));
    const ceiling = (await suggestFees(chain.provider)).maxFeePerGas + 1n;
    const engine = testEngine(db, chain, { pull: false, stuckAfterMs: 0, receiptWaitMs: 1_000, maxFeePerGas: ceiling });
    enqueue(db, 'audit.root', [auditRootPayload(3).json]);
    await chain.control.setAutomine(false);
    try {
      const report = await engine.syncNow();
      expect(report.failure?.code).toBe('SYNC_FEE_CEILING');
      expect(report.failure?.message).toMatch(/above the ceiling of .* gwei \(chain\.maxFeePerGasGwei\)/);
      const txs = db.prepare(`SELECT max_fee_per_gas AS fee FROM sync_transactions`).pluck().all() as string[];
      expect(txs).toHaveLength(1);
      expect(BigInt(txs[0]!)).toBeLessThanOrEqual(ceiling);
      expect((db.prepare(`SELECT last_error FROM sync_batches`).pluck().get() as string)).toMatch(/^SYNC_FEE_CEILING/);
      // The transaction kept its place: mined at its price, the batch confirms.
      await chain.control.mine(1);
      await chain.control.setAutomine(true);
      await engine.syncNow();
      expect(batchOf(db).state).toBe('confirmed');
    } finally {
      await chain.control.setAutomine(true);
      await engine.stop();
      db.close();
    }
  });
});
