// The bulk verification against a real node that stops answering (anvil paused with SIGSTOP, always resumed in
// finally): every chain read is bounded by the on-demand limit on a fake clock; after the first CHAIN_TIMEOUT the
// run asks the chain nothing more, answers each credential from its last verification on record (never as a current
// one: the attacker who pauses the node gains nothing), ends with verified / from cache / not verified, and a re-run
// once the node is back verifies them again. In a worker thread, the job ends though the node never answers.
import fs from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAllParams } from '../api/jobs';
import { FakeClock, until } from '../chain/fake-clock';
import type { Db } from '../db/connection';
import { EventBus } from '../runtime/event-bus';
import { silentLogger } from '../runtime/log';
import { JobRunner } from '../workers/job-runner';
import type { JobContext } from '../workers/protocol';
import { credentialDomain } from './eip712';
import { createVerifyAllJob, type VerifyAllParams, type VerifyAllResult } from './jobs';
import { openTestDb, signTestCredential, startRegistryChain, storeCredential, tempDir, TEST_NPIS, type RegistryChain } from './test-support';

const CALL_MS = 8_000;
const issuer = Wallet.createRandom();

let chain: RegistryChain;
let dir: string;
let db: Db;
let paused = false;
/** Verified by the first run; added after it (never verified). */
let earlier: number[] = [];
let later: number[] = [];

function pause(): void {
  process.kill(chain.node.pid, 'SIGSTOP');
  paused = true;
}
function resume(): void {
  if (!paused) return;
  process.kill(chain.node.pid, 'SIGCONT');
  paused = false;
}

async function addCredentials(n: number, from: number): Promise<number[]> {
  const domain = credentialDomain(chain.chainId, chain.contracts.CredentialRegistry);
  const signed = await Promise.all(Array.from({ length: n }, (_, i) => signTestCredential(issuer, domain, { npi: TEST_NPIS[(from + i) % 5]!, number: `T-${from + i}`, validFrom: '2024-01-01', validUntil: '2099-12-31' })));
  await chain.setStatuses(signed.map((c) => ({ hash: c.hash, status: 'active' as const, validUntil: c.fields.validUntil, issuer })));
  return signed.map((c) => storeCredential(db, c));
}

function params(extra: Partial<VerifyAllParams> = {}): VerifyAllParams {
  return {
    endpoint: { rpcUrl: chain.node.rpcUrl, chainId: chain.chainId, registry: chain.contracts.CredentialRegistry },
    expected: null,
    dueBefore: null,
    trigger: 'bulk',
    actor: null,
    chunk: 3,
    helpers: 0,
    ...extra,
  };
}

/** Runs the job in this thread on `clock`; `onReport` sees each progress report (the first comes after the reader connected). */
async function runInThread(clock: FakeClock, jobId: string, onReport: (done: number, message?: string) => void = () => undefined, checkpoint: unknown = null): Promise<VerifyAllResult> {
  const ctx: JobContext<ReturnType<typeof verifyAllParams.parse>> = {
    jobId,
    db,
    params: verifyAllParams.parse(params()),
    checkpoint,
    report: (done, _total, _errors, message) => onReport(done, message),
    saveCheckpoint: () => undefined,
    cancelled: false,
    mainThread: null,
  };
  return createVerifyAllJob({ clock })(ctx);
}

type Row = { id: number; verdict: string; reason: string; last_verified_at: string | null };
const rowsOf = (ids: number[]) => ids.map((id) => db.prepare('SELECT id, verdict, reason, last_verified_at FROM credentials WHERE id = ?').get(id) as Row);

