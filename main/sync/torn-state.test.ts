// The torn node state, made deterministically: a node stopped while mining can keep a transaction's storage writes
// and lose its block, receipt and logs (scripts/anvil-torn-state.ts). Here the batch's transaction is mined, its state
// diff read (prestateTracer), the chain reverted to before it and the diff written back (setStorageAt, setNonce):
// flag set, no block, no receipt, no event. No workstation can pull such a change, and the ledger keeps nothing per key,
// so for every reader the batch never happened; the sender must not confirm it, must name it (SYNC_APPLIED_WITHOUT_LOG)
// and send the changes again with events, so a second workstation pulling from the chain ends with the same consents
// (convergence); the other kinds' repairs are in torn-repair.test.ts
// and audit/torn-anchor.test.ts. Also as the attacker: a hostile signer's event
// under our batch id never confirms it, and retrying the failed batch re-stamps nothing more. anvil and EDR (both
// trace a state diff with prestateTracer).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Contract, Transaction, Wallet } from 'ethers';
import { tornEngine as tornEngineOn } from './fixtures/torn';
import { loadArtifact } from '../chain/artifacts';
import { ConsentConflicts } from '../consents/consent-conflicts';
import { SqlConsentSink } from '../consents/consent-sink';
import { foldKeyLogs } from '../consents/ledger-state';
import { consentOpOf } from '../consents/sync-plugin';
import type { Db } from '../db/connection';
import { outboxStates, startTestChain, tempDir, TEST_SEALER, testEngine, workstationKey, type TestChain, type TestEngineOptions } from './fixtures/chain';
import { currentConsents, workstation, writeConsent, type Terms } from './fixtures/workstation';
import { SyncStore } from './store';
import { unpackState } from '../consents/consent-state';

let chain: TestChain;
beforeAll(async () => {
  chain = await startTestChain();
});
afterAll(async () => {
  await chain?.stop();
});

const KEY: Omit<Terms, 'seq'> = { patient: 0, grantee: '2222222222', purpose: 'TREAT', category: 'general', decision: 'permit', revoked: false };
const CHANGES: Terms[] = [
  { ...KEY, seq: 5 },
  { ...KEY, purpose: 'HPAYMT', seq: 5, decision: 'deny' },
  { ...KEY, patient: 1, seq: 5, revoked: true },
];

/** A's engine whose first consent batch lands torn (fixtures/torn.ts). */
function tornEngine(a: Db, keyA: string, broadcasts: string[], beforeSync: () => Promise<void> = async () => undefined, extra: TestEngineOptions = {}) {
  return tornEngineOn(chain, a, keyA, broadcasts, failpointErrors, beforeSync, extra);
}

/** Errors thrown inside a torn engine's failpoint (a failed expectation there would otherwise look like a crash). */
const failpointErrors: unknown[] = [];
afterEach(() => {
  const errors = failpointErrors.splice(0);
  expect(errors).toEqual([]);
});

/** Every consent key's word by the readers' fold of the ledger's events, for the keys the test writes. */
async function ledgerWords(payloads: readonly string[]): Promise<bigint[]> {
  return Promise.all(payloads.map(async (p) => (await foldKeyLogs(chain.provider, chain.contracts.ConsentLedger, TEST_SEALER.facilityId, consentOpOf(JSON.parse(p), TEST_SEALER).opKey)).word));
}

