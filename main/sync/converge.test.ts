// Fault (f): two workstations (two databases, one chain) write conflicting consent changes; after both sync and
// pull, their mirrors and their consents tables agree with each other and with the chain's order (seq wins; on a
// tie, the change that landed first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Contract } from 'ethers';
import { loadArtifact } from '../chain/artifacts';
import type { Db } from '../db/connection';
import { SqlConsentSink } from './consent-sink';
import { unpackConsentState } from './consent-state';
import { pseudonymOf, startTestChain, tempDir, testEngine, TEST_PATIENTS, type TestChain } from './fixtures/chain';
import { CalldataRecorder } from './fixtures/phi';
import { currentConsents, docOf, workstation as station, writeConsent as write } from './fixtures/workstation';

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
  it('converge to the chain order: higher seq wins, a tie goes to what landed first', async () => {
    const a = station(dir, 'ws-a', [0, 1, 2]);
    const b = station(dir, 'ws-b', [0, 1, 2, 3]);
    const base = { purpose: 'TREAT', category: 'general', revoked: false } as const;
    // Both start from the same grant (as if synced earlier).
    for (const db of [a, b]) write(db, 'shared', { ...base, patient: 0, grantee: '1111111111', seq: 1, decision: 'permit' });
    const sa = new SqlConsentSink(a);
    const sb = new SqlConsentSink(b);
    const ea = testEngine(a, chain, { onBroadcast: recorder.record, sink: sa });
    const eb = testEngine(b, chain, { onBroadcast: recorder.record, sink: sb });
    await ea.runUntilDrained();
    await ea.stop();
    await eb.runUntilDrained(); // b's copy is a different batch with the same op: skipped on chain (same seq)
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
    const eb2 = testEngine(b, chain, { onBroadcast: recorder.record, sink: sb });
    await eb2.runUntilDrained();
    await eb2.stop();
    const ea2 = testEngine(a, chain, { onBroadcast: recorder.record, sink: sa });
    await ea2.runUntilDrained();
    await ea2.stop();
    const eb3 = testEngine(b, chain, { onBroadcast: recorder.record, sink: sb });
    await eb3.runUntilDrained();
    await eb3.stop();

    // Mirrors: identical, and equal to the contract's state for every key.
    const mirror = (db: Db) => db.prepare(`SELECT consent_key, decision, revoked, seq, document_hash FROM sync_chain_consents ORDER BY consent_key`).all();
    expect(mirror(a)).toEqual(mirror(b));
    const ledger = new Contract(chain.contracts.ConsentLedger, loadArtifact('ConsentLedger').abi, chain.provider);
    for (const row of mirror(a) as { consent_key: string; decision: number; revoked: number; seq: number }[]) {
      const s = unpackConsentState(await ledger.getFunction('packedStateOf')(row.consent_key));
      expect({ decision: row.decision, revoked: row.revoked === 1, seq: row.seq }).toEqual({ decision: s.decision, revoked: s.revoked, seq: s.seq });
    }

    // Consents tables: the same current rows for the patients both know.
    const p0 = pseudonymOf(TEST_PATIENTS[0]!);
    const p1 = pseudonymOf(TEST_PATIENTS[1]!);
    const common = (db: Db) => currentConsents(db).filter((c) => c.patient !== pseudonymOf(TEST_PATIENTS[3]!));
    expect(common(a)).toEqual(common(b));
    const tie = common(a).find((c) => c.patient === p0 && c.grantee === '1111111111')!;
    expect(tie).toMatchObject({ decision: 'deny', status: 'active', seq: 2, document_hash: docOf({ ...base, patient: 0, grantee: '1111111111', seq: 2, decision: 'deny' }, 'b') });
    expect(common(a).find((c) => c.patient === p1)).toMatchObject({ decision: 'deny', seq: 3 });
    expect(common(a)).toHaveLength(4);
    // a kept b's change for the unknown patient in its mirror only.
    expect(sa.outcomes['unknown-patient']).toBe(1);
    expect(sa.outcomes.applied).toBeGreaterThanOrEqual(2);
    expect(sb.outcomes.applied).toBeGreaterThanOrEqual(2);
    expect(recorder.findings(TEST_PATIENTS)).toEqual([]);
    a.close();
    b.close();
  });
});
