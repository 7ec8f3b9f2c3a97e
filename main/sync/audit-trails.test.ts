// Two workstations (two databases, two keys, one AuditAnchor v2) anchor signed tree heads of their audit logs
// through the real sync engine, and a hostile third holding ANCHOR_ROLE tries to write into their trails. Then the
// attacker who wipes the database, the chain folder and the heads file: the chain still remembers.
import fs from 'node:fs';
import path from 'node:path';
import { Contract, Wallet, id } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditAnchorReader, auditAnchorInterface, type AuditChain } from '../audit/anchor-reader';
import { headsFilePath } from '../audit/heads-file';
import { sealTreeHead } from '../audit/log';
import { checkProofBundle } from '../audit/proof';
import { exportProof } from '../audit/proof-export';
import { recordAudit } from '../audit/trail';
import { verifyAuditTrail } from '../audit/verify';
import { loadArtifact } from '../chain/artifacts';
import { DEVNET_SIGNER_KEY } from '../chain/devnet';
import { TxSender } from '../chain/provider';
import type { Db } from '../db/connection';
import { openTestDb, outboxStates, startTestChain, tempDir, testEngine, type TestChain } from './fixtures/chain';

let chain: TestChain;
let dir: string;
let auditChain: AuditChain;
const keyA = new Wallet(DEVNET_SIGNER_KEY);
const keyB = Wallet.createRandom();
const hostile = Wallet.createRandom();

async function grantAnchorRole(address: string): Promise<void> {
  const admin = new TxSender(new Wallet(DEVNET_SIGNER_KEY, chain.provider));
  const anchor = new Contract(chain.contracts.AuditAnchor, loadArtifact('AuditAnchor').abi, chain.provider);
  await admin.send({ to: chain.contracts.AuditAnchor, data: anchor.interface.encodeFunctionData('grantRole', [id('ANCHOR_ROLE'), address]) });
  await chain.control.setBalance(address, 100n * 10n ** 18n);
}

beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('sync-audit-trails');
  auditChain = { provider: chain.provider, chainId: chain.chainId, auditAnchor: chain.contracts.AuditAnchor };
  await grantAnchorRole(keyB.address);
  await grantAnchorRole(hostile.address);
});
afterAll(async () => {
  await chain?.stop();
});

interface Workstation {
  db: Db;
  dataDir: string;
  key: Wallet | typeof keyB;
}

function workstation(name: string, key: Wallet | typeof keyB): Workstation {
  const dataDir = path.join(dir, name);
  fs.mkdirSync(dataDir, { recursive: true });
  return { db: openTestDb(path.join(dataDir, 'custodian.sqlite')), dataDir, key };
}

/** `count` audit entries, then a signed head (queued for AuditAnchor). */
function audit(ws: Workstation, count: number): void {
  ws.db.transaction(() => {
    for (let i = 0; i < count; i++) recordAudit(ws.db, { actor: { id: `staff-${i % 3}`, name: 'Clerk', role: 'records_clerk' }, action: 'patient.view', outcome: 'success', patientId: (i % 5) + 1 });
  })();
  sealTreeHead(ws.db, { dataDir: ws.dataDir, signer: ws.key });
}

async function sync(ws: Workstation): Promise<void> {
  const engine = testEngine(ws.db, chain, { signerKey: ws.key.privateKey });
  const report = await engine.runUntilDrained(60_000);
  await engine.stop();
  expect(report.failure).toBeUndefined();
}

const verify = (ws: Workstation) => verifyAuditTrail(ws.db, { chain: auditChain, dataDir: ws.dataDir, signer: ws.key.address });

