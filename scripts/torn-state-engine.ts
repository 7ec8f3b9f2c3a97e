// End-to-end check of the torn-state fix on a REAL torn anvil dump (scripts/anvil-torn-state.ts tears a raw
// transaction; this tears an engine's consent batch). Each round: a fresh anvil --state chain, workstation A queues
// CONSENTS consent changes (one heavy batch), the node is SIGTERMed right after A's broadcast and restarted from its
// state file; then A syncs again and B pulls. A round is 'torn' when A's nonce moved and no receipt exists. Printed:
// torn rounds, how many of them A named SYNC_APPLIED_WITHOUT_LOG and resent, and whether B holds A's consents.
// `N=8 CONSENTS=400 npx tsx scripts/torn-state-engine.ts`
import { Transaction, Wallet } from 'ethers';
import path from 'node:path';
import { startTestNode } from '../main/chain/test-node';
import { createProvider } from '../main/chain/provider';
import { SqlConsentSink } from '../main/consents/consent-sink';
import { outboxStates, startTestChain, tempDir, testEngine, workstationKey } from '../main/sync/fixtures/chain';
import { currentConsents, workstation, writeConsent } from '../main/sync/fixtures/workstation';

const rounds = Number(process.env.N ?? 8);
const consents = Number(process.env.CONSENTS ?? 400);
const tally = { rounds: 0, torn: 0, tornNamed: 0, tornConverged: 0, notTorn: 0, notTornConverged: 0 };

for (let r = 0; r < rounds; r++) {
  const dir = tempDir('torn-engine');
  const stateFile = path.join(dir, 'anvil-state.json');
  const chain = await startTestChain({ stateFile });
  const a = workstation(dir, 'ws-a', [0]);
  const b = workstation(dir, 'ws-b', [0]);
  const keyA = await workstationKey(chain);
  const keyB = await workstationKey(chain);
  for (let i = 0; i < consents; i++) writeConsent(a, 'a', { patient: 0, grantee: String(1_000_000_000 + i), purpose: 'TREAT', category: 'general', decision: 'permit', revoked: false, seq: 5 });
  const head0 = await chain.provider.getBlockNumber();
  const broadcasts: string[] = [];
  const first = testEngine(a, chain, {
    signerKey: keyA,
    onBroadcast: (raw) => broadcasts.push(raw),
    failpoint: async (step) => {
      if (step === 'broadcast' && broadcasts.length === 1) await chain.node.stop(); // SIGTERM while it may be mining
    },
  });
  await first.syncNow().catch(() => undefined);
  await first.stop();
  chain.provider.destroy();
  const node = await startTestNode({ stateFile, chainId: chain.chainId, port: chain.node.port });
  const provider = createProvider(node.rpcUrl, chain.chainId);
  const hash = Transaction.from(broadcasts[0]!).hash!;
  const nonce = await provider.getTransactionCount(new Wallet(keyA).address);
  const receipt = await provider.getTransactionReceipt(hash);
  const torn = nonce === 1 && receipt === null;
  const again = testEngine(a, { ...chain, rpcUrl: node.rpcUrl }, { signerKey: keyA, stuckAfterMs: 0 });
  await again.runUntilDrained(120_000);
  await again.stop();
  const named = (a.prepare(`SELECT count(*) FROM sync_batches WHERE last_error LIKE 'SYNC_APPLIED_WITHOUT_LOG%'`).pluck().get() as number) > 0;
  const pull = testEngine(b, { ...chain, rpcUrl: node.rpcUrl }, { signerKey: keyB, sink: new SqlConsentSink(b) });
  await pull.runUntilDrained(120_000);
  await pull.stop();
  const view = (db: typeof a) => JSON.stringify(currentConsents(db).map(({ grantee, decision, status, hlc }) => [grantee, decision, status, hlc]));
  const converged = currentConsents(b).length === consents && view(a) === view(b);
  tally.rounds++;
  if (torn) {
    tally.torn++;
    if (named) tally.tornNamed++;
    if (converged) tally.tornConverged++;
  } else {
    tally.notTorn++;
    if (converged) tally.notTornConverged++;
  }
  console.log(`#${r} head ${head0}->${await provider.getBlockNumber()} nonce ${nonce} receipt ${receipt ? `block ${receipt.blockNumber}` : 'none'} torn ${torn} named ${named} outbox ${JSON.stringify(outboxStates(a))} B rows ${currentConsents(b).length}/${consents} converged ${converged}`);
  provider.destroy();
  a.close();
  b.close();
  await node.stop();
}
console.log(`rounds ${tally.rounds}: torn ${tally.torn} (named SYNC_APPLIED_WITHOUT_LOG ${tally.tornNamed}, converged ${tally.tornConverged}); not torn ${tally.notTorn} (converged ${tally.notTornConverged})`);
