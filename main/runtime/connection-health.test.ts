// The one connection health every display shows, on a real node that is paused (SIGSTOP) and resumed (SIGCONT),
// with a fake clock for every timeout: node down -> "offline since T, N queued"; an on-demand call to the paused
// node -> CHAIN_TIMEOUT (and the health flips at once); offline, a verification says it rests on the cached verdict
// and how old it is; the sender's own failures count; node back -> connected.
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerificationResult } from '../api/credentials';
import type { ConnectionHealth } from '../api/system';
import { createAuditSink } from '../audit/api-sink';
import { FakeClock, until } from '../chain/fake-clock';
import { startTestNode, type TestNode } from '../chain/test-node';
import { createConsentsHandlers } from '../consents/handlers';
import { testData, type TestData } from '../consents/test-support';
import { credentialDomain } from '../credentials/eip712';
import { createCredentialHandlers } from '../credentials/handlers';
import { saveFinding } from '../credentials/store';
import { signTestCredential, storeCredential } from '../credentials/test-support';
import { ChainRuntime } from './chain-runtime';
import { ConnectionHealthMonitor } from './connection-health';
import { createDispatcher, type ApiHandlers } from './dispatcher';
import { EventBus } from './event-bus';
import { silentLogger } from './log';
import { outboxDepth } from './system-handlers';

const iso = (ms: number) => new Date(ms).toISOString();
const PROBE_MS = 5_000;
const CALL_MS = 8_000;
const REGISTRY = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const ZERO = '0x0000000000000000000000000000000000000000';
const manager = { id: 'staff-1', name: 'Records Manager', role: 'records_manager' } as const;

let node: TestNode;
let t: TestData;
let clock: FakeClock;
let runtime: ChainRuntime;
let health: ConnectionHealthMonitor;
let announced: ConnectionHealth[];
let credentialId: number;
let call: <T>(channel: string, input: unknown) => Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }>;
let paused = false;

function pause(): void {
  process.kill(node.pid, 'SIGSTOP');
  paused = true;
}
function resume(): void {
  process.kill(node.pid, 'SIGCONT');
  paused = false;
}

beforeAll(async () => {
  node = await startTestNode();
  t = testData('custodian-health-');
  clock = new FakeClock();
  const events = new EventBus();
  runtime = new ChainRuntime({
    dataDir: t.dir,
    config: { mode: 'external', rpcUrl: node.rpcUrl, chainId: node.chainId, contracts: { ConsentLedger: ZERO, AuditAnchor: ZERO, CredentialRegistry: REGISTRY }, confirmations: 1, startBlock: 0, finality: 'confirmations' },
    events,
    log: silentLogger,
    embeddedFacilityId: () => {
      throw new Error('an external chain: no embedded chain is started here');
    },
    folderSecret: () => {
      throw new Error('an external chain: no devnet keys here');
    },
    clock,
    probeTimeoutMs: PROBE_MS,
    callTimeoutMs: CALL_MS,
  });
  announced = [];
  health = new ConnectionHealthMonitor({ mode: 'external', disabled: false, queued: () => outboxDepth(t.db).pending, now: () => new Date(clock.now()), emit: (h) => announced.push(h) });
  events.subscribe((m) => {
    if (m.event === 'chain.connection') health.nodeStatus(m.payload);
    if (m.event === 'sync.state') health.senderState(m.payload);
  });
  const handlers = {
    ...createConsentsHandlers({ db: t.db, dataDir: t.dir }),
    ...createCredentialHandlers({ db: t.db, chain: runtime, jobs: { start: () => ({ id: 'none' }) } as never, incoming: () => ({ path: '' }), now: () => new Date(clock.now()) }),
  };
  const dispatch = createDispatcher(handlers as unknown as ApiHandlers, silentLogger, { audit: createAuditSink(t.db) });
  call = (channel, input) => dispatch(channel, input, { principal: manager, transport: 'browser' }) as never;
  // Two consents recorded: two events wait in the outbox (no sync engine runs here).
  const form = { facility: 'GH01', decision: 'permit', purpose: 'TREAT', category: 'general', periodStart: '2025-01-01', grantee: 'gh-cardiology' };
  for (const mrn of ['MRN-1', 'MRN-2']) {
    const r = await call('consents.grant', { ...form, mrn });
    if (!r.ok) throw new Error(r.error.message);
  }
  const signed = await signTestCredential(Wallet.createRandom(), credentialDomain(node.chainId, REGISTRY), { npi: '1679576722', validFrom: '2024-01-01', validUntil: '2099-12-31' });
  credentialId = storeCredential(t.db, signed);
  // Verified 3 hours before the fake "now": the verdict a later offline answer rests on.
  saveFinding(t.db, credentialId, { verdict: 'verified', reason: 'ok' }, { checkedAt: iso(clock.now() - 3 * 3_600_000), trigger: 'bulk', actor: 'test' });
  await runtime.start();
}, 60_000);

