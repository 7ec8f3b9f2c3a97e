// Verifying 10,000 signed credentials against a local anvil: EIP-712 signature checks per second (ethers' path against
// the job's checker, one thread and helper threads), registry status lookups batched (statusesOf over chunks) against
// one statusOf call each (a sample, scaled), and the whole job.
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Wallet } from 'ethers';
import type { JobSummary } from '../main/api/system';
import type { SignedCredential } from '../main/credentials/document';
import { credentialDomain } from '../main/credentials/eip712';
import type { VerifyAllResult } from '../main/credentials/jobs';
import { npiFromNine } from '../main/api/npi';
import { CredentialRegistryReader, DEFAULT_STATUS_CHUNK } from '../main/credentials/registry-client';
import { verifyAllJobParams } from '../main/credentials/scheduler';
import { openTestDb, signTestCredential, startRegistryChain, storeCredential } from '../main/credentials/test-support';
import { offChainFinding, type Recovered } from '../main/credentials/verdict';
import { judgeCredentials } from '../main/credentials/verify';
import { createSignatureChecker } from '../main/credentials/fast-recover';
import { inThreadRecover, startRecoverPool } from '../main/credentials/recover-pool';
import { EventBus } from '../main/runtime/event-bus';
import { silentLogger } from '../main/runtime/log';
import { JobRunner } from '../main/workers/job-runner';
import type { Bench, Figure } from './types';

const ms = (start: number) => performance.now() - start;
const SAMPLE = 500;

