// A reorg seen from the pulling side, on a real anvil with two workstations: B pulls A's consent changes, a reorg
// (evm_revert) removes the block that held them, and B's consents tables no longer have them (revoke in place,
// supersede and first row all undone, history included) until A's engine resends and B pulls them again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncState } from '../api/events';
import type { Db } from '../db/connection';
import { SqlConsentSink } from '../consents/consent-sink';
import { pseudonymOf, startTestChain, tempDir, testEngine, TEST_PATIENTS, type TestChain } from './fixtures/chain';
import { CalldataRecorder } from './fixtures/phi';
import { currentConsents, workstation, writeConsent } from './fixtures/workstation';

let chain: TestChain;
let dir: string;
const recorder = new CalldataRecorder();
beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('sync-reorg-pull');
});
afterAll(async () => {
  await chain?.stop();
});

/** Everything the consents domain holds, ids included: an undo must leave no trace, not just the same answers. */
function consentTables(db: Db): { consents: unknown[]; history: unknown[] } {
  return {
    consents: db.prepare(`SELECT * FROM consents ORDER BY id`).all(),
    history: db.prepare(`SELECT * FROM consent_history ORDER BY id`).all(),
  };
}

/** One engine cycle-to-drained run, stopped after (one engine per data folder at a time). */
async function sync(db: Db, sink: SqlConsentSink, states?: SyncState[]) {
  const engine = testEngine(db, chain, { onBroadcast: recorder.record, sink, ...(states ? { emit: (s: SyncState) => states.push(s) } : {}) });
  try {
    const report = await engine.runUntilDrained(60_000);
    expect(report.failure).toBeUndefined();
    return report;
  } finally {
    await engine.stop();
  }
}

describe('reorg under pulled consent changes', () => {
  it('rolls back what B applied from the orphaned block, and B converges again once A resends', async () => {
    const a = workstation(dir, 'ws-a', [0, 1, 2]);
    const b = workstation(dir, 'ws-b', [0, 1, 2]);
    const sa = new SqlConsentSink(a);
    const sb = new SqlConsentSink(b);
    const base = { grantee: '1111111111', purpose: 'TREAT', category: 'general', decision: 'permit', revoked: false } as const;
    // Shared starting point: both hold the same grants for patients 0 and 1 (synced earlier).
    for (const db of [a, b]) {
      writeConsent(db, 'shared', { ...base, patient: 0, seq: 1 });
      writeConsent(db, 'shared', { ...base, patient: 1, seq: 1 });
    }
    await sync(a, sa);
    await sync(b, sb);
    const beforeChanges = consentTables(b);

    // A changes three keys: a revoke with the same terms (B revokes in place), new terms (B supersedes and
    // inserts), and a key B has no row for yet (B inserts its first row).
    writeConsent(a, 'a', { ...base, patient: 0, seq: 2, revoked: true });
    writeConsent(a, 'a', { ...base, patient: 1, seq: 2, decision: 'deny' });
    writeConsent(a, 'a', { ...base, patient: 2, seq: 1, purpose: 'HRESCH' });
    const snapshot = (await chain.provider.send('evm_snapshot', [])) as string;
    await sync(a, sa);
    const firstPull = await sync(b, sb);
    expect(firstPull.pull?.counts.consentChanges).toBe(3);
    const pulled = currentConsents(b);
    expect(pulled).toEqual(currentConsents(a));
    expect(pulled.map((c) => [c.hlc, c.status, c.decision])).toEqual(
      expect.arrayContaining([
        ['0000000000000002', 'revoked', 'permit'],
        ['0000000000000002', 'active', 'deny'],
        ['0000000000000001', 'active', 'permit'],
      ]),
    );
    const undoRows = () => b.prepare(`SELECT count(*) FROM sync_pulled_consent_changes`).pluck().get() as number;
    expect(undoRows()).toBe(3);

    // The reorg: the block with A's batch leaves the chain; the new chain grows past it without it.
    await chain.provider.send('evm_revert', [snapshot]);
    for (let i = 0; i < 3; i++) await chain.provider.send('evm_mine', []);

    // B alone pulls first: its cache no longer has A's changes, exactly as before they were pulled.
    const statesB: SyncState[] = [];
    const rolled = await sync(b, sb, statesB);
    expect(rolled.pull?.rolledBackTo).not.toBeNull();
    expect(rolled.pull?.counts.consentRowsRolledBack).toBe(3);
    expect(consentTables(b)).toEqual(beforeChanges);
    expect(undoRows()).toBe(0);
    expect((b.prepare(`SELECT count(*) FROM sync_chain_consents`).get() as Record<string, number>)['count(*)']).toBe(2);
    const reorg = statesB.find((s): s is Extract<SyncState, { state: 'failed' }> => s.state === 'failed' && s.reason === 'reorg');
    expect(reorg?.message).toMatch(/^A reorg removed pulled blocks above \d+; 3 consent change\(s\) pulled from them were undone here until they land again\.$/);

    // A notices its batch is gone and sends it again; B pulls it again and converges.
    await sync(a, sa);
    const again = await sync(b, sb);
    expect(again.pull?.counts.consentChanges).toBe(3);
    expect(currentConsents(b)).toEqual(currentConsents(a));
    expect(currentConsents(b)).toEqual(pulled);
    const p2 = pseudonymOf(TEST_PATIENTS[2]!);
    expect(currentConsents(b).find((c) => c.patient === p2)).toMatchObject({ purpose: 'HRESCH', hlc: '0000000000000001', status: 'active' });
    expect(recorder.findings(TEST_PATIENTS)).toEqual([]);
    a.close();
    b.close();
  });
});