describe('a consent batch whose transaction left a torn node state (writes kept; block, receipt, events lost)', () => {
  it('is not confirmed, is named SYNC_APPLIED_WITHOUT_LOG, is sent again unchanged, and a second workstation pulling ends with the same consents', async () => {
    const dir = tempDir('sync-torn-state');
    const a = workstation(dir, 'ws-a', [0, 1]);
    const b = workstation(dir, 'ws-b', [0, 1]);
    const keyA = await workstationKey(chain);
    const keyB = await workstationKey(chain);
    for (const t of CHANGES) writeConsent(a, 'a', t);
    const broadcasts: string[] = [];
    const engineA = tornEngine(a, keyA, broadcasts);
    const report = await engineA.runUntilDrained(60_000);
    await engineA.stop();
    expect(report.failure).toBeUndefined();

    const batches = a.prepare(`SELECT id, state, event_count AS n, tx_hash AS txHash, block_number AS block, last_error AS error FROM sync_batches ORDER BY rowid`).all() as { id: string; state: string; n: number; txHash: string | null; block: number | null; error: string | null }[];
    expect(batches.map((x) => [x.state, x.n])).toEqual([
      ['failed', 3],
      ['confirmed', 3],
    ]);
    expect(batches[0]!.error).toMatch(/^SYNC_APPLIED_WITHOUT_LOG: .* is NOT confirmed\. 3 change\(s\) sent again unchanged as outbox event\(s\) 4, 5, 6/);
    expect(batches[1]).toMatchObject({ txHash: Transaction.from(broadcasts[1]!).hash });
    expect(broadcasts).toHaveLength(2);
    expect(outboxStates(a)).toEqual({ failed: 3, confirmed: 3 });
    const sync = new SyncStore(a, ['consent.change']);
    expect(sync.listBatches(10, 'failed').map((x) => x.last_error?.slice(0, 24))).toEqual(['SYNC_APPLIED_WITHOUT_LOG']);
    const resends = a.prepare(`SELECT subject, details FROM audit_log WHERE action = 'consent.resend' ORDER BY id`).all() as { subject: string; details: string }[];
    expect(resends).toHaveLength(3);
    expect(JSON.parse(resends[0]!.details)).toMatchObject({ reason: 'SYNC_APPLIED_WITHOUT_LOG', batchId: batches[0]!.id, outboxId: 1, resentAs: 4 });
    // Each keeps its place in time: its own stamp (no reader ever saw it, and the ledger keeps nothing per key), so a
    // later change another workstation made meanwhile (offline) still outranks it when it lands; the payload is the
    // torn event's, byte for byte.
    for (const r of resends) {
      const d = JSON.parse(r.details) as { hlc: string; newHlc: string };
      expect(d.newHlc).toBe(d.hlc);
    }
    const texts = a.prepare(`SELECT payload FROM outbox_events ORDER BY id`).pluck().all() as string[];
    expect(texts.slice(3)).toEqual(texts.slice(0, 3));
    expect(new ConsentConflicts(a).list()).toEqual([]);

    // The chain's fold now holds the resent words, each with its event.
    const resent = (a.prepare(`SELECT payload FROM outbox_events WHERE id > 3 ORDER BY id`).pluck().all() as string[]);
    const words = await ledgerWords(resent);
    for (const [i, w] of words.entries()) expect(w & ((1n << 80n) - 1n)).toBe(consentOpOf(JSON.parse(resent[i]!), TEST_SEALER).order);

    // B pulls from the chain: the same consent state as A, key for key (terms and stamps).
    const engineB = testEngine(b, chain, { signerKey: keyB, sink: new SqlConsentSink(b) });
    const pulled = await engineB.runUntilDrained(60_000);
    await engineB.stop();
    expect(pulled.failure).toBeUndefined();
    const view = (db: Db) => currentConsents(db).map(({ patient, grantee, purpose, category, decision, status, hlc }) => ({ key: `${patient}/${grantee}/${purpose}/${category}`, decision, status, hlc }));
    expect(view(b)).toHaveLength(3);
    expect(view(b)).toEqual(view(a));
    expect(b.prepare(`SELECT count(*) FROM sync_pending_consent_changes`).pluck().get()).toBe(0);

    // Retrying the failed batch sends nothing more: each change was already sent again.
    expect(sync.retry(batches[0]!.id)).toBe(true);
    const retry = testEngine(a, chain, { signerKey: keyA, stuckAfterMs: 0, onBroadcast: (raw) => broadcasts.push(raw) });
    await retry.runUntilDrained(60_000);
    await retry.stop();
    expect(a.prepare(`SELECT count(*) FROM outbox`).pluck().get()).toBe(6);
    expect(a.prepare(`SELECT count(*) FROM audit_log WHERE action = 'consent.resend'`).pluck().get()).toBe(3);
    expect(sync.batch(batches[0]!.id)).toMatchObject({ state: 'failed' });
    expect(sync.batch(batches[0]!.id)!.last_error).toMatch(/^SYNC_APPLIED_WITHOUT_LOG: .*0 change\(s\) sent again unchanged as outbox event\(s\) none; 3 already sent again/);
    a.close();
    b.close();
  }, 120_000);

  it('an op followed in the torn batch by our own later change of its key: sent again with it; STALE when another writer landed above it first (issue #18)', async () => {
    // Nothing of a torn batch reached any reader, so all four changes land again, late and unchanged, and the fold
    // judges them there: on k1, A's 10 is STALE under C's 20 (landed first), named at A; A's 30 holds. On k2 nobody
    // landed between: 10 then 30, succession, nothing to raise. C's 20 lost to A's 30, written without seeing it:
    // C is told when it pulls.
    const dir = tempDir('sync-torn-followed');
    const a = workstation(dir, 'ws-a', [0, 1]);
    const c = workstation(dir, 'ws-c', [0, 1]);
    const keyA = await workstationKey(chain);
    const keyC = await workstationKey(chain);
    const k1 = { ...KEY, grantee: '4444444444' };
    const k2: Omit<Terms, 'seq'> = { ...k1, purpose: 'HPAYMT' };
    writeConsent(c, 'c', { ...k1, seq: 20, decision: 'deny' });
    const engineC = testEngine(c, chain, { signerKey: keyC });
    expect((await engineC.runUntilDrained(60_000)).failure).toBeUndefined();
    await engineC.stop();
    writeConsent(a, 'a', { ...k1, seq: 10 });
    writeConsent(a, 'a', { ...k1, seq: 30, revoked: true });
    writeConsent(a, 'a', { ...k2, seq: 10 });
    writeConsent(a, 'a', { ...k2, seq: 30, decision: 'deny' });
    const broadcasts: string[] = [];
    const engineA = tornEngine(a, keyA, broadcasts, async () => undefined, { sink: new SqlConsentSink(a) });
    expect((await engineA.runUntilDrained(60_000)).failure).toBeUndefined();
    await engineA.stop();

    const [first] = a.prepare(`SELECT state, event_count AS n, last_error AS error FROM sync_batches ORDER BY rowid`).all() as { state: string; n: number; error: string }[];
    expect(first).toMatchObject({ state: 'failed', n: 4 });
    expect(first!.error).toMatch(/4 change\(s\) sent again unchanged as outbox event\(s\) 5, 6, 7, 8\.$/);
    const staleAtA = () => new ConsentConflicts(a).list().map((x) => ({ outboxId: x.outboxId, reason: x.reason, winner: x.winningOrder?.slice(0, 16), writer: x.winningWriter }));
    expect(staleAtA()).toEqual([{ outboxId: 5, reason: 'STALE', winner: '0000000000000014', writer: new Wallet(keyC).address.toLowerCase() }]);
    // The chain's fold: A's 30 holds both keys.
    const resent = a.prepare(`SELECT payload FROM outbox_events WHERE id > 4 ORDER BY id`).pluck().all() as string[];
    expect((await ledgerWords(resent)).map((w) => unpackState(w)!.hlc)).toEqual([30n, 30n, 30n, 30n]);
    // C pulls: its 20 lost to A's resend, a conflict naming it.
    const pullC = testEngine(c, chain, { signerKey: keyC, sink: new SqlConsentSink(c) });
    expect((await pullC.runUntilDrained(60_000)).failure).toBeUndefined();
    await pullC.stop();
    expect(new ConsentConflicts(c).list().map((x) => ({ reason: x.reason, winner: x.winningOrder?.slice(0, 16), writer: x.winningWriter }))).toEqual([
      { reason: 'OVERRIDDEN', winner: '000000000000001e', writer: new Wallet(keyA).address.toLowerCase() },
    ]);
    // Running the hook again (a retry of the failed batch) raises nothing more and resends nothing.
    const sync = new SyncStore(a, ['consent.change']);
    expect(sync.retry(sync.listBatches(10, 'failed')[0]!.id)).toBe(true);
    const retry = testEngine(a, chain, { signerKey: keyA, stuckAfterMs: 0 });
    await retry.runUntilDrained(60_000);
    await retry.stop();
    expect(staleAtA()).toHaveLength(1);
    expect(a.prepare(`SELECT count(*) FROM outbox`).pluck().get()).toBe(8);
    a.close();
    c.close();
  }, 120_000);

  it("two torn batches of two workstations on one key: neither existed for any reader; both resend, the rule decides, the loser is told (issue #18)", async () => {
    // B's batch lands torn (B at 20 on k, and k2) and B is down. A, offline, wrote k at 10 and 30; its batch lands torn
    // too. No reader saw either, so there is nothing for A's ops to have lost to: A sends its 10 and 30 again, B its
    // 20s on restart, and on k B's 20 lands after A's 30 and loses: the conflict is B's.
    const dir = tempDir('sync-torn-both');
    const a = workstation(dir, 'ws-a', [0, 1]);
    const b = workstation(dir, 'ws-b', [0, 1]);
    const keyA = await workstationKey(chain);
    const keyB = await workstationKey(chain);
    const k: Omit<Terms, 'seq'> = { ...KEY, grantee: '5555555555' };
    const k2: Omit<Terms, 'seq'> = { ...k, purpose: 'HPAYMT' };
    writeConsent(b, 'b', { ...k, seq: 20, decision: 'deny' });
    writeConsent(b, 'b', { ...k2, seq: 20 });
    writeConsent(a, 'a', { ...k, seq: 10 });
    writeConsent(a, 'a', { ...k, seq: 30, revoked: true });
    const writerA = new Wallet(keyA).address.toLowerCase();
    let tornAtA: ReturnType<ConsentConflicts['list']> = [];
    const engineB = tornEngineOn(chain, b, keyB, [], failpointErrors, async () => {
      const engineA = tornEngine(a, keyA, []);
      expect((await engineA.runUntilDrained(60_000)).failure).toBeUndefined();
      await engineA.stop();
      tornAtA = new ConsentConflicts(a).list();
    }, { sink: new SqlConsentSink(b) });
    expect((await engineB.runUntilDrained(60_000)).failure).toBeUndefined();
    await engineB.stop();
    const conflict = (x: ReturnType<ConsentConflicts['list']>[number]) => ({ reason: x.reason, winner: x.winningOrder?.slice(0, 16), writer: x.winningWriter });
    expect(tornAtA).toEqual([]);
    const [tornBatchA] = a.prepare(`SELECT last_error AS error FROM sync_batches ORDER BY rowid`).all() as { error: string }[];
    expect(tornBatchA!.error).toMatch(/2 change\(s\) sent again unchanged as outbox event\(s\) 3, 4\.$/);
    const atB = new ConsentConflicts(b).list().map(conflict);
    expect(atB).toHaveLength(1);
    expect(atB[0]).toMatchObject({ winner: '000000000000001e', writer: writerA });
    expect(['OVERRIDDEN', 'STALE']).toContain(atB[0]!.reason);
    expect(b.prepare(`SELECT count(*) FROM audit_log WHERE action = 'consent.resend'`).pluck().get()).toBe(2);

    // A syncs again (pulls B's resends) and retries its failed batch: no conflict at A, nothing more is resent.
    const sync = new SyncStore(a, ['consent.change']);
    expect(sync.retry(sync.listBatches(10, 'failed')[0]!.id)).toBe(true);
    const again = testEngine(a, chain, { signerKey: keyA, stuckAfterMs: 0, sink: new SqlConsentSink(a) });
    expect((await again.runUntilDrained(60_000)).failure).toBeUndefined();
    await again.stop();
    expect(new ConsentConflicts(a).list()).toEqual([]);
    expect(a.prepare(`SELECT count(*) FROM outbox`).pluck().get()).toBe(4);
    const pullB = testEngine(b, chain, { signerKey: keyB, sink: new SqlConsentSink(b) });
    expect((await pullB.runUntilDrained(60_000)).failure).toBeUndefined();
    await pullB.stop();
    // (The chain is shared with the other tests of this file: the keys of this one.)
    const view = (db: Db) =>
      currentConsents(db)
        .filter((c) => c.grantee === k.grantee)
        .map(({ patient, grantee, purpose, category, decision, status, hlc }) => ({ key: `${patient}/${grantee}/${purpose}/${category}`, decision, status, hlc }));
    expect(view(a)).toEqual(view(b));
    expect(view(a).map((c) => [c.key.split('/')[2], c.status, c.hlc])).toEqual([
      ['HPAYMT', 'active', '0000000000000014'],
      ['TREAT', 'revoked', '000000000000001e'],
    ]);
    a.close();
    b.close();
  }, 180_000);

  it("as the attacker: a hostile signer's BatchApplied under our batch id does not confirm our torn batch", async () => {
    const dir = tempDir('sync-torn-hostile');
    const a = workstation(dir, 'ws-a', [0, 1]);
    const keyA = await workstationKey(chain);
    const hostile = new Wallet(await workstationKey(chain), chain.provider);
    for (const t of CHANGES) writeConsent(a, 'a', { ...t, grantee: '3333333333' });
    const broadcasts: string[] = [];
    let hostileTx = '';
    const engineA = tornEngine(a, keyA, broadcasts, async () => {
      // Reads our batch id from our broadcast (the mempool shows it) and lands its own batch under the same id.
      const batchId = a.prepare(`SELECT id FROM sync_batches`).pluck().get() as string;
      // A change of our first key two ticks above ours, sealed so it opens (the hostile signer is registered in our
      // facility): it outranks our resend (at our stamp), whichever writer address is greater.
      const ours = JSON.parse(a.prepare(`SELECT payload FROM outbox_events WHERE id = 1`).pluck().get() as string) as { hlc: string };
      const op = consentOpOf({ ...ours, hlc: (BigInt(`0x${ours.hlc}`) + 2n).toString(16).padStart(16, '0') } as never, TEST_SEALER);
      const ledger = new Contract(chain.contracts.ConsentLedger, loadArtifact('ConsentLedger').abi, hostile);
      const tx = (await ledger.getFunction('applyBatch')(batchId, [op])) as { hash: string; wait(): Promise<unknown> };
      await tx.wait();
      hostileTx = tx.hash;
    }, { sink: new SqlConsentSink(a) });
    await engineA.runUntilDrained(60_000);
    await engineA.stop();
    expect(hostileTx).not.toBe('');
    const [first] = a.prepare(`SELECT state, tx_hash AS txHash, last_error AS error FROM sync_batches ORDER BY rowid`).all() as { state: string; txHash: string | null; error: string }[];
    expect(first!.state).toBe('failed');
    expect(first!.txHash).toBeNull(); // never recorded as the hostile transaction
    expect(first!.error).toMatch(/^SYNC_APPLIED_WITHOUT_LOG/);
    // All three are resent (none reached a reader); the key the hostile signer outranked is a named conflict.
    expect(first!.error).toMatch(/3 change\(s\) sent again unchanged/);
    const conflicts = new ConsentConflicts(a).list();
    expect(conflicts.map((c) => c.winningWriter)).toEqual([hostile.address.toLowerCase()]);
    expect(['OVERRIDDEN', 'STALE']).toContain(conflicts[0]!.reason);
    a.close();
  }, 120_000);
});
