// A conflict raised by a pulled change that a reorg then removes. Found by the convergence bench (issue #18, reorgs
// mixed in): A's change landed; B's change, written without seeing it, replaced it and A was told (OVERRIDDEN);
// a reorg removed B's change and A's row was current again, yet the conflict stayed open, naming a winner the
// chain no longer held (and "accept the winner" would accept nothing). The undo withdraws it; when B's change
// lands again, pulling it raises the conflict again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/connection';
import { startTestChain, tempDir, workstationKey, type TestChain } from './fixtures/chain';
import { currentConsents, workstation, writeConsent } from './fixtures/workstation';
import { drainOnce } from './fixtures/drain';

let chain: TestChain;
let dir: string;
beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('sync-reorg-conflict');
});
afterAll(async () => {
  await chain?.stop();
});

const sync = (db: Db, key: string) => drainOnce(chain, db, key);

const openConflicts = (db: Db) => db.prepare(`SELECT reason, winning_writer FROM consent_conflicts WHERE resolution IS NULL`).all();

describe('a reorg removes the change that overrode ours', () => {
  it('withdraws the conflict it raised, and raises it again when the change lands again', async () => {
    const [ka, kb] = [await workstationKey(chain), await workstationKey(chain)];
    const a = workstation(dir, 'ws-a', [0]);
    const b = workstation(dir, 'ws-b', [0]);
    const base = { patient: 0, grantee: '1111111111', purpose: 'TREAT', category: 'general', revoked: false } as const;
    writeConsent(a, 'a', { ...base, decision: 'deny', seq: 1 });
    await sync(a, ka);
    const snapshot = await chain.control.snapshot();
    // B has never pulled A's deny: its permit (a later stamp) replaces it without having seen it.
    writeConsent(b, 'b', { ...base, decision: 'permit', seq: 2 });
    await sync(b, kb);
    await sync(a, ka);
    expect(openConflicts(a)).toEqual([{ reason: 'OVERRIDDEN', winning_writer: expect.stringMatching(/^0x[0-9a-f]{40}$/) }]);
    expect(currentConsents(a)[0]).toMatchObject({ decision: 'permit', hlc: '0000000000000002' });

    // The reorg: B's batch leaves the chain. A's pull undoes B's permit; A's deny is the key's state again.
    await chain.control.revert(snapshot);
    await chain.control.mine(3);
    const rolled = await sync(a, ka);
    expect(rolled.pull?.counts.consentRowsRolledBack).toBe(1);
    expect(currentConsents(a)[0]).toMatchObject({ decision: 'deny', hlc: '0000000000000001' });
    expect(openConflicts(a)).toEqual([]);

    // B resends; A pulls the permit again and is told again.
    await sync(b, kb);
    await sync(a, ka);
    expect(currentConsents(a)[0]).toMatchObject({ decision: 'permit', hlc: '0000000000000002' });
    expect(openConflicts(a)).toHaveLength(1);
    a.close();
    b.close();
  });

  it("withdraws the conflict of an earlier change of ours the removed change replaced unseen, raised with our later change's (issue #18)", async () => {
    const [ka, kb] = [await workstationKey(chain), await workstationKey(chain)];
    const a = workstation(dir, 'ws-a2', [0]);
    const b = workstation(dir, 'ws-b2', [0]);
    const base = { patient: 0, grantee: '2222222222', purpose: 'TREAT', category: 'general', revoked: false } as const;
    writeConsent(a, 'a', { ...base, decision: 'deny', seq: 1 });
    await sync(a, ka);
    const snapshot = await chain.control.snapshot();
    // B (never saw A's deny) lands a permit at 3; A, not yet pulled it, writes again at 2: both of A's changes lost.
    writeConsent(b, 'b', { ...base, decision: 'permit', seq: 3 });
    await sync(b, kb);
    writeConsent(a, 'a', { ...base, decision: 'permit', seq: 2 });
    await sync(a, ka);
    const open = () => a.prepare(`SELECT outbox_id FROM consent_conflicts WHERE resolution IS NULL ORDER BY outbox_id`).pluck().all();
    expect(open()).toEqual([1, 2]);

    // The reorg removes B's permit (and A's second batch): A's deny was replaced by nothing; its conflict goes.
    await chain.control.revert(snapshot);
    await chain.control.mine(3);
    await sync(a, ka);
    expect(open()).not.toContain(1);
    a.close();
    b.close();
  });
});
