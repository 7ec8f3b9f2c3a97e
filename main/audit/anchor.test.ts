// End to end against a real node (anvil, or EDR with CUSTODIAN_TEST_NODE=edr) with the deployed contracts: batch, anchor each root with AuditAnchor.anchor
// (as the sync engine will) in this database's trail, beside another trail anchoring into the same contract; verify
// against the chain, export a proof bundle, check it, and tamper with it.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Wallet, type JsonRpcProvider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditProofBundle } from '../api/audit';
import { loadArtifact } from '../chain/artifacts';
import { deployContracts, type DeployedContracts } from '../chain/deploy';
import { DEVNET_SIGNER_KEY } from '../chain/devnet';
import { createProvider, TxSender } from '../chain/provider';
import { startTestNode, type TestNode } from '../chain/test-node';
import { AUDIT_ANCHOR_ABI, AuditAnchorReader, auditAnchorInterface, type AuditChain } from './anchor-reader';
import { listBatches, sealDueBatches, type AuditRootPayload } from './batches';
import { exportProof } from './handlers';
import { batchIdOf, buildTree, leafOf, ZERO_ROOT } from './merkle';
import { checkProofBundle, parseProofBundle } from './proof';
import { allEntries, createTestDb, tamperFile, writeEntries, type TestDb } from './test-support';
import { entryHash } from './trail';
import { auditTrailId } from './trail-id';
import { verifyAuditTrail } from './verify';

let node: TestNode;
let provider: JsonRpcProvider;
let sender: TxSender;
let contracts: DeployedContracts;
let chain: AuditChain;
let t: TestDb;
/** Another workstation's database, anchoring its own trail into the same AuditAnchor. */
let other: TestDb;

const policy = { maxEntries: 10, maxAgeMs: 60_000 };

/** What the sync engine will do with an 'audit.root' outbox event; done by hand here so this test needs only the audit domain. */
async function anchorPending(db: TestDb['db'] = t.db): Promise<string[]> {
  const rows = db.prepare(`SELECT id, payload FROM outbox WHERE kind = 'audit.root' AND state = 'pending' ORDER BY id`).all() as { id: number; payload: string }[];
  const hashes: string[] = [];
  for (const row of rows) {
    const p = JSON.parse(row.payload) as AuditRootPayload;
    const receipt = await sender.send({ to: contracts.AuditAnchor, data: auditAnchorInterface.encodeFunctionData('anchor', [p.trailId, p.batchId, p.merkleRoot, p.leafCount, p.previousRoot]) });
    db.prepare(`UPDATE outbox SET state = 'confirmed' WHERE id = ?`).run(row.id);
    hashes.push(receipt.hash);
  }
  return hashes;
}

beforeAll(async () => {
  node = await startTestNode();
  provider = createProvider(node.rpcUrl, node.chainId);
  const wallet = new Wallet(DEVNET_SIGNER_KEY, provider);
  sender = new TxSender(wallet);
  contracts = await deployContracts(wallet, undefined, sender);
  chain = { provider, chainId: node.chainId, auditAnchor: contracts.AuditAnchor };
  t = createTestDb('custodian-audit-anchor-');
  writeEntries(t.db, 25);
  sealDueBatches(t.db, { policy, now: new Date('2025-03-01T08:00:00.000Z') }); // 1–10, 11–20
  other = createTestDb('custodian-audit-anchor-other-');
  writeEntries(other.db, 35, 1000); // different entries, so different roots and batch ids
  sealDueBatches(other.db, { policy, now: new Date('2025-03-01T08:00:00.000Z') }); // 1–10, 11–20, 21–30
});
afterAll(async () => {
  t?.cleanup();
  other?.cleanup();
  provider?.destroy();
  await node?.stop();
});

describe('AuditAnchor ABI', () => {
  it('matches the compiled artifact (selectors and event topic)', () => {
    const compiled = new (auditAnchorInterface.constructor as typeof import('ethers').Interface)(loadArtifact('AuditAnchor').abi);
    for (const fragment of AUDIT_ANCHOR_ABI) {
      const name = /^(?:function|event) (\w+)/.exec(fragment)![1]!;
      if (fragment.startsWith('event')) expect(auditAnchorInterface.getEvent(name)!.topicHash).toBe(compiled.getEvent(name)!.topicHash);
      else expect(auditAnchorInterface.getFunction(name)!.selector).toBe(compiled.getFunction(name)!.selector);
    }
  });
});

