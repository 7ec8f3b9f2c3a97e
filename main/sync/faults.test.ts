// Faults (b)-(d) against a real node (anvil, or EDR with CUSTODIAN_TEST_NODE=edr; anvil-only cases say so): the node stopped mid-sync and restarted, a reorg that removes a confirmed
// batch, a stuck transaction re-priced, nonce gaps and foreign transactions, an unfunded key, a contract revert,
// and an RPC endpoint that answers junk, hangs or names the wrong chain. Each ends in a clear state and message.
import crypto from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Contract, Wallet, id } from 'ethers';
import type { SyncState } from '../api/events';
import { loadArtifact } from '../chain/artifacts';
import { deployContracts, ensureFacilitySigner } from '../chain/deploy';
import { boundBatchIdOf } from '../consents/consent-state';
import { DEVNET_SIGNER_KEY } from '../chain/devnet';
import { createProvider, TxSender } from '../chain/provider';
import { startTestNode, testNodeCapabilities } from '../chain/test-node';
import { credentialPayload, enqueue, enqueueConsents, openTestDb, outboxStates, registerConsentSigner, registerIssuer, startTestChain, tempDir, testEngine, TEST_PATIENTS, TEST_SEALER, type TestChain } from './fixtures/chain';
import { CalldataRecorder } from './fixtures/phi';
import { startRpcProxy } from './fixtures/rpc-proxy';

let chain: TestChain;
let dir: string;
const recorder = new CalldataRecorder();
let dbCount = 0;
const caps = testNodeCapabilities();

beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('sync-faults');
});
afterAll(async () => {
  await chain?.stop();
});

const newDb = () => openTestDb(path.join(dir, `f${++dbCount}.sqlite`));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Restarting the node on the same chain needs a state file: anvil --state. EDR keeps its chain in memory only.
describe.skipIf(!caps.stateFile)('node stopped mid-sync (anvil only: needs a node that keeps its chain across a restart)', () => {
  it('reports offline with the queue depth, and drains by itself once the node is back (anvil --state)', async () => {
    const stateFile = path.join(dir, 'anvil-state.json');
    let node = await startTestNode({ stateFile, chainId: 31337 });
    const provider = createProvider(node.rpcUrl, 31337);
    const deployer = new Wallet(DEVNET_SIGNER_KEY, provider);
    const contracts = await deployContracts(deployer);
    await ensureFacilitySigner(new TxSender(deployer), provider, contracts.ConsentLedger, deployer.address, TEST_SEALER.facilityId);
    provider.destroy();
    const db = newDb();
    enqueueConsents(db, 240, 10_000);
    const states: SyncState[] = [];
    const engine = testEngine(db, { rpcUrl: node.rpcUrl, chainId: 31337, contracts }, { onBroadcast: recorder.record, emit: (s) => states.push(s), limits: { maxItems: { 'consent.change': 6 } } });
    engine.start();
    await until('a few batches', () => (outboxStates(db).confirmed ?? 0) >= 24);
    await node.stop();
    await until('offline', () => engine.offline !== null);
    const offline = states.filter((s) => s.state === 'failed' && s.reason === 'offline').at(-1) as Extract<SyncState, { state: 'failed' }>;
    expect(offline.message).toMatch(/^Offline since \d{4}-\d\d-\d\dT.*, \d+ event\(s\) queued: The chain node at http:\/\/127\.0\.0\.1:\d+ is unreachable/);
    const queued = Number(/, (\d+) event/.exec(offline.message)![1]);
    expect(queued).toBeGreaterThan(0);
    expect(queued).toBeLessThan(240);
    // The engine keeps trying while the node is down: wait for one more failed cycle (after its backoff), still
    // offline, before the node comes back, so the drain below follows failed retries rather than racing the first.
    const offlineReports = () => states.filter((s) => s.state === 'failed' && s.reason === 'offline').length;
    const reportsSoFar = offlineReports();
    await until('a retry while the node is down', () => offlineReports() > reportsSoFar);
    expect(engine.offline).not.toBeNull();
    node = await startTestNode({ stateFile, chainId: 31337, port: node.port });
    await until('drained by itself', () => outboxStates(db).confirmed === 240, 60_000);
    await until('online again', () => engine.offline === null);
    const p2 = createProvider(node.rpcUrl, 31337);
    const ledger = new Contract(contracts.ConsentLedger, loadArtifact('ConsentLedger').abi, p2);
    const batches = db.prepare(`SELECT id FROM sync_batches`).pluck().all() as string[];
    for (const b of batches) expect(await ledger.getFunction('batchApplied')(new Wallet(DEVNET_SIGNER_KEY).address, b)).toBe(true);
    const changed = await ledger.queryFilter(ledger.filters.ConsentChanged!(), 0, 'latest');
    expect(changed).toHaveLength(240); // exactly once: no batch applied twice across the restart
    await engine.stop();
    p2.destroy();
    await node.stop();
    db.close();
  }, 90_000);
});

