// Verification against a real anvil: CredentialRegistry deployed, an issuer registered with the devnet governance
// key, statuses written with TxSender. Each verdict, replay, a revoked issuer, offline, batched reads, and the API.
import fs from 'node:fs';
import path from 'node:path';
import { Wallet, type BaseWallet, type Signer } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerificationResult } from '../api/credentials';
import type { JobProgress } from '../api/events';
import type { Principal } from '../api/permissions';
import { createAuditSink } from '../audit/api-sink';
import { deployContract } from '../chain/deploy';
import type { Db } from '../db/connection';
import { createDispatcher, type ApiHandlers } from '../runtime/dispatcher';
import { EventBus } from '../runtime/event-bus';
import { silentLogger } from '../runtime/log';
import { JobRunner } from '../workers/job-runner';
import { toCredentialDocument, type SignedCredential } from './document';
import { credentialDomain, type CredentialDomain } from './eip712';
import { gateOf } from '../access/answers';
import { createCredentialHandlers } from './handlers';
import type { VerifyAllResult } from './jobs';
import { CredentialRegistryReader, RegistryUnavailable, type RegistryReader } from './registry-client';
import { revokeIssuer } from './registry-admin';
import { verifyAllJobParams } from './scheduler';
import { issuerStatusSignatureFor } from './status-change';
import { credentialById } from './store';
import { openTestDb, signTestCredential, startRegistryChain, storeCredential, tempDir, TEST_NPIS, type RegistryChain } from './test-support';
import { openRegistrySource, verifyStoredCredentials, type ChainConnectionSource, type RegistrySource } from './verify';

let chain: RegistryChain;
let dir: string;
let db: Db;
let domain: CredentialDomain;
let connected: ChainConnectionSource & { connection: { provider: RegistryChain['provider']; endpoint: { rpcUrl: string; chainId: number; contracts: Record<string, string> } } };
const offline = { connection: null, current: { state: 'offline', reason: 'connect ECONNREFUSED 127.0.0.1:1' } };
const issuer = Wallet.createRandom();
const manager: Principal = { id: 'staff-1', name: 'Records Manager', role: 'records_manager' };
const clerk: Principal = { id: 'staff-2', name: 'Clerk', role: 'records_clerk' };

