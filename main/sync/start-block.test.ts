// The puller's first read starts at the configured start block (a real network's deployment block) instead of
// genesis; with no start block it reads everything.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainPuller } from './puller';
import { enqueueConsents, openTestDb, startTestChain, tempDir, testEngine, TEST_REGISTRY, type TestChain } from './fixtures/chain';

let chain: TestChain;
beforeAll(async () => {
  chain = await startTestChain();
});
afterAll(async () => {
  await chain.stop();
});

describe('pull start block', () => {
  it('skips blocks before the start block on the first pull and reads from genesis without one', async () => {
    const dir = tempDir('start-block');
    const sender = openTestDb(path.join(dir, 'sender.sqlite'));
    enqueueConsents(sender, 5);
    const engine = testEngine(sender, chain);
    await engine.runUntilDrained();
    await engine.stop();
    const head = await chain.provider.getBlockNumber();

    const fromGenesis = openTestDb(path.join(dir, 'genesis.sqlite'));
    const all = await new ChainPuller(fromGenesis, chain.provider, chain.chainId, chain.contracts, TEST_REGISTRY).pull();
    expect(all.fromBlock).toBe(0);
    expect(all.counts.consentChanges).toBe(5);

    const late = openTestDb(path.join(dir, 'late.sqlite'));
    const skipped = await new ChainPuller(late, chain.provider, chain.chainId, chain.contracts, TEST_REGISTRY, head + 1).pull();
    expect(skipped.fromBlock).toBe(head + 1);
    expect(skipped.counts.consentChanges ?? 0).toBe(0);
    for (const db of [sender, fromGenesis, late]) db.close();
  });
});