describe('anchoring, verification and proofs on a real chain', () => {
  let bundle: AuditProofBundle;

  it('reports batches as not yet anchored until the roots are on chain, then as anchored, whatever other trails hold', async () => {
    // Another workstation anchors first: its trail starts at the zero root too, and does not count as ours.
    await anchorPending(other.db);
    const before = await verifyAuditTrail(t.db, { chain });
    expect(before).toMatchObject({ ok: true, chain: { state: 'checked', chainId: node.chainId }, batches: { total: 2, anchored: 0, notAnchored: 2, mismatched: 0 } });
    expect((await exportProof(t.db, 7, { chain })).anchorStatus).toBe('not-anchored');

    await anchorPending();
    const after = await verifyAuditTrail(t.db, { chain });
    expect(after).toMatchObject({ ok: true, firstProblem: null, batches: { anchored: 2, notAnchored: 0, mismatched: 0 } });
    const quick = await verifyAuditTrail(t.db, { chain, depth: 'quick' });
    expect(quick).toMatchObject({ ok: true, batches: { anchored: 2 } });
    expect(await verifyAuditTrail(other.db, { chain })).toMatchObject({ ok: true, batches: { total: 3, anchored: 3, notAnchored: 0, mismatched: 0 } });

    const reader = new AuditAnchorReader(provider, contracts.AuditAnchor);
    expect(await reader.anchorCount(auditTrailId(t.db))).toBe(2);
    expect(await reader.latestRootOf(auditTrailId(t.db))).toBe(listBatches(t.db).at(-1)!.merkle_root);
    expect(await reader.anchorCount(auditTrailId(other.db))).toBe(3);
  });

  it('exports a bundle naming the anchoring transaction, block and contract, which checks out', async () => {
    const result = await exportProof(t.db, 7, { chain });
    expect(result.anchorStatus).toBe('anchored');
    bundle = result.bundle;
    const receipt = await provider.getTransactionReceipt(bundle.anchor!.txHash);
    expect(bundle.anchor).toEqual({
      chainId: node.chainId,
      contract: contracts.AuditAnchor,
      txHash: receipt!.hash,
      blockNumber: receipt!.blockNumber,
      blockHash: receipt!.blockHash,
      logIndex: expect.any(Number),
    });
    expect(bundle.entry).toEqual(allEntries(t.db).find((e) => e.id === 7));
    expect(bundle.merkle).toMatchObject({ trailId: auditTrailId(t.db), previousRoot: ZERO_ROOT, firstEntryId: 1, lastEntryId: 10 });
    const check = await checkProofBundle(parseProofBundle(JSON.parse(JSON.stringify(bundle))), provider);
    expect(check.steps.filter((s) => s.ok !== true)).toEqual([]);
    expect(check).toMatchObject({ ok: true, entryId: 7, offlineOk: true, onChainChecked: true });
    expect(check.steps.map((s) => s.name)).toEqual(['entry-hash', 'leaf', 'merkle-path', 'batch-id', 'chain-id', 'transaction', 'block', 'contract-anchor', 'contract-verify-leaf']);
  });

  const flip = (hex: string) => `${hex.slice(0, -1)}${hex.endsWith('0') ? '1' : '0'}`;
  it.each<[string, (b: AuditProofBundle) => AuditProofBundle, string, RegExp]>([
    ['an entry field', (b) => ({ ...b, entry: { ...b.entry, actor_name: 'Someone Else' } }), 'entry-hash', /Entry 7's fields hash to .* the entry was altered/],
    ['a Merkle path element', (b) => ({ ...b, merkle: { ...b.merkle, proof: [flip(b.merkle.proof[0]!), ...b.merkle.proof.slice(1)] } }), 'merkle-path', /does not lead from entry 7's leaf/],
    ['the root', (b) => ({ ...b, merkle: { ...b.merkle, root: flip(b.merkle.root) } }), 'merkle-path', /does not lead from entry 7's leaf/],
    ['the transaction hash', (b) => ({ ...b, anchor: { ...b.anchor!, txHash: flip(b.anchor!.txHash) } }), 'transaction', /is not on this chain/],
    ['the block hash', (b) => ({ ...b, anchor: { ...b.anchor!, blockHash: flip(b.anchor!.blockHash) } }), 'transaction', /not block \d+/],
    ['the chain id', (b) => ({ ...b, anchor: { ...b.anchor!, chainId: 1 } }), 'chain-id', /serves chain 31337, but the bundle was anchored on chain 1/],
    ['the trail id', (b) => ({ ...b, merkle: { ...b.merkle, trailId: flip(b.merkle.trailId) } }), 'transaction', /in trail .*, not in the bundle's trail/],
    ['the previous root', (b) => ({ ...b, merkle: { ...b.merkle, previousRoot: flip(b.merkle.previousRoot) } }), 'transaction', /not the bundle's root/],
  ])('fails when %s is tampered with, and says why', async (_what, tamper, failingStep, reason) => {
    const result = await checkProofBundle(tamper(structuredClone(bundle)), provider);
    expect(result.ok).toBe(false);
    const failed = result.steps.find((s) => s.ok === false)!;
    expect(failed.name).toBe(failingStep);
    expect(failed.message).toMatch(reason);
  });

  it('rejects a malformed bundle at the trust boundary, naming the field', () => {
    expect(() => parseProofBundle({ ...bundle, merkle: { ...bundle.merkle, proof: ['0x12'] } })).toThrow(expect.objectContaining({ code: 'AUDIT_PROOF_INVALID', message: expect.stringContaining('merkle.proof.0') }));
    expect(() => parseProofBundle({ ...bundle, extra: 1 })).toThrow(expect.objectContaining({ code: 'AUDIT_PROOF_INVALID' }));
    expect(() => parseProofBundle('nope')).toThrow(expect.objectContaining({ code: 'AUDIT_PROOF_INVALID' }));
  });

  it('custodian audit check-proof verifies a bundle file with only an RPC endpoint', async () => {
    const file = path.join(t.dir, 'proof-7.json');
    fs.writeFileSync(file, JSON.stringify(bundle, null, 2));
    const bin = path.resolve(import.meta.dirname, '../../bin/custodian.mjs');
    // The real command in its own process, as a third party would run it; exit code and output both matter.
    const run = async (...args: string[]) => {
      try {
        const { stdout } = await promisify(execFile)(process.execPath, [bin, 'audit', 'check-proof', file, ...args], { env: { ...process.env, CUSTODIAN_RPC_URL: '' } });
        return { code: 0, stdout };
      } catch (err) {
        const e = err as { code: number; stdout: string };
        return { code: e.code, stdout: e.stdout };
      }
    };
    const good = await run('--rpc', node.rpcUrl);
    expect(good).toMatchObject({ code: 0, stdout: expect.stringMatching(/Proof OK: entry 7/) });
    expect(await run()).toMatchObject({ code: 3, stdout: expect.stringMatching(/NOT checked/) });
    fs.writeFileSync(file, JSON.stringify({ ...bundle, entry: { ...bundle.entry, outcome: 'deny' } }));
    expect(await run('--rpc', node.rpcUrl)).toMatchObject({ code: 1, stdout: expect.stringMatching(/Proof FAILED: Entry 7's fields/) });
  });

  it('finds the last anchored batch rewritten consistently (entries, root and batch id) through the chain', async () => {
    t.db.pragma('wal_checkpoint(TRUNCATE)');
    t.db.close();
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_batches_no_update');
      let prev = (raw.prepare('SELECT hash FROM audit_log WHERE id = 15').get() as { hash: string }).hash;
      const update = raw.prepare('UPDATE audit_log SET outcome = @outcome, prev_hash = @prev_hash, hash = @hash WHERE id = @id');
      for (const e of allEntries(raw as never).filter((x) => x.id >= 16)) {
        const { hash: _old, ...fields } = { ...e, prev_hash: prev, outcome: e.id === 16 ? 'permit' : e.outcome };
        prev = entryHash(fields);
        update.run({ ...fields, hash: prev });
      }
      const leaves = allEntries(raw as never).filter((e) => e.id >= 11 && e.id <= 20).map((e) => leafOf(e.id, e.hash));
      const tree = buildTree(leaves);
      raw.prepare('UPDATE audit_batches SET merkle_root = ?, batch_id = ?, last_leaf_proof = ? WHERE first_id = 11').run(tree.root, batchIdOf(11, 20, tree.root), JSON.stringify(tree.getProof(leaves.length - 1)));
    });
    t.reopen();
    const local = await verifyAuditTrail(t.db, {});
    expect(local.ok).toBe(true); // consistent locally: only the chain knows better
    const report = await verifyAuditTrail(t.db, { chain });
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'changed', entryId: 11 });
    expect(report.batchProblems).toEqual([expect.objectContaining({ problem: 'chain', firstId: 11, message: expect.stringContaining('was rewritten') })]);
    expect(listBatches(t.db)).toHaveLength(2);
  });

  it('finds a batch row whose id was rewritten around an anchored root', async () => {
    t.db.pragma('wal_checkpoint(TRUNCATE)');
    t.db.close();
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER IF EXISTS audit_batches_no_update');
      raw.prepare('UPDATE audit_batches SET batch_id = ? WHERE first_id = 1').run(`0x${'ab'.repeat(32)}`);
    });
    t.reopen();
    const report = await verifyAuditTrail(t.db, { chain });
    expect(report.firstProblem).toMatchObject({ entryId: 1 });
    expect(report.batchProblems.map((p) => p.message).join(' ')).toMatch(/under another batch id/);
  });

  it("finds a batch row that names another trail's anchored batch", async () => {
    const foreign = listBatches(other.db)[0]!.batch_id;
    t.db.pragma('wal_checkpoint(TRUNCATE)');
    t.db.close();
    tamperFile(t.file, (raw) => {
      raw.exec('DROP TRIGGER IF EXISTS audit_batches_no_update');
      raw.prepare('UPDATE audit_batches SET batch_id = ? WHERE first_id = 1').run(foreign);
    });
    t.reopen();
    const report = await verifyAuditTrail(t.db, { chain });
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ entryId: 1 });
    expect(report.batchProblems.map((p) => p.message).join(' ')).toMatch(/anchored in another audit trail/);
    // The other workstation's verification is not disturbed by this database's state.
    expect(await verifyAuditTrail(other.db, { chain })).toMatchObject({ ok: true, batches: { anchored: 3 } });
  });
});