beforeAll(async () => {
  chain = await startRegistryChain();
  await chain.registerIssuer(issuer.address, 'State Medical Board');
  domain = credentialDomain(chain.chainId, chain.contracts.CredentialRegistry);
  connected = { connection: { provider: chain.provider, endpoint: { rpcUrl: chain.node.rpcUrl, chainId: chain.chainId, contracts: chain.contracts } }, current: { state: 'connected' } };
  dir = tempDir();
  db = openTestDb(dir);
});
afterAll(async () => {
  db?.close();
  await chain?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function stored(signer: BaseWallet = issuer, npi: string = TEST_NPIS[0], d = domain, status: 'active' | 'suspended' | 'revoked' | null = 'active'): Promise<{ id: number; c: SignedCredential }> {
  const c = await signTestCredential(signer, d, { npi, validFrom: '2024-01-01', validUntil: '2030-12-31' });
  if (status) await chain.setStatuses([{ hash: c.hash, status, validUntil: c.fields.validUntil, issuer: signer }]);
  return { id: storeCredential(db, c), c };
}

async function verify(id: number, source?: RegistrySource) {
  const { results } = await verifyStoredCredentials(db, [credentialById(db, id)!], source ?? (await openRegistrySource(db, connected)), { now: new Date(), check: { trigger: 'on-demand', actor: 'test' }, single: true });
  return results[0]!.finding;
}

const noUploads = (): never => {
  throw new Error('no uploads in this test');
};

describe('verification against CredentialRegistry', () => {
  it('verifies an active credential of a registered issuer and records the check with its block', async () => {
    const { id } = await stored();
    expect(await verify(id)).toMatchObject({ verdict: 'verified' });
    const row = credentialById(db, id)!;
    expect(row).toMatchObject({ verdict: 'verified', checked_at: row.last_verified_at });
    const trail = db.prepare('SELECT verdict, trigger, block_number FROM credential_checks WHERE credential_id = ?').all(id) as { block_number: number }[];
    expect(trail).toEqual([{ verdict: 'verified', trigger: 'on-demand', block_number: expect.any(Number) }]);
  });

  it.each([
    ['suspended', 'suspended', /suspended/],
    ['revoked', 'revoked', /revoked/],
    [null, 'not_on_registry', /holds no status/],
  ] as const)('reads registry status %s as %s', async (status, verdict, reason) => {
    const { id } = await stored(issuer, TEST_NPIS[1], domain, status);
    expect(await verify(id)).toEqual({ verdict, reason: expect.stringMatching(reason) });
  });

  it('reports a signature by an unregistered key as an unknown issuer', async () => {
    const { id } = await stored(Wallet.createRandom(), TEST_NPIS[2], domain, null);
    expect(await verify(id)).toEqual({ verdict: 'unknown_issuer', reason: expect.stringMatching(/is not registered \(or no longer registered\)/) });
  });

  it('turns a removed issuer into an unknown issuer, though its credential is still active on chain', async () => {
    const board = Wallet.createRandom();
    await chain.registerIssuer(board.address, 'Nursing Council');
    const { id } = await stored(board, TEST_NPIS[3]);
    expect((await verify(id)).verdict).toBe('verified');
    await revokeIssuer(chain.admin, chain.contracts.CredentialRegistry, board.address);
    expect(await verify(id)).toEqual({ verdict: 'unknown_issuer', reason: expect.stringContaining(board.address) });
  });

  it('refuses credentials signed for another chain id or another registry (replay), even when published there', async () => {
    const otherRegistry = await deployContract(chain.admin, 'CredentialRegistry', [await chain.admin.address()]);
    const forChain1 = await stored(issuer, TEST_NPIS[4], credentialDomain(1, chain.contracts.CredentialRegistry), 'active');
    const forOther = await stored(issuer, TEST_NPIS[4], credentialDomain(chain.chainId, otherRegistry), 'active');
    expect(await verify(forChain1.id)).toEqual({ verdict: 'bad_signature', reason: expect.stringMatching(/Signed for chain id 1, .*replay/) });
    expect(await verify(forOther.id)).toEqual({ verdict: 'bad_signature', reason: expect.stringMatching(new RegExp(`Signed for registry ${otherRegistry}`)) });
  });

  it('catches a field changed in the database after signing', async () => {
    const { id } = await stored(issuer, TEST_NPIS[0]);
    db.prepare(`UPDATE credentials SET valid_until = '2099-12-31' WHERE id = ?`).run(id);
    expect((await verify(id)).verdict).toBe('bad_signature');
  });

  it('says "unverified (offline) — last verified at …" when the registry cannot be reached, never verified', async () => {
    const { id } = await stored(issuer, TEST_NPIS[1]);
    await verify(id);
    const lastVerified = credentialById(db, id)!.last_verified_at;
    const source = await openRegistrySource(db, offline);
    expect(source).toEqual({ offline: 'chain offline: connect ECONNREFUSED 127.0.0.1:1', expected: domain });
    expect(await verify(id, source)).toEqual({ verdict: 'unverified_offline', reason: `The registry could not be reached (chain offline: connect ECONNREFUSED 127.0.0.1:1); last verified at ${lastVerified}.` });
    expect(credentialById(db, id)!.last_verified_at).toBe(lastVerified);
    // A node that stops answering mid-way is offline too.
    const reader = await CredentialRegistryReader.connect(chain.provider, chain.chainId, chain.contracts.CredentialRegistry);
    const dead: RegistryReader = {
      chainId: reader.chainId,
      registry: reader.registry,
      blockNumber: reader.blockNumber,
      calls: 0,
      isIssuer: () => Promise.reject(new RegistryUnavailable('socket hang up')),
      statusOf: (h) => reader.statusOf(h),
      statusesOf: (h) => reader.statusesOf(h),
    };
    expect((await verify(id, { reader: dead })).verdict).toBe('unverified_offline');
  });

  it('reads many statuses with one statusesOf per chunk, agreeing with one statusOf each', async () => {
    const many = await Promise.all(Array.from({ length: 40 }, (_, i) => signTestCredential(issuer, domain, { npi: TEST_NPIS[i % 5]!, number: `B-${i}` })));
    await chain.setStatuses(many.map((c, i) => ({ hash: c.hash, status: (['active', 'suspended', 'revoked'] as const)[i % 3]!, validUntil: c.fields.validUntil, issuer })));
    const reader = await CredentialRegistryReader.connect(chain.provider, chain.chainId, chain.contracts.CredentialRegistry, { chunk: 16 });
    const batched = await reader.statusesOf(many.map((c) => c.hash));
    expect(reader.calls).toBe(3);
    const single = await Promise.all(many.map((c) => reader.statusOf(c.hash)));
    expect(batched).toEqual(single.map(({ status, expiresAt }) => ({ status, expiresAt })));
    expect(batched.map((b) => b.status)).toEqual(many.map((_, i) => [1, 2, 3][i % 3]));
  });
});

describe('bulk verification job and API', () => {
  it('verifies everything in a worker thread, audits each verification and reports progress', async () => {
    const events = new EventBus();
    const progress: JobProgress[] = [];
    events.subscribe((m) => m.event === 'job.progress' && progress.push(m.payload));
    const jobs = new JobRunner({ db, dbPath: path.join(dir, 'custodian.sqlite'), events, log: silentLogger, progressIntervalMs: 0 });
    const total = (db.prepare('SELECT count(*) AS n FROM credentials').get() as { n: number }).n;
    const auditBefore = (db.prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'credential.verify'`).get() as { n: number }).n;
    const params = { ...verifyAllJobParams(db, connected, 'bulk', { id: manager.id, name: manager.name, role: manager.role }, null), chunk: 4 };
    const job = jobs.start('credentials.verifyAll', params);
    const done = await jobs.waitFor(job.id);
    expect(done).toMatchObject({ state: 'succeeded', done: total, total });
    const result = JSON.parse((db.prepare('SELECT result FROM jobs WHERE id = ?').get(job.id) as { result: string }).result) as VerifyAllResult;
    expect(result.checked).toBe(total);
    expect(result.byVerdict).toMatchObject({ verified: expect.any(Number), bad_signature: 3, unknown_issuer: 2 });
    // One isIssuer per distinct issuer, then one statusesOf per chunk of 4 that reached the registry.
    expect(result.registryCalls).toBeLessThan(total);
    const audited = db.prepare(`SELECT actor_id, outcome, details FROM audit_log WHERE action = 'credential.verify' ORDER BY id`).all() as { actor_id: string; details: string }[];
    expect(audited.length - auditBefore).toBe(total);
    expect(JSON.parse(audited.at(-1)!.details)).toMatchObject({ trigger: 'bulk', jobId: job.id, verdict: expect.any(String) });
    expect(audited.at(-1)!.actor_id).toBe(manager.id);
    expect(progress.map((p) => p.done)).toEqual([...progress.map((p) => p.done)].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ state: 'succeeded', done: total });
  });

  it('gives every credential the same verdict with helper threads as in the job thread', async () => {
    const jobs = new JobRunner({ db, dbPath: path.join(dir, 'custodian.sqlite'), events: new EventBus(), log: silentLogger, progressIntervalMs: 0 });
    const verdicts = () => db.prepare('SELECT id, verdict, reason FROM credentials ORDER BY id').all();
    const run = async (helpers: number) => {
      const job = jobs.start('credentials.verifyAll', { ...verifyAllJobParams(db, connected, 'bulk', null, null), chunk: 3, helpers });
      expect(await jobs.waitFor(job.id)).toMatchObject({ state: 'succeeded' });
      return verdicts();
    };
    const inThread = await run(0);
    expect(new Set(inThread.map((v) => (v as { verdict: string }).verdict)).size).toBeGreaterThan(2);
    expect(await run(2)).toEqual(inThread);
  });

  it('verifies on demand, checks documents, revokes through the outbox and gates consent decisions, all audited', async () => {
    const jobs = { start: () => { throw new Error('not used'); } };
    const handlers = createCredentialHandlers({ db, chain: connected, jobs, incoming: noUploads }) as unknown as ApiHandlers;
    const dispatch = createDispatcher(handlers, silentLogger, { audit: createAuditSink(db) });
    const as = (principal: Principal) => <T>(channel: string, input: unknown) => dispatch(channel, input, { principal, transport: 'browser' }) as Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }>;
    const { id, c } = await stored(issuer, TEST_NPIS[2]);

    expect(await as(clerk)('credentials.verify', { credentialId: id })).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    const r = await as(manager)<VerificationResult>('credentials.verify', { credentialId: id });
    expect(r).toMatchObject({ ok: true, value: { verdict: 'verified', label: 'Verified', chain: { chainId: chain.chainId, registry: chain.contracts.CredentialRegistry } } });
    const entry = db.prepare(`SELECT outcome, subject, details FROM audit_log WHERE action = 'credentials.verify' ORDER BY id DESC LIMIT 1`).get() as { subject: string; details: string };
    expect(entry.subject).toBe(c.hash);
    expect(JSON.parse(entry.details)).toMatchObject({ verdict: 'verified', credentialId: id, npi: TEST_NPIS[2] });
    expect(gateOf(db, TEST_NPIS[2], new Date())).toMatchObject({ ok: true });

    const doc = JSON.stringify(toCredentialDocument(c));
    expect(await as(manager)('credentials.check', { document: doc })).toMatchObject({ ok: true, value: { verdict: 'verified', credentialId: id } });
    expect(await as(manager)('credentials.check', { document: '{"format":' })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_MALFORMED', message: expect.stringMatching(/not valid JSON/) } });
    const tampered = JSON.stringify({ ...toCredentialDocument(c), credential: { ...c.fields, validUntil: '2099-12-31' } });
    expect(await as(manager)('credentials.check', { document: tampered })).toMatchObject({ ok: true, value: { verdict: 'bad_signature', credentialId: null } });

    // The workstation relays only the issuer's word: unsigned, or signed by someone else, nothing is queued.
    expect(await as(manager)('credentials.setStatus', { credentialId: id, status: 'revoked', reason: 'licence surrendered' })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_STATUS_UNSIGNED' } });
    const forged = await issuerStatusSignatureFor(Wallet.createRandom(), credentialById(db, id)!, 'revoked', new Date());
    expect(await as(manager)('credentials.setStatus', { credentialId: id, status: 'revoked', reason: 'licence surrendered', issuerSignature: forged })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_STATUS_UNSIGNED' } });
    const issuerSignature = await issuerStatusSignatureFor(issuer, credentialById(db, id)!, 'revoked', new Date());
    const revoked = await as(manager)<{ outboxId: number; credential: { check: { verdict: string } } }>('credentials.setStatus', { credentialId: id, status: 'revoked', reason: 'licence surrendered', issuerSignature });
    expect(revoked).toMatchObject({ ok: true, value: { credential: { check: { verdict: 'revoked' }, localStatus: { status: 'revoked', outboxState: 'pending' } } } });
    expect(db.prepare(`SELECT kind FROM outbox WHERE id = ?`).get((revoked as { value: { outboxId: number } }).value.outboxId)).toEqual({ kind: 'credential.status' });
    const gate = gateOf(db, TEST_NPIS[2], new Date());
    expect(gate.ok).toBe(false);

    const stranger = await stored(Wallet.createRandom(), TEST_NPIS[2], domain, null);
    expect(await as(manager)('credentials.setStatus', { credentialId: stranger.id, status: 'active', reason: 'publish it' })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_UNKNOWN_ISSUER' } });
    db.prepare(`UPDATE credentials SET number = 'forged' WHERE id = ?`).run(stranger.id);
    expect(await as(manager)('credentials.setStatus', { credentialId: stranger.id, status: 'suspended', reason: 'publish it' })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_BAD_SIGNATURE', message: expect.stringMatching(/does not match its fields/) } });
    // A revocation is no longer "always accepted": it too needs the credential's issuer (and on chain a registered
    // one: contracts/test/CredentialRegistry.test.ts plays the squatter).
    const strangerSig = await issuerStatusSignatureFor(Wallet.createRandom(), credentialById(db, stranger.id)!, 'revoked', new Date());
    expect(await as(manager)('credentials.setStatus', { credentialId: stranger.id, status: 'revoked', reason: 'not its issuer', issuerSignature: strangerSig })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_STATUS_UNSIGNED' } });

    const list = await as(clerk)<{ providers: unknown[] }>('providers.list', { search: TEST_NPIS[2].slice(0, 4) });
    expect(list).toMatchObject({ ok: true });
    const detail = await as(clerk)<{ trail: { credentialId: number; verdict: string }[] }>('providers.get', { npi: TEST_NPIS[2] });
    expect(detail.ok && detail.value.trail.filter((t) => t.credentialId === id).map((t) => t.verdict).slice(0, 2)).toEqual(['revoked', 'verified']);
  });
});
