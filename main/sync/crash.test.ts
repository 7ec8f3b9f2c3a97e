// Fault (a): the syncing process is SIGKILLed at random points 20 times (plus once at each write-ahead failpoint);
// after the last restart every outbox event is on chain exactly once. Real anvil, real SQLite, real processes.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Contract, Wallet } from 'ethers';
import { loadArtifact } from '../chain/artifacts';
import { DEVNET_SIGNER_KEY } from '../chain/devnet';
import { consentOpOf } from '../consents/sync-plugin';
import { auditRootPayload, credentialPayload, enqueue, enqueueConsents, openTestDb, outboxStates, registerIssuer, startTestChain, tempDir, TEST_PATIENTS, TEST_SEALER, TEST_TRAIL_ID, type TestChain } from './fixtures/chain';
import { phiFindings } from './fixtures/phi';

const child = fileURLToPath(new URL('./fixtures/sync-child.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

let chain: TestChain;
beforeAll(async () => {
  chain = await startTestChain();
});
afterAll(async () => {
  await chain?.stop();
});

/** Runs the child; kills it `killAfterMs` after it is ready (or lets it finish when null). Resolves with how it ended. */
function runChild(env: Record<string, string>, killAfterMs: number | null): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let timer: NodeJS.Timeout | null = null;
    proc.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (killAfterMs !== null && timer === null && out.includes('ready')) timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
    });
    proc.stderr.on('data', (b: Buffer) => (out += b.toString()));
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

describe('crash safety', () => {
  it('SIGKILL at 20 random points and at each failpoint: every event confirmed exactly once on chain', async () => {
    const dir = tempDir('sync-crash');
    const dbPath = path.join(dir, 'crash.sqlite');
    const db = openTestDb(dbPath);
    const issuer = Wallet.createRandom();
    await registerIssuer(chain, issuer.address);
    enqueueConsents(db, 640);
    enqueue(db, 'credential.status', Array.from({ length: 12 }, (_, i) => credentialPayload(100 + i, issuer, chain)));
    const roots = Array.from({ length: 4 }, (_, i) => auditRootPayload(100 + i).json);
    enqueue(db, 'audit.root', roots);
    db.close();

    const env = { SYNC_DB: dbPath, SYNC_RPC: chain.rpcUrl, SYNC_CONTRACTS: JSON.stringify(chain.contracts), SYNC_MAX_ITEMS: '8' };
    const kills: string[] = [];
    const watch = openTestDb(dbPath);
    const progress = () => {
      const s = outboxStates(watch);
      const b = watch.prepare(`SELECT state, count(*) AS n FROM sync_batches GROUP BY state`).all() as { state: string; n: number }[];
      return `events confirmed ${s.confirmed ?? 0}, batches ${b.map((x) => `${x.state} ${x.n}`).join(' ')}`;
    };
    for (const step of ['signed', 'written', 'broadcast', 'marked-sent']) {
      const r = await runChild({ ...env, SYNC_KILL_AT: step }, null);
      kills.push(`at ${step}: ${r.signal ?? r.code}; ${progress()}`);
    }
    for (let i = 0; i < 20; i++) {
      const delay = Math.floor(Math.random() * 300);
      const r = await runChild(env, delay);
      kills.push(`after ${delay} ms: ${r.signal ?? r.code}; ${progress()}`);
    }
    watch.close();
    console.log(`crash test kills:\n  ${kills.join('\n  ')}`);
    expect(kills.filter((k) => k.includes(': SIGKILL;')).length).toBeGreaterThanOrEqual(20);
    const check = openTestDb(dbPath);
    const before = outboxStates(check);
    const last = await runChild(env, null);
    expect(last.out).toContain('drained');
    expect(last.code).toBe(0);

    // Every outbox event confirmed; every batch confirmed by a successful transaction that carries its id.
    expect(outboxStates(check)).toEqual({ confirmed: 656 });
    expect(before.confirmed ?? 0).toBeLessThan(656); // the kills hit real work
    const batches = check.prepare(`SELECT id, kind, tx_hash FROM sync_batches`).all() as { id: string; kind: string; tx_hash: string }[];
    expect(batches.every((b) => b.tx_hash)).toBe(true);

    // Chain side: one BatchApplied per consent batch, one ConsentChanged per consent event, nothing extra.
    const ledger = new Contract(chain.contracts.ConsentLedger, loadArtifact('ConsentLedger').abi, chain.provider);
    const applied = await ledger.queryFilter(ledger.filters.BatchApplied!(), 0, 'latest');
    const consentBatchIds = batches.filter((b) => b.kind === 'consent.change').map((b) => b.id);
    expect(applied.map((l) => (l as unknown as { args: { batchId: string } }).args.batchId).sort()).toEqual([...consentBatchIds].sort());
    const changed = await ledger.queryFilter(ledger.filters.ConsentChanged!(), 0, 'latest');
    expect(changed).toHaveLength(640);
    const onChain = new Map<string, number>();
    for (const l of changed) {
      const a = (l as unknown as { args: { opKey: string; state: bigint } }).args;
      const key = `${a.opKey}:${a.state & ((1n << 80n) - 1n)}`;
      onChain.set(key, (onChain.get(key) ?? 0) + 1);
    }
    const outbox = (check.prepare(`SELECT payload FROM outbox_events WHERE kind = 'consent.change'`).all() as { payload: string }[]).map((r) => consentOpOf(JSON.parse(r.payload), TEST_SEALER));
    for (const op of outbox) expect(onChain.get(`${op.opKey}:${op.order}`)).toBe(1);
    const registry = new Contract(chain.contracts.CredentialRegistry, loadArtifact('CredentialRegistry').abi, chain.provider);
    expect(await registry.queryFilter(registry.filters.CredentialStatusChanged!(), 0, 'latest')).toHaveLength(12);
    const anchor = new Contract(chain.contracts.AuditAnchor, loadArtifact('AuditAnchor').abi, chain.provider);
    expect(await anchor.queryFilter(anchor.filters.HeadAnchored!(), 0, 'latest')).toHaveLength(4);
    expect(await anchor.getFunction('headCount')(new Wallet(DEVNET_SIGNER_KEY).address)).toBe(4n);

    // PHI check over every transaction on this chain (the children's sends included).
    const head = await chain.provider.getBlockNumber();
    const findings = [];
    for (let n = 0; n <= head; n++) {
      const block = await chain.provider.getBlock(n, true);
      for (const tx of block?.prefetchedTransactions ?? []) findings.push(...phiFindings(tx.data, TEST_PATIENTS, tx.hash));
    }
    expect(findings).toEqual([]);
    check.close();
  }, 360_000);
});
