// Fault (f): two workstations (two databases, own signers, one chain) write conflicting consent changes; after both
// sync and pull, their mirrors and their consents tables agree with each other and with the ordering rule (the
// greatest (hlc, rank, writer) wins, whatever landed first), and the loser of each conflict is told.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Contract, Wallet } from 'ethers';
import { loadArtifact } from '../chain/artifacts';
import type { Db } from '../db/connection';
import { SqlConsentSink } from '../consents/consent-sink';
import { orderText, unpackState } from '../consents/consent-state';
import { pseudonymOf, startTestChain, tempDir, testEngine, TEST_PATIENTS, TEST_SEALER, workstationKey, type TestChain } from './fixtures/chain';
import { CalldataRecorder } from './fixtures/phi';
import { currentConsents, docOf, workstation as station, writeConsent as write } from './fixtures/workstation';
import { foldKeyLogs } from '../consents/ledger-state';

let chain: TestChain;
let dir: string;
const recorder = new CalldataRecorder();
beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('sync-converge');
});
afterAll(async () => {
  await chain?.stop();
});

describe('two workstations, one chain', () => {
  it('converge to the ordering rule: a later stamp wins, a tie of stamp and rank goes to the greater writer', async () => {
    const a = station(dir, 'ws-a', [0, 1, 2]);
    const b = station(dir, 'ws-b', [0, 1, 2, 3]);
    const keyA = await workstationKey(chain);
    const keyB = await workstationKey(chain);
    const base = { purpose: 'TREAT', category: 'general', revoked: false } as const;
    const sa = new SqlConsentSink(a);
    const sb = new SqlConsentSink(b);
    const engine = (db: Db, sink: SqlConsentSink, signerKey: string) => testEngine(db, chain, { onBroadcast: recorder.record, sink, signerKey });
    // Both start from the same grant: a wrote it and synced; b pulled it.
    write(a, 'shared', { ...base, patient: 0, grantee: '1111111111', seq: 1, decision: 'permit' });
    const ea = engine(a, sa, keyA);
    await ea.runUntilDrained();
    await ea.stop();
    const eb = engine(b, sb, keyB);
    await eb.runUntilDrained();
    await eb.stop();

    // Conflicts, written offline on both sides.
    write(a, 'a', { ...base, patient: 0, grantee: '1111111111', seq: 2, decision: 'permit', revoked: true }); // tie at seq 2
    write(b, 'b', { ...base, patient: 0, grantee: '1111111111', seq: 2, decision: 'deny' });
    write(a, 'a', { ...base, patient: 1, grantee: '2222222222', seq: 3, decision: 'deny' }); // a is newer
    write(b, 'b', { ...base, patient: 1, grantee: '2222222222', seq: 2, decision: 'permit' });
    write(b, 'b', { ...base, patient: 2, grantee: '1111111111', purpose: 'HRESCH', seq: 1, decision: 'permit' }); // only b
    write(b, 'b', { ...base, patient: 3, grantee: '1111111111', seq: 1, decision: 'permit' }); // a does not know this patient
    write(a, 'a', { ...base, patient: 2, grantee: '2222222222', seq: 1, decision: 'permit' }); // only a

    // b lands first, then a; then each pulls what the other sent.
    const eb2 = engine(b, sb, keyB);
    await eb2.runUntilDrained();
    await eb2.stop();
    const ea2 = engine(a, sa, keyA);
    await ea2.runUntilDrained();
    await ea2.stop();
    const eb3 = engine(b, sb, keyB);
    await eb3.runUntilDrained();
    await eb3.stop();

    // Mirrors: identical, and equal to the contract's state for every key.
    const mirror = (db: Db) => db.prepare(`SELECT consent_key, decision, revoked, order_key, document_hash FROM sync_chain_consents ORDER BY consent_key`).all();
    expect(mirror(a)).toEqual(mirror(b));
    const ledger = new Contract(chain.contracts.ConsentLedger, loadArtifact('ConsentLedger').abi, chain.provider);
    for (const row of mirror(a) as { consent_key: string; decision: number; revoked: number; order_key: string }[]) {
      const s = (await foldKeyLogs(chain.provider, ledger.target as string, TEST_SEALER.facilityId, row.consent_key)).state!;
      expect({ decision: row.decision, revoked: row.revoked === 1, order: row.order_key }).toEqual({ decision: s.decision, revoked: s.revoked, order: orderText(s) });
    }

    // Consents tables: the same current rows for the patients both know.
    const p0 = pseudonymOf(TEST_PATIENTS[0]!);
    const p1 = pseudonymOf(TEST_PATIENTS[1]!);
    const common = (db: Db) => currentConsents(db).filter((c) => c.patient !== pseudonymOf(TEST_PATIENTS[3]!));
    expect(common(a)).toEqual(common(b));
    // The tie at stamp 2 (a revoke and a deny: both rank 1) goes to the greater signer address, on every side.
    const tie = common(a).find((c) => c.patient === p0 && c.grantee === '1111111111')!;
    const aWins = BigInt(new Wallet(keyA).address) > BigInt(new Wallet(keyB).address);
    if (aWins) expect(tie).toMatchObject({ decision: 'permit', status: 'revoked', document_hash: docOf({ ...base, patient: 0, grantee: '1111111111', seq: 2, decision: 'permit', revoked: true }, 'a') });
    else expect(tie).toMatchObject({ decision: 'deny', status: 'active', document_hash: docOf({ ...base, patient: 0, grantee: '1111111111', seq: 2, decision: 'deny' }, 'b') });
    expect(common(a).find((c) => c.patient === p1)).toMatchObject({ decision: 'deny', status: 'active' });
    // Each loser was told: the tie's loser, and b's stale permit for patient 1 (skipped on chain or overridden).
    const reasons = (db: Db) => db.prepare(`SELECT reason FROM consent_conflicts ORDER BY id`).pluck().all();
    // When b's deny wins the tie it also replaced a's landed grant at 1 unseen (the fixture seals prevHlc 0: b's change
    // names no stamp seen), and a's later change lost to the same deny: a holds both (issue #18).
    expect(reasons(a)).toHaveLength(aWins ? 0 : 2);
    expect(reasons(b)).toHaveLength(aWins ? 2 : 1);
    expect(common(a)).toHaveLength(4);
    // a kept b's change for the unknown patient in its mirror only.
    expect(sa.outcomes['unknown-patient']).toBe(1);
    expect(sa.outcomes.applied).toBeGreaterThanOrEqual(1);
    expect(sb.outcomes.applied).toBeGreaterThanOrEqual(2);
    expect(recorder.findings(TEST_PATIENTS)).toEqual([]);
    a.close();
    b.close();
  });
  it("an earlier change of ours the winner replaced unseen is a conflict too when our later change lost to the same winner (issue #18)", async () => {
    // The convergence bench's judge found these: a lands 10, b (never saw it) lands 30 over it, a (offline, not yet
    // pulled 30) writes 20. a's 20 lost (a conflict), and so did a's 10, replaced by a change that had not seen it.
    const a = station(dir, 'ws-a2', [0]);
    const b = station(dir, 'ws-b2', [0]);
    const keyA = await workstationKey(chain);
    const keyB = await workstationKey(chain);
    const sa = new SqlConsentSink(a);
    const k = { purpose: 'TREAT', category: 'general', revoked: false, patient: 0, grantee: '7777777777' } as const;
    const sync = async (db: Db, sink: SqlConsentSink, signerKey: string) => {
      const e = testEngine(db, chain, { sink, signerKey });
      expect((await e.runUntilDrained()).failure).toBeUndefined();
      await e.stop();
    };
    write(a, 'a', { ...k, seq: 10, decision: 'permit' });
    await sync(a, sa, keyA);
    write(b, 'b', { ...k, seq: 30, decision: 'deny' });
    await sync(b, new SqlConsentSink(b), keyB);
    write(a, 'a', { ...k, seq: 20, decision: 'permit', revoked: true });
    await sync(a, sa, keyA);
    const winner = new Wallet(keyB).address.toLowerCase();
    const conflicts = () => a.prepare(`SELECT outbox_id AS outboxId, reason, substr(winning_order, 1, 16) AS winner, winning_writer AS writer FROM consent_conflicts ORDER BY outbox_id`).all();
    expect(conflicts()).toEqual([
      { outboxId: 1, reason: 'OVERRIDDEN', winner: '000000000000001e', writer: winner },
      { outboxId: 2, reason: expect.stringMatching(/^(STALE|OVERRIDDEN)$/), winner: '000000000000001e', writer: winner },
    ]);
    // Pulling again raises nothing more.
    await sync(a, sa, keyA);
    expect(conflicts()).toHaveLength(2);
    a.close();
    b.close();
  });
});
