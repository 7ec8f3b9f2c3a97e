// A node restarted from its state file (anvil --state) keeps the contracts' storage and the logs, not necessarily its
// receipts. A workstation whose consent batch was mined just before the restart, with its receipt never read, must
// confirm that batch from its applied event (the log the other workstations pull), recording that log's block and
// transaction: exactly once, no second send under a new id, and each op's outcome from the readers' fold as it pulls
// (no false conflict; one named conflict when another workstation's later change, written unseen, holds the key). A node that lost the logs
// too is the torn state (torn-state.test.ts): never confirmed. anvil only.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Transaction, Wallet } from 'ethers';
import { createProvider } from '../chain/provider';
import { startTestNode, testNodeCapabilities } from '../chain/test-node';
import { ConsentConflicts } from '../consents/consent-conflicts';
import type { Db } from '../db/connection';
import { outboxStates, startTestChain, tempDir, testEngine, workstationKey, type TestChain } from './fixtures/chain';
import { startRpcProxy } from './fixtures/rpc-proxy';
import { currentConsents, workstation, writeConsent, type Terms } from './fixtures/workstation';
import { SqlConsentSink } from '../consents/consent-sink';

const caps = testNodeCapabilities();
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

const KEY: Omit<Terms, 'seq'> = { patient: 0, grantee: '2222222222', purpose: 'TREAT', category: 'general', decision: 'permit', revoked: false };

interface Restarted {
  rpcUrl: string;
}

/** A chain that keeps its state in a file, stopped after the test; `restart()` brings it back from that file. */
async function chainWithStateFile(name: string): Promise<{ dir: string; chain: TestChain; restart(): Promise<{ rpcUrl: string }> }> {
  const dir = tempDir(name);
  const stateFile = path.join(dir, 'anvil-state.json');
  const chain = await startTestChain({ stateFile });
  let running: { stop(): Promise<void> } = chain.node;
  stops.push(async () => {
    chain.provider.destroy();
    await running.stop();
  });
  const restart = async () => {
    const node = await startTestNode({ stateFile, chainId: chain.chainId, port: chain.node.port });
    running = node;
    return node;
  };
  return { dir, chain, restart };
}

/**
 * Workstation A queues three consent changes, broadcasts their batch (automine: mined at once) and is killed before
 * it reads the receipt; `meanwhile` runs before the node restarts from its state file.
 */
async function sentThenRestarted(meanwhile: (chain: TestChain, dir: string) => Promise<void>, hideLogs = false): Promise<{ chain: TestChain; node: Restarted; a: Db; keyA: string; batchId: string; broadcasts: string[]; minedIn: number }> {
  const { dir, chain, restart } = await chainWithStateFile('sync-restart-confirm');
  const a = workstation(dir, 'ws-a', [0, 1]);
  stops.push(async () => void a.close());
  const keyA = await workstationKey(chain);
  for (const t of [KEY, { ...KEY, purpose: 'HPAYMT' as const }, { ...KEY, patient: 1 }]) writeConsent(a, 'a', { ...t, seq: 5 });
  const broadcasts: string[] = [];
  let killed = false;
  let minedIn = -1;
  const first = testEngine(a, chain, {
    signerKey: keyA,
    onBroadcast: (raw) => broadcasts.push(raw),
    // As the convergence bench does: the node goes down right after our broadcast, before anything else is read.
    failpoint: async (step) => {
      if (step === 'broadcast' && !killed) {
        killed = true;
        // Mined (the node's own answer, not the engine's), then down before the engine reads anything.
        const hash = Transaction.from(broadcasts[0]!).hash!;
        let receipt = await chain.provider.getTransactionReceipt(hash);
        while (receipt === null) {
          await chain.provider.send('evm_mine', []);
          receipt = await chain.provider.getTransactionReceipt(hash);
        }
        minedIn = receipt.blockNumber;
        await chain.node.stop();
      }
    },
  });
  const report = await first.syncNow();
  await first.stop();
  expect(report.outcome).toBe('offline');
  expect(broadcasts).toHaveLength(1);
  const [batch] = a.prepare(`SELECT id, state, block_number AS block, tx_hash AS txHash FROM sync_batches`).all() as { id: string; state: string; block: number | null; txHash: string }[];
  expect(batch).toMatchObject({ state: 'sent', block: null }); // broadcast, receipt never read

  const node = await restart();
  // The restart kept the state (A's nonce is used). Whether the node also serves the receipts depends on the anvil
  // build and how it went down (a graceful stop of anvil 1.x keeps them): A reaches it through a proxy that answers
  // as a node without the receipts and transactions before the restart, but with their logs (`hideLogs`: without
  // the logs too, as a torn state would).
  const proxy = await startRpcProxy(node.rpcUrl);
  stops.push(() => proxy.close());
  const provider = createProvider(proxy.url, chain.chainId);
  proxy.mode = hideLogs ? 'no-history' : 'no-receipts';
  proxy.forgetThrough = await provider.getBlockNumber();
  expect(await provider.getTransactionCount(new Wallet(keyA).address)).toBe(1);
  expect(await provider.getTransactionReceipt(batch!.txHash)).toBeNull();
  provider.destroy();
  await meanwhile(chain, dir);
  return { chain, node: { rpcUrl: proxy.url }, a, keyA, batchId: batch!.id, broadcasts, minedIn };
}