const bench: Bench = async ({ tmpDir, rows }) => {
  const n = Math.min(rows, 10_000);
  const chain = await startRegistryChain();
  const db = openTestDb(tmpDir);
  try {
    const issuers = [Wallet.createRandom(), Wallet.createRandom(), Wallet.createRandom()];
    for (const [i, w] of issuers.entries()) await chain.registerIssuer(w.address, `Board ${i + 1}`);
    const domain = credentialDomain(chain.chainId, chain.contracts.CredentialRegistry);

    // Fixtures (not timed): n credentials over 2,000 providers, published active (every 50th suspended).
    let t = performance.now();
    const creds: SignedCredential[] = [];
    for (let i = 0; i < n; i++) {
      creds.push(await signTestCredential(issuers[i % 3]!, domain, { npi: npiFromNine(String(100_000_000 + (i % 2_000) * 37)), number: `L-${i}`, validFrom: '2024-01-01', validUntil: '2030-12-31' }));
    }
    await chain.setStatuses(creds.map((c, i) => ({ hash: c.hash, status: i % 50 === 0 ? 'suspended' : 'active', validUntil: c.fields.validUntil, issuer: issuers[i % 3]! })));
    db.transaction(() => creds.forEach((c) => storeCredential(db, c)))();

    // 1. Signature checks (EIP-712 digest + ecrecover + NPI + dates), one thread: ethers' path, then the checker the
    //    job uses (digest from fixed words, issuers' keys with precomputed tables).
    const now = new Date();
    const offChain = (recover: (c: SignedCredential) => Recovered): number => {
      let passed = 0;
      for (const c of creds) if (offChainFinding(c, domain, now, recover(c)) === null) passed++;
      if (passed !== n) throw new Error(`${n - passed} credentials failed their off-chain checks`);
      return passed;
    };
    t = performance.now();
    const ethersPath = createSignatureChecker({ fast: false });
    offChain((c) => ethersPath.recover(c.domain, c.fields, c.signature));
    const sigMs = ms(t);
    t = performance.now();
    const checker = createSignatureChecker();
    offChain((c) => checker.recover(c.domain, c.fields, c.signature));
    const fastMs = ms(t);
    // The same checker as the desktop app runs it: bundled like main.cjs (CommonJS, no import.meta), loaded here.
    const { buildNodeBundle } = (await import(pathToFileURL(path.join(import.meta.dirname, '..', 'scripts', 'build-electron.mjs')).href)) as {
      buildNodeBundle(options: { entryPoints: Record<string, string>; outdir: string }): Promise<string[]>;
    };
    const [bundleFile] = await buildNodeBundle({ entryPoints: { 'fast-recover': 'main/credentials/fast-recover.ts' }, outdir: path.join(tmpDir, 'bundle') });
    const bundled = createRequire(import.meta.url)(bundleFile!) as { createSignatureChecker: typeof createSignatureChecker };
    t = performance.now();
    const bundledChecker = bundled.createSignatureChecker();
    offChain((c) => bundledChecker.recover(c.domain, c.fields, c.signature));
    const bundledMs = ms(t);
    // The same checks on helper threads, in the job's chunks of 500, and with this thread taking a share as well.
    const pooled = async (shareCaller: boolean): Promise<{ ms: number; size: number }> => {
      const pool = startRecoverPool(undefined, { shareCaller });
      // Thread start-up (tsx, ethers) is not throughput: one small untimed batch waits for the helpers to be ready.
      await pool?.recover(creds.slice(0, 2 * (pool?.size ?? 1)).map((c) => ({ domain: c.domain, fields: c.fields, signature: c.signature })));
      const start = performance.now();
      for (let i = 0; i < n; i += 500) {
        const items = creds.slice(i, i + 500).map((c) => ({ c, lastVerifiedAt: null, local: null }));
        await judgeCredentials(items, { offline: 'bench: off-chain checks only', expected: domain }, now, { recover: pool ? pool.recover : inThreadRecover() });
      }
      const took = ms(start);
      await pool?.close();
      return { ms: took, size: pool?.size ?? 0 };
    };
    const helpers = await pooled(false);
    const shared = await pooled(true);

    // 2. Registry lookups: statusesOf over chunks, against statusOf one call each (measured on a sample, scaled).
    const reader = await CredentialRegistryReader.connect(chain.provider, chain.chainId, chain.contracts.CredentialRegistry);
    t = performance.now();
    for (const w of issuers) await reader.isIssuer(w.address);
    const statuses = await reader.statusesOf(creds.map((c) => c.hash));
    const batchedMs = ms(t);
    const batchedCalls = reader.calls;
    if (statuses.filter((s) => s.status === 1).length !== n - Math.ceil(n / 50)) throw new Error('unexpected statuses from statusesOf');
    const sample = creds.slice(0, Math.min(SAMPLE, n));
    t = performance.now();
    for (const c of sample) await reader.statusOf(c.hash);
    const singleEachMs = (ms(t) / sample.length) * n;

    // 3. The whole product path: the credentials.verifyAll job in a worker thread (reads, checks, registry, cache,
    //    trail and one audit entry per credential), from start to its recorded result.
    const jobs = new JobRunner({ db, dbPath: path.join(tmpDir, 'custodian.sqlite'), events: new EventBus(), log: silentLogger });
    const connected = { connection: { endpoint: { rpcUrl: chain.node.rpcUrl, chainId: chain.chainId, contracts: chain.contracts } }, current: { state: 'connected' } };
    const runJob = async (helpers?: number): Promise<{ ms: number; result: VerifyAllResult }> => {
      const start = performance.now();
      const job = jobs.start('credentials.verifyAll', { ...verifyAllJobParams(db, connected, 'bulk', null, null), ...(helpers !== undefined ? { helpers } : {}) });
      const done: JobSummary = await jobs.waitFor(job.id);
      const took = ms(start);
      if (done.state !== 'succeeded') throw new Error(`verifyAll ${done.state}: ${done.error}`);
      return { ms: took, result: JSON.parse((db.prepare('SELECT result FROM jobs WHERE id = ?').get(job.id) as { result: string }).result) as VerifyAllResult };
    };
    // The first run over a table pays for more (cold pages, the checker learning issuer keys, worker start-up):
    // an untimed warm-up first, then each way in turn, so neither is favoured by going later.
    await runJob();
    const whole = await runJob();
    const inThread = await runJob(0);
    const withHelpers = await runJob(os.availableParallelism());
    const totalMs = whole.ms;
    const result = whole.result;

    const figures: Figure[] = [
      {
        name: `signature checks (EIP-712 digest + ecrecover), ${n} credentials, one thread, fixed-word digest + issuer key tables`,
        value: n / (fastMs / 1000),
        unit: 'checks/s',
        baseline: { name: "ethers' TypedDataEncoder + recoverAddress, one thread", value: n / (sigMs / 1000), unit: 'checks/s' },
        ratio: sigMs / fastMs,
        note: `${checker.fastChecks} of ${n} settled by the issuer key tables`,
      },
      {
        name: `signature checks, ${n} credentials, one thread, the checker bundled as in the desktop app (main.cjs)`,
        value: n / (bundledMs / 1000),
        unit: 'checks/s',
        baseline: { name: 'the same checker unbundled (from source)', value: n / (fastMs / 1000), unit: 'checks/s' },
        ratio: fastMs / bundledMs,
        note: `${bundledChecker.fastChecks} of ${n} settled by the issuer key tables in the bundle`,
      },
      {
        name: `signature checks on ${helpers.size} helper thread(s), chunks of 500`,
        value: n / (helpers.ms / 1000),
        unit: 'checks/s',
        baseline: { name: 'one thread (same checker)', value: n / (fastMs / 1000), unit: 'checks/s' },
        ratio: fastMs / helpers.ms,
      },
      {
        name: `signature checks on ${shared.size} helper thread(s) + the calling thread, chunks of 500`,
        value: n / (shared.ms / 1000),
        unit: 'checks/s',
        baseline: { name: 'helpers only', value: n / (helpers.ms / 1000), unit: 'checks/s' },
        ratio: helpers.ms / shared.ms,
      },
      {
        name: `registry lookups batched: statusesOf in chunks of ${DEFAULT_STATUS_CHUNK} (+ isIssuer per issuer), ${n} credentials`,
        value: batchedMs,
        unit: 'ms',
        baseline: { name: `statusOf one call each (${sample.length} measured, scaled to ${n})`, value: singleEachMs, unit: 'ms' },
        ratio: singleEachMs / batchedMs,
        note: `${batchedCalls} calls vs ${n}; ratio = one-each / batched`,
      },
      {
        name: `whole verifyAll job for ${n} credentials (worker thread, default helpers, cache + trail + audit)`,
        value: totalMs,
        unit: 'ms',
        baseline: { name: 'target', value: 10_000, unit: 'ms' },
        ratio: totalMs / 10_000,
        note: `${result.registryCalls} registry calls; verdicts ${JSON.stringify(result.byVerdict)}; ratio = time / target (below 1 meets it)`,
      },
      {
        name: `whole verifyAll job for ${n} credentials, signature checks in the job's own thread (helpers: 0)`,
        value: inThread.ms,
        unit: 'ms',
        baseline: { name: `with ${os.availableParallelism()} helper threads`, value: withHelpers.ms, unit: 'ms' },
        ratio: inThread.ms / withHelpers.ms,
        note: `after an untimed warm-up run; verdicts ${JSON.stringify(inThread.result.byVerdict)}; ratio = in-thread / with helpers`,
      },
    ];
    return figures;
  } finally {
    db.close();
    await chain.stop();
  }
};

export default bench;
