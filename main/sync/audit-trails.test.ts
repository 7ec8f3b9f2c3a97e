// Two workstations of one hospital (two databases, one chain, one AuditAnchor), each with its own audit trail,
// anchor their audit batches through the real sync engine: each trail keeps its own root chain, so neither breaks
// the other's, both mirrors hold both trails, and each database's verification and proofs check out.
import path from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditAnchorReader, auditAnchorInterface, type AuditChain } from '../audit/anchor-reader';
import { listBatches, sealDueBatches, type AuditRootPayload } from '../audit/batches';
import { exportProof } from '../audit/handlers';
import { checkProofBundle } from '../audit/proof';
import { recordAudit } from '../audit/trail';
import { auditTrailId } from '../audit/trail-id';
import { verifyAuditTrail } from '../audit/verify';
import { DEVNET_SIGNER_KEY } from '../chain/devnet';
import { TxSender } from '../chain/provider';
import type { Db } from '../db/connection';
import { openTestDb, outboxStates, startTestChain, tempDir, testEngine, type TestChain } from './fixtures/chain';

let chain: TestChain;
let dir: string;
let auditChain: AuditChain;
beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('sync-audit-trails');
  auditChain = { provider: chain.provider, chainId: chain.chainId, auditAnchor: chain.contracts.AuditAnchor };
});
afterAll(async () => {
  await chain?.stop();
});

const policy = { maxEntries: 10, maxAgeMs: 60_000 };

/** `count` audit entries from `workstation`, then every batch sealed ("batch now"): outbox audit.root events. */
function audit(db: Db, workstation: string, count: number): void {
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      recordAudit(db, { actor: { id: `staff-${i % 3}`, name: 'Clerk', role: 'records_clerk' }, action: 'patient.view', outcome: 'success', patientId: (i % 5) + 1, workstation });
    }
  })();
  sealDueBatches(db, { policy, force: true });
}

async function sync(db: Db): Promise<void> {
  const engine = testEngine(db, chain);
  const report = await engine.runUntilDrained(60_000);
  await engine.stop();
  expect(report.failure).toBeUndefined();
}

type MirroredRoot = { trail_id: string; batch_id: string; merkle_root: string; previous_root: string; anchor_index: number };
const mirrored = (db: Db) => db.prepare(`SELECT trail_id, batch_id, merkle_root, previous_root, anchor_index FROM sync_chain_audit_roots ORDER BY trail_id, anchor_index`).all() as MirroredRoot[];

describe('two workstations anchoring audit trails into one AuditAnchor', () => {
  it('both anchor every batch, in interleaved rounds, and each verifies its own trail as anchored', async () => {
    const a = openTestDb(path.join(dir, 'ws-a.sqlite'));
    const b = openTestDb(path.join(dir, 'ws-b.sqlite'));
    const trailA = auditTrailId(a);
    const trailB = auditTrailId(b);
    expect(trailA).not.toBe(trailB);

    // Round 1: a anchors its first batches; then b's first batch starts its own chain at the zero root
    // (with one global chain this is where it reverted with RootChainBroken).
    audit(a, 'ws-a', 25); // 1–10, 11–20, 21–25
    await sync(a);
    audit(b, 'ws-b', 12); // 1–10, 11–12
    await sync(b);
    // Round 2: both add more while the other's roots are the contract's newest.
    audit(a, 'ws-a', 10);
    audit(b, 'ws-b', 15);
    await sync(b);
    await sync(a);
    await sync(b); // b pulls a's last roots into its mirror

    for (const db of [a, b]) {
      expect(outboxStates(db)).toEqual({ confirmed: listBatches(db).length });
      expect(db.prepare(`SELECT state, count(*) AS n FROM sync_batches GROUP BY state`).all()).toEqual([{ state: 'confirmed', n: listBatches(db).length }]);
    }
    expect(listBatches(a)).toHaveLength(4);
    expect(listBatches(b)).toHaveLength(4);

    // Each database's verification compares its own trail only, and finds every batch anchored.
    for (const db of [a, b]) {
      const report = await verifyAuditTrail(db, { chain: auditChain });
      expect(report.batchProblems).toEqual([]);
      expect(report).toMatchObject({ ok: true, firstProblem: null, chain: { state: 'checked' }, batches: { total: 4, anchored: 4, notAnchored: 0, mismatched: 0, unchecked: 0 } });
    }

    // On chain: one root chain per trail, each ending at its database's last root.
    const reader = new AuditAnchorReader(chain.provider, chain.contracts.AuditAnchor);
    expect(await reader.anchorCount(trailA)).toBe(4);
    expect(await reader.anchorCount(trailB)).toBe(4);
    expect(await reader.latestRootOf(trailA)).toBe(listBatches(a).at(-1)!.merkle_root);
    expect(await reader.latestRootOf(trailB)).toBe(listBatches(b).at(-1)!.merkle_root);

    // Mirrors: both hold both trails, each trail a chain from the zero root with 0-based indexes, as sealed locally.
    expect(mirrored(a)).toEqual(mirrored(b));
    for (const [db, trail] of [[a, trailA], [b, trailB]] as const) {
      const roots = mirrored(a).filter((r) => r.trail_id === trail);
      expect(roots.map((r) => [r.batch_id, r.merkle_root, r.previous_root, r.anchor_index])).toEqual(
        listBatches(db).map((x, i) => [x.batch_id, x.merkle_root, x.previous_root, i]),
      );
    }
    expect(mirrored(a)).toHaveLength(8);

    // A proof bundle from the second workstation names its trail and checks out against the chain.
    const proof = await exportProof(b, 23, { chain: auditChain });
    expect(proof.anchorStatus).toBe('anchored');
    expect(proof.bundle.merkle.trailId).toBe(trailB);
    const check = await checkProofBundle(proof.bundle, chain.provider);
    expect(check.steps.filter((s) => s.ok !== true)).toEqual([]);
    a.close();
    b.close();
  });

  it('confirms a root that another process anchored, finding its transaction by trail and batch id', async () => {
    const c = openTestDb(path.join(dir, 'ws-c.sqlite'));
    audit(c, 'ws-c', 4);
    const payload = JSON.parse(c.prepare(`SELECT payload FROM outbox WHERE kind = 'audit.root'`).pluck().get() as string) as AuditRootPayload;
    expect(payload.trailId).toBe(auditTrailId(c));
    // Sent outside this database's engine (a second process of the same workstation, say): the engine must
    // recognise the batch as applied, not fail it as a revert.
    const data = auditAnchorInterface.encodeFunctionData('anchor', [payload.trailId, payload.batchId, payload.merkleRoot, payload.leafCount, payload.previousRoot]);
    const receipt = await new TxSender(new Wallet(DEVNET_SIGNER_KEY, chain.provider)).send({ to: chain.contracts.AuditAnchor, data });
    await sync(c);
    expect(c.prepare(`SELECT state, tx_hash FROM sync_batches WHERE kind = 'audit.root'`).all()).toEqual([{ state: 'confirmed', tx_hash: receipt.hash }]);
    expect(await verifyAuditTrail(c, { chain: auditChain })).toMatchObject({ ok: true, batches: { anchored: 1 } });
    c.close();
  });
});