describe('reorg', () => {
  // evm_snapshot/evm_revert work on both nodes; only anvil can replace mined blocks in place (anvil_reorg).
  for (const how of ['evm_revert', 'anvil_reorg'] as const) {
    it.skipIf(how === 'anvil_reorg' && caps.reorg === null)(`a confirmed batch removed by ${how} is detected by its block hash, queued again and resent`, async () => {
      const db = newDb();
      const engine = testEngine(db, chain, { onBroadcast: recorder.record });
      await engine.runUntilDrained(); // settle nonce and cursor first
      const snapshot = how === 'evm_revert' ? await chain.control.snapshot() : null;
      enqueueConsents(db, 5, how === 'evm_revert' ? 20_000 : 21_000);
      await engine.runUntilDrained();
      const before = db.prepare(`SELECT id, block_number, block_hash, tx_hash FROM sync_batches WHERE state = 'confirmed' ORDER BY rowid DESC LIMIT 1`).get() as { id: string; block_number: number; block_hash: string; tx_hash: string };
      expect((db.prepare(`SELECT count(*) AS n FROM sync_chain_events WHERE batch_id = ? AND name = 'ConsentChanged'`).get(before.id) as { n: number }).n).toBe(5);
      if (snapshot) {
        await chain.control.revert(snapshot);
        await chain.control.mine(3);
      } else {
        const head = await chain.provider.getBlockNumber();
        await chain.control.reorg(head - before.block_number + 1);
      }
      expect(await chain.provider.getTransactionReceipt(before.tx_hash)).toBeNull();
      // A fresh engine (as after a restart) notices on its first cycle.
      const states: SyncState[] = [];
      const again = testEngine(db, chain, { onBroadcast: recorder.record, emit: (s) => states.push(s) });
      await engine.stop();
      await again.runUntilDrained();
      const after = db.prepare(`SELECT state, block_number, block_hash, tx_hash, attempts FROM sync_batches WHERE id = ?`).get(before.id) as { state: string; block_hash: string; tx_hash: string; attempts: number };
      expect(after.state).toBe('confirmed');
      expect(after.block_hash).not.toBe(before.block_hash);
      expect(after.tx_hash).not.toBe(before.tx_hash);
      expect(after.attempts).toBe(2);
      const reorg = states.find((s): s is Extract<SyncState, { state: 'failed' }> => s.state === 'failed' && s.reason === 'reorg' && s.batchId === before.id);
      expect(reorg?.message).toMatch(/^Block \d+ \(0x[0-9a-f]{8}…\) that held this batch left the chain \(reorg\); the batch is queued again\.$/);
      const ledger = new Contract(chain.contracts.ConsentLedger, loadArtifact('ConsentLedger').abi, chain.provider);
      const sender = new Wallet(DEVNET_SIGNER_KEY).address;
      expect(await ledger.getFunction('batchApplied')(sender, before.id)).toBe(true);
      const applied = await ledger.queryFilter(ledger.filters.BatchApplied!(boundBatchIdOf(sender, before.id)), 0, 'latest');
      expect(applied).toHaveLength(1);
      // The pull cursor stepped back too: the mirror holds the batch once, from the new block.
      const rows = db.prepare(`SELECT block_hash FROM sync_chain_events WHERE batch_id = ? AND name = 'ConsentChanged'`).all(before.id) as { block_hash: string }[];
      expect(rows).toHaveLength(5);
      expect(new Set(rows.map((r) => r.block_hash))).toEqual(new Set([after.block_hash]));
      await again.stop();
      db.close();
    });
  }
});