afterAll(async () => {
  if (paused) resume();
  await runtime?.stop();
  await node?.stop();
  t?.cleanup();
});

describe('connection health (one source of truth)', () => {
  it('starts connected, with the queue depth', () => {
    expect(outboxDepth(t.db).pending).toBe(2);
    expect(health.current).toMatchObject({ state: 'connected', mode: 'external', since: iso(clock.now()), queued: 2 });
  });

  it('an on-demand call to a paused node ends in CHAIN_TIMEOUT with a message, and every display turns offline at once', async () => {
    pause();
    const T = clock.now();
    const answer = call<VerificationResult>('credentials.verify', { credentialId });
    await until(() => clock.hasTimerAt(CALL_MS));
    clock.advance(CALL_MS);
    const r = await answer;
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('CHAIN_TIMEOUT');
    expect(r.error.message).toMatch(/did not answer within 8 s, so this workstation could not reach the credential registry/);
    // Nothing was recorded from the call that timed out: the cached verdict is still the one from 3 hours ago.
    expect(t.db.prepare('SELECT verdict FROM credentials WHERE id = ?').get(credentialId)).toEqual({ verdict: 'verified' });
    expect(health.current).toMatchObject({ state: 'offline', since: iso(T + CALL_MS), queued: 2, source: 'node', reason: expect.stringMatching(/no answer to reach the credential registry within 8 s/) });
    expect(announced.at(-1)).toMatchObject({ state: 'offline', queued: 2 });
  });

  it('while offline, a verification answers from the cached verdict and says so, with its age', async () => {
    const r = await call<VerificationResult>('credentials.verify', { credentialId });
    expect(r).toMatchObject({
      ok: true,
      value: { verdict: 'unverified_offline', chain: null, cached: { lastVerifiedAt: iso(clock.now() - 3 * 3_600_000 - CALL_MS), ageSeconds: 3 * 3600 + CALL_MS / 1000 } },
    });
  });

  it('the probe times out on the paused node: still offline, since unchanged, the new queue depth shown', async () => {
    const since = (health.current as { since: string }).since;
    const r = await call('consents.grant', { facility: 'GH01', decision: 'permit', purpose: 'TREAT', category: 'general', periodStart: '2025-01-01', grantee: 'gh-cardiology', mrn: 'MRN-3' });
    expect(r.ok).toBe(true);
    const probe = runtime.probe();
    await until(() => clock.hasTimerAt(PROBE_MS));
    clock.advance(PROBE_MS);
    expect(await probe).toMatchObject({ state: 'offline' });
    expect(health.current).toMatchObject({ state: 'offline', since, queued: 3 });
  });

  it('node back: connected again, since the moment it answered', async () => {
    resume();
    expect(await runtime.probe()).toMatchObject({ state: 'connected' });
    expect(health.current).toMatchObject({ state: 'connected', since: iso(clock.now()), queued: 3 });
    expect(announced.at(-1)).toMatchObject({ state: 'connected', queued: 3 });
  });

  it('the sender failing to reach the node is offline too, though the probe answers; its next cycle clears it', () => {
    clock.advance(1_000);
    health.senderState({ state: 'failed', batchId: null, reason: 'rpc', message: 'The RPC endpoint did not answer in time (timeout).' });
    expect(health.current).toMatchObject({ state: 'offline', source: 'sender', since: iso(clock.now()), queued: 3 });
    clock.advance(1_000);
    // A payload rejected before the node was asked says nothing of the connection: still offline, same since.
    health.senderState({ state: 'failed', batchId: null, reason: 'payload', message: 'bad payload' });
    expect(health.current).toMatchObject({ state: 'offline', since: iso(clock.now() - 1_000) });
    health.senderState({ state: 'queued', pending: 3 });
    expect(health.current).toMatchObject({ state: 'connected', queued: 3 });
  });

  it('no chain configured: disabled, whatever the probe says', () => {
    const off = new ConnectionHealthMonitor({ mode: 'embedded', disabled: true, queued: () => 7, now: () => new Date(clock.now()) });
    off.nodeStatus({ state: 'offline', mode: 'embedded', rpcUrl: null, since: iso(clock.now()), reason: 'Chain disabled' });
    expect(off.current).toMatchObject({ state: 'disabled', queued: 7 });
  });
});
