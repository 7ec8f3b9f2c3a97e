// As the torn node state: a head's anchor transaction kept its writes (our trail holds the head) and lost its block
// and HeadAnchored event, so no workstation can mirror it and AuditAnchor refuses the same head again. The repair
// (reanchor.ts) must carry it on by a later head anchored WITH its event: audited, through the outbox, once. Without
// the repair the torn head stays failed and nothing on chain announces these entries: this test fails. anvil and EDR.
import { describe, expect, it } from 'vitest';
import { Contract, Wallet, zeroPadValue } from 'ethers';
import { loadArtifact } from '../chain/artifacts';
import type { Db } from '../db/connection';
import { grantRole, outboxStates, tempDir, testEngine, workstationKey } from '../sync/fixtures/chain';
import { tornEngine, tornSuite } from '../sync/fixtures/torn';
import { workstation } from '../sync/fixtures/workstation';
import { SyncStore } from '../sync/store';
import { sealTreeHead } from './log';
import { writeEntries } from './test-support';

const suite = tornSuite();
const { errors } = suite;

async function anchoredEvents(trail: string): Promise<number[]> {
  const anchor = new Contract(suite.chain.contracts.AuditAnchor, loadArtifact('AuditAnchor').abi, suite.chain.provider);
  const logs = await anchor.queryFilter(anchor.filters.HeadAnchored!(trail), 0, 'latest');
  return logs.map((l) => Number((l as unknown as { args: { treeSize: bigint } }).args.treeSize));
}

describe('an audit head whose anchor left a torn node state', () => {
  it('is carried on by a later head anchored with its event, audited, once; a second workstation mirrors it', async () => {
    const dir = tempDir('audit-torn-anchor');
    const a = workstation(dir, 'ws-a', []);
    const b = workstation(dir, 'ws-b', []);
    const key = await workstationKey(suite.chain);
    const signer = new Wallet(key);
    await grantRole(suite.chain, 'AuditAnchor', 'ANCHOR_ROLE', signer.address);
    writeEntries(a, 5);
    const torn = sealTreeHead(a, { dataDir: dir, signer })!;
    expect(torn.treeSize).toBe(5);
    const sealAuditHead = async (db: Db) => sealTreeHead(db, { dataDir: dir, signer });
    const broadcasts: string[] = [];
    const engine = tornEngine(suite.chain, a, key, broadcasts, errors, undefined, { sealAuditHead });
    const report = await engine.runUntilDrained(60_000);
    await engine.stop();
    expect(report.failure).toBeUndefined();

    const batches = a.prepare(`SELECT id, state, last_error AS error FROM sync_batches ORDER BY rowid`).all() as { id: string; state: string; error: string | null }[];
    expect(batches.map((x) => x.state)).toEqual(['failed', 'confirmed']);
    expect(batches[0]!.error).toMatch(/^SYNC_APPLIED_WITHOUT_LOG: .*NOT confirmed\. the head of 5 entries is re-anchored by a new head of 6 entries \(outbox event 2\)/);
    expect(outboxStates(a)).toEqual({ failed: 1, confirmed: 1 });
    const repairs = a.prepare(`SELECT subject, details FROM audit_log WHERE action = 'audit.reanchor'`).all() as { subject: string; details: string }[];
    expect(repairs).toHaveLength(1);
    expect(JSON.parse(repairs[0]!.details)).toMatchObject({ reason: 'SYNC_APPLIED_WITHOUT_LOG', batchId: batches[0]!.id, treeSize: 5, rootHash: torn.rootHash });

    // The chain: our trail holds the torn head in storage (no event) and the new head with its event.
    const anchor = new Contract(suite.chain.contracts.AuditAnchor, loadArtifact('AuditAnchor').abi, suite.chain.provider);
    expect(((await anchor.getFunction('rootOf')(signer.address, 5)) as { rootHash: string }).rootHash).toBe(torn.rootHash);
    expect(await anchoredEvents(signer.address)).toEqual([6]);

    // B mirrors A's trail from the chain alone: the head of 6 entries, which covers the torn head's 5.
    const engineB = testEngine(b, suite.chain, { signerKey: await workstationKey(suite.chain) });
    expect((await engineB.runUntilDrained(60_000)).failure).toBeUndefined();
    await engineB.stop();
    const mirrored = b.prepare(`SELECT leaf_count FROM sync_chain_audit_roots WHERE trail_id = ?`).pluck().all(zeroPadValue(signer.address.toLowerCase(), 32)) as number[];
    expect(mirrored).toEqual([6]);

    // Running the repair again (a retry of the failed batch) sends nothing more and records no second repair.
    const sync = new SyncStore(a, ['audit.root']);
    expect(sync.retry(batches[0]!.id)).toBe(true);
    const retry = testEngine(a, suite.chain, { signerKey: key, stuckAfterMs: 0, sealAuditHead });
    await retry.runUntilDrained(60_000);
    await retry.stop();
    expect(a.prepare(`SELECT count(*) FROM outbox`).pluck().get()).toBe(2);
    expect(a.prepare(`SELECT count(*) FROM audit_log WHERE action = 'audit.reanchor'`).pluck().get()).toBe(1);
    expect(sync.batch(batches[0]!.id)!.last_error).toMatch(/carried on by the later head of 6 entries \(already queued\); nothing sent again/);
    expect(await anchoredEvents(signer.address)).toEqual([6]);
    a.close();
    b.close();
  }, 180_000);
});