describe('stuck transaction', () => {
  it('re-prices with the same nonce and at least 10% more, and takes whichever price is mined', async () => {
    const db = newDb();
    const engine = testEngine(db, chain, { onBroadcast: recorder.record, stuckAfterMs: 300, receiptWaitMs: 1_200 });
    await engine.runUntilDrained();
    enqueueConsents(db, 3, 30_000);
    await chain.provider.send('evm_setAutomine', [false]);
    try {
      await engine.syncNow();
      const txs = db.prepare(`SELECT hash, nonce, state, max_fee_per_gas, max_priority_fee_per_gas FROM sync_transactions ORDER BY rowid`).all() as {
        hash: string;
        nonce: number;
        state: string;
        max_fee_per_gas: string;
        max_priority_fee_per_gas: string;
      }[];
      expect(txs.length).toBeGreaterThanOrEqual(2);
      expect(new Set(txs.map((t) => t.nonce)).size).toBe(1);
      for (let i = 1; i < txs.length; i++) {
        expect(BigInt(txs[i]!.max_priority_fee_per_gas) * 10n).toBeGreaterThanOrEqual(BigInt(txs[i - 1]!.max_priority_fee_per_gas) * 11n);
        expect(BigInt(txs[i]!.max_fee_per_gas) * 10n).toBeGreaterThanOrEqual(BigInt(txs[i - 1]!.max_fee_per_gas) * 11n);
      }
      expect(txs.slice(0, -1).every((t) => t.state === 'superseded')).toBe(true);
      await chain.provider.send('evm_mine', []);
      await engine.syncNow();
      const batch = db.prepare(`SELECT state, tx_hash FROM sync_batches ORDER BY rowid DESC LIMIT 1`).get() as { state: string; tx_hash: string };
      expect(batch).toEqual({ state: 'confirmed', tx_hash: txs.at(-1)!.hash });
    } finally {
      await chain.provider.send('evm_setAutomine', [true]);
    }
    await engine.stop();
    db.close();
  });
});