describe.skipIf(!caps.stateFile)('a batch mined just before the node restarted without its history (anvil --state)', () => {
  it("is confirmed from its applied event exactly once, at that log's block and transaction: no second send, no rekey, no false conflict", async () => {
    const { chain, node, a, keyA, batchId, broadcasts, minedIn } = await sentThenRestarted(async () => undefined);
    const again = testEngine(a, { ...chain, rpcUrl: node.rpcUrl }, { signerKey: keyA, onBroadcast: (raw) => broadcasts.push(raw) });
    const report = await again.runUntilDrained(60_000);
    await again.stop();
    expect(report.failure).toBeUndefined();
    expect(a.prepare(`SELECT id, state, block_number AS block, tx_hash AS txHash, gas_used AS gas FROM sync_batches`).all()).toEqual([
      { id: batchId, state: 'confirmed', block: minedIn, txHash: Transaction.from(broadcasts[0]!).hash, gas: null },
    ]);
    expect(outboxStates(a)).toEqual({ confirmed: 3 });
    expect(broadcasts).toHaveLength(1); // the one transaction before the restart; nothing sent again
    const provider = createProvider(chain.rpcUrl, chain.chainId);
    expect(await provider.getTransactionCount(new Wallet(keyA).address)).toBe(1);
    provider.destroy();
    expect(new ConsentConflicts(a).list()).toEqual([]);
  }, 90_000);

  it("names exactly one conflict when another workstation's later change holds the key meanwhile", async () => {
    let keyB = '';
    const { chain, node, a, keyA, batchId, broadcasts } = await sentThenRestarted(async (chain, dir) => {
      // B changes the same key with a later stamp, and lands after A's batch.
      const b = workstation(dir, 'ws-b', [0]);
      keyB = await workstationKey(chain);
      writeConsent(b, 'b', { ...KEY, seq: 9, decision: 'deny' });
      const engine = testEngine(b, chain, { signerKey: keyB });
      await engine.runUntilDrained(60_000);
      await engine.stop();
      expect(outboxStates(b)).toEqual({ confirmed: 1 });
      b.close();
    });
    const again = testEngine(a, { ...chain, rpcUrl: node.rpcUrl }, { signerKey: keyA, sink: new SqlConsentSink(a), onBroadcast: (raw) => broadcasts.push(raw) });
    const report = await again.runUntilDrained(60_000);
    await again.stop();
    expect(report.failure).toBeUndefined();
    expect(a.prepare(`SELECT id, state, tx_hash AS txHash FROM sync_batches`).all()).toEqual([{ id: batchId, state: 'confirmed', txHash: Transaction.from(broadcasts[0]!).hash }]);
    expect(broadcasts.map((raw) => Transaction.from(raw).nonce)).toEqual([0]);
    const conflicts = new ConsentConflicts(a).list();
    expect(conflicts).toHaveLength(1);
    const firstEvent = a.prepare(`SELECT min(id) FROM outbox`).pluck().get() as number;
    // Raised by the pull: A's 5 held the key, then B's 9 (written without seeing it) replaced it.
    expect(conflicts[0]).toMatchObject({ outboxId: firstEvent, reason: 'OVERRIDDEN', winningWriter: new Wallet(keyB).address.toLowerCase(), resolution: null });
    expect(conflicts[0]!.winningOrder!.slice(0, 16)).toBe('0000000000000009');
    expect(conflicts[0]!.myOrder.slice(0, 16)).toBe('0000000000000005');
  }, 120_000);
});