beforeAll(async () => {
  chain = await startRegistryChain();
  await chain.registerIssuer(issuer.address, 'State Medical Board');
  dir = tempDir('custodian-verify-timeout-');
  db = openTestDb(dir);
  earlier = await addCredentials(7, 0);
});
afterAll(async () => {
  resume();
  db?.close();
  await chain?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('bulk verification when the node stops answering', () => {
  it('verifies everything while the node answers', async () => {
    const r = await runInThread(new FakeClock(), 'job-live');
    expect(r).toMatchObject({ checked: 7, verified: 7, answeredFromCache: 0, notVerified: 0, chainTimeout: false, offlineReason: null });
    expect(r.message).toBe(`7 credential(s) checked: 7 verified against the registry (block ${r.blockNumber}), 0 answered from their last verification on record, 0 not verified.`);
    later = await addCredentials(4, 7);
  });

  it('paused after it connected: one read times out, nothing more is asked, every credential is answered from cache or not verified', async () => {
    const before = rowsOf(earlier);
    const clock = new FakeClock();
    let run: Promise<VerifyAllResult> | null = null;
    try {
      // The first report comes after the reader connected and pinned its block, before the first chunk is read.
      run = runInThread(clock, 'job-paused', (done) => {
        if (done === 0 && !paused) pause();
      });
      await until(() => paused && clock.hasTimerAt(CALL_MS));
      clock.advance(CALL_MS);
      const r = await run;
      expect(r).toMatchObject({ checked: 11, verified: 0, answeredFromCache: 7, notVerified: 4, chainTimeout: true });
      // The first registry read timed out; the four chunks after it did not ask the chain.
      expect(r.registryCalls).toBe(1);
      expect(r.offlineReason).toBe('CHAIN_TIMEOUT: the chain node did not answer within 8 s');
      expect(r.message).toMatch(/^11 credential\(s\) checked: 0 verified against the registry, 7 answered from their last verification on record, 4 not verified\. The chain node stopped answering \(CHAIN_TIMEOUT\).*start Verify all again/);
    } finally {
      resume();
      await run?.catch(() => undefined);
    }
    // The attacker who paused the node made nothing read as current: the cached ones say offline and name their
    // last verification (unchanged), the others were never verified and say so.
    rowsOf(earlier).forEach((row, i) => {
      expect(row).toMatchObject({ verdict: 'unverified_offline', last_verified_at: before[i]!.last_verified_at });
      expect(row.reason).toBe(`The registry could not be reached (CHAIN_TIMEOUT: the chain node did not answer within 8 s); last verified at ${before[i]!.last_verified_at}.`);
    });
    for (const row of rowsOf(later)) expect(row).toMatchObject({ verdict: 'unverified_offline', last_verified_at: null, reason: expect.stringMatching(/never verified\.$/) });
    expect(db.prepare(`SELECT count(*) AS n FROM credential_checks WHERE job_id = 'job-paused' AND verdict != 'unverified_offline'`).get()).toEqual({ n: 0 });
  });

  it('re-run once the node is back: asks the chain for every credential again and verifies them', async () => {
    const r = await runInThread(new FakeClock(), 'job-rerun');
    expect(r).toMatchObject({ checked: 11, verified: 11, answeredFromCache: 0, notVerified: 0, chainTimeout: false });
    for (const row of rowsOf([...earlier, ...later])) expect(row.verdict).toBe('verified');
  });

  it('resumed from a checkpoint (an interrupted run), counts the whole run and asks only for the rest', async () => {
    const all = [...earlier, ...later];
    const checkpoint = { after: all[4]!, done: 5, byVerdict: { unverified_offline: 5 }, verified: 0, answeredFromCache: 5, notVerified: 0, chainTimeout: false };
    const r = await runInThread(new FakeClock(), 'job-resumed', undefined, checkpoint);
    expect(r).toMatchObject({ checked: 11, verified: 6, answeredFromCache: 5, notVerified: 0, byVerdict: { verified: 6, unverified_offline: 5 } });
  });

  it('in a worker thread, a node paused before the job connects: the job ends (no socket keeps it alive) with CHAIN_TIMEOUT in its result', async () => {
    const jobs = new JobRunner({ db, dbPath: path.join(dir, 'custodian.sqlite'), events: new EventBus(), log: silentLogger, progressIntervalMs: 0 });
    pause();
    try {
      // A short limit: the node is paused, so it fires whatever its length; nothing here measures time.
      const job = jobs.start('credentials.verifyAll', params({ callTimeoutMs: 200 }));
      expect(await jobs.waitFor(job.id)).toMatchObject({ state: 'succeeded', done: 11 });
      const result = JSON.parse((db.prepare('SELECT result FROM jobs WHERE id = ?').get(job.id) as { result: string }).result) as VerifyAllResult;
      expect(result).toMatchObject({ checked: 11, verified: 0, answeredFromCache: 11, notVerified: 0, chainTimeout: true, registryCalls: 0 });
      expect(result.message).toMatch(/CHAIN_TIMEOUT/);
    } finally {
      resume();
    }
  });
});