describe('clear states and messages', () => {
  it('nonce gap: a local nonce ahead of the node is noticed and reset, and the queue drains', async () => {
    const db = newDb();
    const engine = testEngine(db, chain, { onBroadcast: recorder.record });
    await engine.runUntilDrained();
    const address = new Wallet(DEVNET_SIGNER_KEY).address;
    await engine.stop(); // one engine per data folder (the lease): the next one takes over
    db.prepare(`UPDATE sync_senders SET next_nonce = next_nonce + 5 WHERE address = ?`).run(address);
    enqueueConsents(db, 2, 40_000);
    const states: SyncState[] = [];
    const e2 = testEngine(db, chain, { onBroadcast: recorder.record, emit: (s) => states.push(s) });
    const report = await e2.runUntilDrained();
    expect(report.notices.concat(e2.notice ? [e2.notice] : []).map((n) => n.kind)).toContain('gap');
    expect(e2.notice?.message).toMatch(/^Nonce gap: the local sender was at nonce \d+ but the node has \d+/);
    expect(outboxStates(db)).toEqual({ confirmed: 2 });
    await e2.stop();
    db.close();
  });

  it('a transaction from the same key by another process: before ours is noticed; on our nonce the batch is replaced and resent', async () => {
    const db = newDb();
    const other = new TxSender(new Wallet(DEVNET_SIGNER_KEY, chain.provider));
    const states: SyncState[] = [];
    let injected = false;
    const engine = testEngine(db, chain, {
      onBroadcast: recorder.record,
      emit: (s) => states.push(s),
      // Between our write-ahead and our broadcast, another process spends the very nonce we signed.
      failpoint: async (step) => {
        if (step === 'written' && !injected) {
          injected = true;
          other.resetNonce();
          await other.send({ to: Wallet.createRandom().address, value: 1n });
        }
      },
    });
    enqueueConsents(db, 2, 50_000);
    await engine.runUntilDrained();
    expect(outboxStates(db)).toEqual({ confirmed: 2 });
    const failedNonce = states.filter((s): s is Extract<SyncState, { state: 'failed' }> => s.state === 'failed' && s.reason === 'nonce');
    expect(failedNonce.map((s) => s.message).join('\n')).toMatch(/Nonce \d+ was used by another transaction from 0x[0-9a-fA-F]{40} \(not one of ours\); batch 0x[0-9a-f]{8}… is sent again with a new nonce/);
    const batch = db.prepare(`SELECT attempts, state FROM sync_batches`).get() as { attempts: number; state: string };
    expect(batch).toEqual({ attempts: 2, state: 'confirmed' });

    // And one sent while we were idle is noticed as foreign at the next send.
    other.resetNonce();
    await other.send({ to: Wallet.createRandom().address, value: 1n });
    enqueueConsents(db, 1, 50_100);
    const report = await engine.runUntilDrained();
    expect([...report.notices, ...(engine.notice ? [engine.notice] : [])].map((n) => n.message).join('\n')).toMatch(/1 transaction\(s\) from this key were sent by another process/);
    expect(outboxStates(db)).toEqual({ confirmed: 3 });
    await engine.stop();
    db.close();
  });

  it('insufficient funds: a fresh registered signer with no ether fails clearly, spends no nonce, and resumes when funded', async () => {
    const db = newDb();
    const poor = Wallet.createRandom();
    await registerConsentSigner(chain, poor.address);
    enqueueConsents(db, 3, 60_000);
    const engine = testEngine(db, chain, { onBroadcast: recorder.record, signerKey: poor.privateKey });
    const report = await engine.syncNow();
    expect(report.outcome).toBe('failed');
    expect(report.failure).toMatchObject({ subtype: 'funds', code: 'SYNC_INSUFFICIENT_FUNDS' });
    expect(report.failure!.message).toContain(`The signing account ${poor.address} holds 0.000000 ETH but batch 0x`);
    expect(engine.state).toMatchObject({ state: 'failed', reason: 'funds' });
    expect(db.prepare(`SELECT state, error_subtype, nonce FROM sync_batches`).get()).toEqual({ state: 'pending', error_subtype: 'funds', nonce: null });
    expect(await chain.provider.getTransactionCount(poor.address)).toBe(0);
    await chain.control.setBalance(poor.address, 10n ** 18n);
    await engine.runUntilDrained();
    expect(outboxStates(db)).toEqual({ confirmed: 3 });
    await engine.stop();
    db.close();
  });

  it('contract revert: the custom error is decoded, the batch parks as failed, and retry sends it once fixed', async () => {
    const db = newDb();
    // The cause: this workstation's key lost the writer role on ClaimsLedger (fixed below by granting it again).
    const claims = new Contract(chain.contracts.ClaimsLedger!, loadArtifact('ClaimsLedger').abi, chain.provider);
    const admin = new TxSender(new Wallet(DEVNET_SIGNER_KEY, chain.provider));
    const role = id('CUSTODIAN_ROLE');
    const signer = new Wallet(DEVNET_SIGNER_KEY).address;
    await admin.send({ to: chain.contracts.ClaimsLedger!, data: claims.interface.encodeFunctionData('revokeRole', [role, signer]) });
    const hash = (t: string) => `0x${crypto.createHash('sha256').update(t).digest('hex')}`;
    enqueue(db, 'claim.record', [JSON.stringify({ v: 2, claimRowId: 1, claimHash: hash('faults-claim'), payerCommitment: hash('faults-payer') })]);
    const engine = testEngine(db, chain, { onBroadcast: recorder.record });
    const report = await engine.runUntilDrained();
    expect(report.outcome).toBe('idle');
    const batch = db.prepare(`SELECT id, state, error_subtype, last_error FROM sync_batches`).get() as { id: string; state: string; error_subtype: string; last_error: string };
    expect(batch).toMatchObject({ state: 'failed', error_subtype: 'revert' });
    // AccessControl's error is in every contract's ABI: the decoder names the first that has it.
    expect(batch.last_error).toMatch(new RegExp(`^The contract rejects the batch: \\w+: AccessControlUnauthorizedAccount\\(${signer}, ${role}\\)\\.$`));
    expect(engine.state).toMatchObject({ state: 'idle' });
    expect(outboxStates(db)).toEqual({ failed: 1 });
    await admin.send({ to: chain.contracts.ClaimsLedger!, data: claims.interface.encodeFunctionData('grantRole', [role, signer]) });
    expect(engine.store.retry(batch.id)).toBe(true);
    await engine.runUntilDrained();
    expect(outboxStates(db)).toEqual({ confirmed: 1 });
    await engine.stop();
    db.close();
  });

  it('an RPC that answers junk, hangs, or names another chain: rpc / chain-id states, nothing sent, then recovery', async () => {
    const proxy = await startRpcProxy(chain.rpcUrl);
    const db = newDb();
    enqueueConsents(db, 2, 70_000);
    const engine = testEngine(db, chain, { onBroadcast: recorder.record, rpcUrl: proxy.url, rpcTimeoutMs: 800 });

    proxy.mode = 'junk';
    let r = await engine.syncNow();
    expect(r.failure).toMatchObject({ subtype: 'rpc', code: 'SYNC_RPC_GARBAGE' });
    expect(r.failure!.message).toMatch(/^Offline since .*, 2 event\(s\) queued: The RPC endpoint at http:\/\/127\.0\.0\.1:\d+ answered something that is not a valid JSON-RPC reply/);

    proxy.mode = 'hang';
    r = await engine.syncNow();
    expect(r.failure).toMatchObject({ subtype: 'rpc', code: 'SYNC_RPC_TIMEOUT' });
    expect(r.failure!.message).toMatch(/did not answer in time/);

    proxy.mode = 'refuse';
    r = await engine.syncNow();
    expect(r.failure).toMatchObject({ subtype: 'offline', code: 'SYNC_OFFLINE' });

    proxy.mode = 'wrong-chain';
    r = await engine.syncNow();
    expect(r.failure).toMatchObject({ subtype: 'chain-id', code: 'CHAIN_ID_MISMATCH' });
    expect(r.failure!.message).toMatch(/reports chain id 1, but this workstation is configured for 31337; nothing is sent/);
    expect(engine.state).toMatchObject({ state: 'failed', reason: 'chain-id' });
    expect(db.prepare(`SELECT count(*) FROM sync_transactions`).pluck().get()).toBe(0);

    proxy.mode = 'pass';
    await engine.runUntilDrained();
    expect(outboxStates(db)).toEqual({ confirmed: 2 });
    await engine.stop();
    await proxy.close();
    db.close();
  });

  it('PHI check over every transaction these faults sent', () => {
    expect(recorder.raws.length).toBeGreaterThan(10);
    expect(recorder.findings(TEST_PATIENTS)).toEqual([]);
  });
});