describe.skipIf(!caps.stateFile)('a batch whose block, receipt and logs the restarted node no longer serves (the torn view)', () => {
  it('is NOT confirmed from its applied flag: SYNC_APPLIED_WITHOUT_LOG, and its changes go again unchanged, audited', async () => {
    const { chain, node, a, keyA, batchId, broadcasts } = await sentThenRestarted(async () => undefined, true);
    const again = testEngine(a, { ...chain, rpcUrl: node.rpcUrl }, { signerKey: keyA, onBroadcast: (raw) => broadcasts.push(raw) });
    const report = await again.runUntilDrained(60_000);
    await again.stop();
    expect(report.failure).toBeUndefined();
    const batches = a.prepare(`SELECT id, state, event_count AS n, last_error AS error FROM sync_batches ORDER BY rowid`).all() as { id: string; state: string; n: number; error: string | null }[];
    expect(batches.map((b) => [b.id === batchId, b.state, b.n])).toEqual([
      [true, 'failed', 3],
      [false, 'confirmed', 3],
    ]);
    expect(batches[0]!.error).toMatch(/^SYNC_APPLIED_WITHOUT_LOG: .*NOT confirmed.*3 change\(s\) sent again unchanged/);
    expect(outboxStates(a)).toEqual({ failed: 3, confirmed: 3 });
    expect(a.prepare(`SELECT count(*) FROM audit_log WHERE action = 'consent.resend'`).pluck().get()).toBe(3);
    expect(new ConsentConflicts(a).list()).toEqual([]);
  }, 90_000);
});

describe.skipIf(!caps.stateFile)('a change pulled from a block before the node restarted (anvil --state keeps logs, not old blocks’ state)', () => {
  it('is applied: its writer’s registration is read at the head when the node holds no state at its block', async () => {
    const { dir, chain, restart } = await chainWithStateFile('sync-restart-pull');
    const b = workstation(dir, 'ws-b', [0]);
    stops.push(async () => void b.close());
    const keyB = await workstationKey(chain);
    writeConsent(b, 'b', { ...KEY, seq: 9, decision: 'deny' });
    const engineB = testEngine(b, chain, { signerKey: keyB });
    await engineB.runUntilDrained(60_000);
    await engineB.stop();
    expect(outboxStates(b)).toEqual({ confirmed: 1 });
    await chain.control.mine(3); // B's block is no longer the head: its state is gone after the restart
    await chain.node.stop();
    await restart();

    const a = workstation(dir, 'ws-a', [0]);
    stops.push(async () => void a.close());
    const engineA = testEngine(a, chain, { sink: new SqlConsentSink(a), signerKey: await workstationKey(chain) });
    const report = await engineA.runUntilDrained(60_000);
    await engineA.stop();
    expect(report.failure).toBeUndefined();
    expect(a.prepare(`SELECT reason, count(*) AS n FROM sync_pending_consent_changes GROUP BY reason`).all()).toEqual([]);
    expect(currentConsents(a)).toMatchObject([{ decision: 'deny', hlc: '0000000000000009' }]);
  }, 90_000);
});