describe('two workstations anchoring signed heads into one AuditAnchor v2', () => {
  let a: Workstation;
  let b: Workstation;
  beforeAll(() => {
    a = workstation('ws-a', keyA);
    b = workstation('ws-b', keyB);
  });

  it('both anchor every head, interleaved, each in its own trail, and each verifies against the chain', async () => {
    audit(a, 25);
    await sync(a);
    audit(b, 12);
    await sync(b);
    audit(a, 10);
    audit(b, 15);
    await sync(b);
    await sync(a);
    for (const ws of [a, b]) {
      expect(outboxStates(ws.db)).toEqual({ confirmed: 2 });
      const report = await verify(ws);
      expect(report.warnings).toEqual([]);
      expect(report).toMatchObject({ ok: true, firstProblem: null, chain: { state: 'checked' } });
    }
    expect((await verify(a)).log).toMatchObject({ treeSize: 35, verifiedSize: 35, chainHead: { state: 'checked', treeSize: 35 } });
    expect((await verify(b)).log.lastSignedHead).toMatchObject({ treeSize: 27, sources: ['database', 'file', 'chain'] });
    const reader = new AuditAnchorReader(chain.provider, chain.contracts.AuditAnchor);
    expect((await reader.headsOf(keyA.address)).map((h) => h.treeSize)).toEqual([25, 35]);
    expect((await reader.headsOf(keyB.address)).map((h) => h.treeSize)).toEqual([12, 27]);
  });

  it('exports a proof bundle that checks out with a JSON-RPC endpoint alone, and fails when altered', async () => {
    const proof = await exportProof(b.db, 5, { chain: auditChain });
    expect(proof.anchorStatus).toBe('anchored');
    expect(proof.bundle.head.treeSize).toBe(12);
    expect(proof.bundle.anchor).toMatchObject({ treeSize: 27, trail: keyB.address });
    const check = await checkProofBundle(JSON.parse(JSON.stringify(proof.bundle)), chain.provider);
    expect(check.steps.filter((s) => s.ok !== true)).toEqual([]);
    expect(check.ok).toBe(true);
    const altered = { ...proof.bundle, entry: { ...proof.bundle.entry, patient_id: 4 } };
    expect((await checkProofBundle(altered, chain.provider)).steps.find((s) => s.name === 'entry-hash')?.ok).toBe(false);
    const otherRoot = { ...proof.bundle, anchor: { ...proof.bundle.anchor!, rootHash: proof.bundle.head.rootHash } };
    const failed = await checkProofBundle(otherRoot, chain.provider);
    expect(failed.steps.filter((s) => s.ok === false).map((s) => s.name)).toEqual(expect.arrayContaining(['consistency', 'transaction']));
  });

  it('a hostile ANCHOR_ROLE holder anchoring "my next head" lands in its own trail; my next anchor is still confirmed', async () => {
    const sender = new TxSender(new Wallet(hostile.privateKey, chain.provider));
    const forged = `0x${'5a'.repeat(32)}`;
    await sender.send({ to: chain.contracts.AuditAnchor, data: auditAnchorInterface.encodeFunctionData('anchorHead', [36, forged]) });
    const reader = new AuditAnchorReader(chain.provider, chain.contracts.AuditAnchor);
    expect(await reader.rootOf(hostile.address, 36)).toMatchObject({ rootHash: forged });
    expect(await reader.rootOf(keyA.address, 36)).toBeNull();
    audit(a, 1);
    await sync(a);
    expect(outboxStates(a.db)).toEqual({ confirmed: 3 });
    expect((await reader.rootOf(keyA.address, 36))?.rootHash).not.toBe(forged);
    expect(await verify(a)).toMatchObject({ ok: true, log: { verifiedSize: 36 } });
  });

  it('confirms a head the same key anchored from another process, from the chain state of its own trail only', async () => {
    audit(a, 2);
    const payload = JSON.parse(a.db.prepare(`SELECT payload FROM outbox WHERE kind = 'audit.root' ORDER BY id DESC LIMIT 1`).pluck().get() as string) as { treeSize: number; rootHash: string };
    const receipt = await new TxSender(new Wallet(keyA.privateKey, chain.provider)).send({ to: chain.contracts.AuditAnchor, data: auditAnchorInterface.encodeFunctionData('anchorHead', [payload.treeSize, payload.rootHash]) });
    await sync(a);
    expect(a.db.prepare(`SELECT state, tx_hash FROM sync_batches WHERE kind = 'audit.root' ORDER BY rowid DESC LIMIT 1`).get()).toEqual({ state: 'confirmed', tx_hash: receipt.hash });
  });

  it('a head whose size was taken in my trail with another root fails with the named error, never "confirmed"', async () => {
    audit(b, 1);
    const payload = JSON.parse(b.db.prepare(`SELECT payload FROM outbox WHERE kind = 'audit.root' ORDER BY id DESC LIMIT 1`).pluck().get() as string) as { treeSize: number; rootHash: string };
    // Whoever holds the key (a copied data folder, say) anchored another root at this size first.
    await new TxSender(new Wallet(keyB.privateKey, chain.provider)).send({ to: chain.contracts.AuditAnchor, data: auditAnchorInterface.encodeFunctionData('anchorHead', [payload.treeSize, `0x${'77'.repeat(32)}`]) });
    const engine = testEngine(b.db, chain, { signerKey: keyB.privateKey });
    await engine.runUntilDrained(60_000);
    await engine.stop();
    const batch = b.db.prepare(`SELECT state, last_error FROM sync_batches WHERE kind = 'audit.root' ORDER BY rowid DESC LIMIT 1`).get() as { state: string; last_error: string };
    expect(batch.state).toBe('failed');
    expect(batch.last_error).toMatch(/HeadAlreadyAnchored/);
    // And verification sees the fork between the signed head and the chain's.
    expect((await verify(b)).firstProblem).toMatchObject({ kind: 'forked-head' });
  });

  it('wiping the database, the chain folder and the heads file leaves the chain to remember the log', async () => {
    a.db.close();
    fs.rmSync(a.dataDir, { recursive: true, force: true });
    const fresh = workstation('ws-a', keyA);
    audit(fresh, 3);
    fs.rmSync(headsFilePath(fresh.dataDir)); // and its new heads file too
    const report = await verify(fresh);
    expect(report.ok).toBe(false);
    // The chain's heads of 25, 35, 36 and 38 entries cannot be given by a log of 3.
    expect(report.firstProblem).toMatchObject({ kind: 'deleted', entryId: 4 });
    expect(report.log.lastSignedHead).toMatchObject({ treeSize: 38, sources: ['chain'] });
    fresh.db.close();
    b.db.close();
  });
});
