// Consent proof bundles on a real chain, played by the attacker: a bundle whose terms, order, contract, block,
// transaction or opening were edited fails with its named reason; a later change by another workstation is reported;
// the bundle carries no facility secret and its terms key opens no other change; a separate process with only the
// RPC URL (no data folder, no database) checks a valid bundle.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Interface, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsentProofBundle } from '../api/consents';
import { loadArtifact } from '../chain/artifacts';
import { deployContract, ensureFacilitySigner } from '../chain/deploy';
import { TxSender } from '../chain/provider';
import type { AppError } from '../api/errors';
import { LEDGER_CATEGORIES, LEDGER_PURPOSES, packOrder } from './consent-state';
import { SqlConsentSink } from './consent-sink';
import { startTestChain, tempDir, testEngine, TEST_SECRET, TEST_SEALER, workstationKey, type TestChain } from '../sync/fixtures/chain';
import { workstation, writeConsent } from '../sync/fixtures/workstation';
import type { Db } from '../db/connection';
import { ConsentSealer, openSealedTerms } from './ledger-seal';
import { checkConsentProof, LEDGER_PROOF_ABI, parseConsentProof } from './proof';
import { exportConsentProof, type ConsentChainAccess } from './proof-export';

const bin = path.resolve(import.meta.dirname, '../../bin/custodian.mjs');
let chain: TestChain;
let dir: string;
let a: Db;
let b: Db;
let keyA: string;
let keyB: string;
let bundle: ConsentProofBundle;
const term = { patient: 0, grantee: '1111111111', purpose: 'TREAT', category: 'HIV', decision: 'permit', revoked: false, until: 1_900_000_000 } as const;

const access = (): ConsentChainAccess => ({ provider: chain.provider, chainId: chain.chainId, ledger: chain.contracts.ConsentLedger, fromBlock: 0 });
const sync = async (db: Db, signerKey: string) => {
  const engine = testEngine(db, chain, { sink: new SqlConsentSink(db), signerKey });
  await engine.runUntilDrained();
  await engine.stop();
};
const idOf = (db: Db) => db.prepare(`SELECT max(id) FROM consents`).pluck().get() as number;
const edited = (change: (b: ConsentProofBundle) => void): ConsentProofBundle => {
  const copy = structuredClone(bundle);
  change(copy);
  return copy;
};
async function refusal(p: Promise<unknown>): Promise<{ code: string; reason: string; message: string }> {
  const err = (await p.then(
    () => null,
    (e: unknown) => e,
  )) as AppError | null;
  expect(err, 'the check passed').not.toBeNull();
  return { code: err!.code, reason: (err!.details as { reason: string }).reason, message: err!.message };
}

beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('consent-proof');
  a = workstation(dir, 'ws-a', [0, 1]);
  b = workstation(dir, 'ws-b', [0, 1]);
  keyA = await workstationKey(chain);
  keyB = await workstationKey(chain);
  writeConsent(a, 'a', { ...term, seq: 1 });
  await sync(a, keyA);
  bundle = await exportConsentProof(a, idOf(a), TEST_SEALER, access(), new Date('2026-12-06T09:00:00Z'));
});
afterAll(async () => {
  a?.close();
  b?.close();
  await chain?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('consent proof bundle', () => {
  it('holds the terms, the opening of this one change and where it landed; no facility secret', async () => {
    expect(parseConsentProof(JSON.parse(JSON.stringify(bundle)))).toEqual(bundle);
    expect(bundle.terms).toMatchObject({ grantee: '1111111111', purpose: 'TREAT', category: 'HIV', decision: 'permit', revoked: false, validUntil: 1_900_000_000 });
    expect(bundle.chain).toMatchObject({ chainId: chain.chainId, contract: chain.contracts.ConsentLedger.toLowerCase() });
    expect(bundle.op.writer).toBe(new Wallet(keyA).address.toLowerCase());
    const text = JSON.stringify(bundle).toLowerCase();
    expect(text).not.toContain(TEST_SECRET.toString('hex'));
    expect(text).not.toContain(TEST_SECRET.toString('base64').toLowerCase());
    // The ledger's code tables are the API's lists (the checker maps names to codes without the sync layer).
    expect([...LEDGER_PURPOSES]).toEqual(['TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH', 'HMARKT']);
    expect([...LEDGER_CATEGORIES]).toEqual(['general', 'mental-health', 'substance-use', 'HIV', 'genetic', 'reproductive']);
  });

  it('a valid bundle passes: the change is the ledger state at the bundle block', async () => {
    const r = await checkConsentProof(bundle, chain.provider);
    expect(r).toMatchObject({ current: true, laterOps: [], stateAtBlock: { decision: 'permit', revoked: false, hlc: bundle.op.hlc, writer: bundle.op.writer } });
    expect(r.steps.map((s) => s.name)).toEqual(['chain-id', 'transaction', 'contract', 'op-key', 'order', 'terms', 'state']);
    // Pinning the ledger the auditor knows out of band.
    await expect(checkConsentProof(bundle, chain.provider, { ledger: chain.contracts.ConsentLedger })).resolves.toMatchObject({ current: true });
  });

  it('attacker: edited terms fail: a key field (category) breaks the op key, a sealed field (validUntil) the terms', async () => {
    expect(await refusal(checkConsentProof(edited((x) => (x.terms.category = 'general')), chain.provider))).toMatchObject({ code: 'CONSENT_PROOF_INVALID', reason: 'op-key' });
    const until = await refusal(checkConsentProof(edited((x) => (x.terms.validUntil = 2_000_000_000)), chain.provider));
    expect(until).toMatchObject({ code: 'CONSENT_PROOF_INVALID', reason: 'terms' });
    expect(until.message).toContain('validUntil');
    expect(await refusal(checkConsentProof(edited((x) => (x.terms.documentHash = `0x${'ee'.repeat(32)}`)), chain.provider))).toMatchObject({ reason: 'terms' });
    // The decision and the revoked flag are in the public order word: edited, they contradict the event.
    expect(await refusal(checkConsentProof(edited((x) => (x.terms.decision = 'deny')), chain.provider))).toMatchObject({ reason: 'order' });
    expect(await refusal(checkConsentProof(edited((x) => (x.op.writer = new Wallet(keyB).address.toLowerCase())), chain.provider))).toMatchObject({ reason: 'order' });
  });

  it('attacker: a bundle pointing at another contract fails, also with the right log and a pinned ledger', async () => {
    const other = chain.contracts.AuditAnchor.toLowerCase();
    expect(await refusal(checkConsentProof(edited((x) => (x.chain.contract = other)), chain.provider))).toMatchObject({ reason: 'contract' });
    expect(await refusal(checkConsentProof(bundle, chain.provider, { ledger: other }))).toMatchObject({ reason: 'contract' });
  });

  it('attacker: a genuine ConsentLedger of their own, holding a forged change under the facility id, is refused once the ledger is pinned', async () => {
    // Someone who saw one bundle knows its key salt; they deploy a ConsentLedger, register themselves under the
    // facility's (public) id, and record the same op key with a longer validity, sealed under a key of their choice.
    const attacker = Wallet.createRandom().connect(chain.provider);
    await chain.control.setBalance(attacker.address, 10n ** 19n);
    const send = new TxSender(attacker);
    const impostor = await deployContract(send, 'ConsentLedger', [attacker.address]);
    await ensureFacilitySigner(send, chain.provider, impostor, attacker.address, bundle.op.facilityId);
    const forger = new ConsentSealer(Buffer.alloc(32, 9));
    const order = packOrder({ decision: 1, revoked: false, hlc: 5n });
    const forged = { ...bundle.terms, validUntil: 2_100_000_000 };
    const sealed = forger.seal({ ...forged, purposeCode: 1, categoryCode: 4, decision: 1, prevHlc: 0n }, bundle.op.opKey, order);
    const ledger = new Interface(loadArtifact('ConsentLedger').abi);
    const receipt = await send.send({ to: impostor, data: ledger.encodeFunctionData('applyBatch', [`0x${'42'.repeat(32)}`, [{ opKey: bundle.op.opKey, order, sealedTerms: sealed }]]) });
    const log = receipt.logs.find((l) => l.topics[0] === LEDGER_PROOF_ABI.getEvent('ConsentChanged')!.topicHash)!;
    const fake = edited((x) => {
      x.terms = forged;
      x.opening.termsKey = forger.termsKeyOf(sealed, bundle.op.opKey, order)!;
      x.op = { ...x.op, hlc: '0000000000000005', writer: attacker.address.toLowerCase() };
      x.chain = { ...x.chain, contract: impostor.toLowerCase(), txHash: receipt.hash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, logIndex: log.index };
      x.atBlock = receipt.blockNumber;
    });
    // The bundle alone cannot tell which ConsentLedger is the facility's (README: pass --ledger known out of band).
    await expect(checkConsentProof(fake, chain.provider)).resolves.toMatchObject({ current: true, ledger: { address: impostor, pinned: false } });
    expect(await refusal(checkConsentProof(fake, chain.provider, { ledger: chain.contracts.ConsentLedger }))).toMatchObject({ reason: 'contract' });
  });

  it('attacker: a block before the op, a forged transaction hash, another transaction, the wrong chain: each named', async () => {
    expect(await refusal(checkConsentProof(edited((x) => (x.atBlock = x.chain.blockNumber - 1)), chain.provider))).toMatchObject({ reason: 'block-before-op' });
    expect(await refusal(checkConsentProof(bundle, chain.provider, { atBlock: bundle.chain.blockNumber - 1 }))).toMatchObject({ reason: 'block-before-op' });
    expect(await refusal(checkConsentProof(edited((x) => (x.chain.txHash = `0x${'ab'.repeat(32)}`)), chain.provider))).toMatchObject({ reason: 'transaction' });
    expect(await refusal(checkConsentProof(edited((x) => (x.chain.blockNumber -= 1)), chain.provider))).toMatchObject({ reason: 'block' });
    expect(await refusal(checkConsentProof(edited((x) => (x.chain.logIndex += 50)), chain.provider))).toMatchObject({ reason: 'event' });
    expect(await refusal(checkConsentProof(edited((x) => (x.chain.chainId += 1)), chain.provider))).toMatchObject({ reason: 'chain-id' });
    expect(await refusal(checkConsentProof(edited((x) => (x.opening.termsKey = `0x${'11'.repeat(32)}`)), chain.provider))).toMatchObject({ reason: 'terms' });
    expect(await refusal(Promise.resolve().then(() => parseConsentProof({ ...bundle, secret: 'x' })))).toMatchObject({ reason: 'malformed' });
  });

  it('attacker: another change of the facility, proven in its own transaction, cannot stand in for this one', async () => {
    writeConsent(a, 'a', { ...term, patient: 1, grantee: '2222222222', seq: 1 });
    await sync(a, keyA);
    const second = await exportConsentProof(a, idOf(a), TEST_SEALER, access());
    // This bundle's opening and terms with the other change's receipt: the event's op key is not this opening's.
    const swapped = edited((x) => (x.chain = { ...second.chain }));
    expect(await refusal(checkConsentProof(swapped, chain.provider))).toMatchObject({ reason: 'op-key' });
    // One change's terms key opens no other change of the facility.
    const log = (await chain.provider.getTransactionReceipt(second.chain.txHash))!.logs.find((l) => l.index === second.chain.logIndex)!;
    const e = LEDGER_PROOF_ABI.parseLog(log)!;
    const order = (e.args.state as bigint) & ((1n << 80n) - 1n);
    expect(openSealedTerms(e.args.sealedTerms as string, bundle.opening.termsKey, second.op.opKey, order)).toBeNull();
    expect(openSealedTerms(e.args.sealedTerms as string, second.opening.termsKey, second.op.opKey, order)).not.toBeNull();
  });

  it('a later revoke by another workstation is reported at a later block, and the bundle still holds at its own block', async () => {
    await sync(b, keyB); // b pulls a's grant
    writeConsent(b, 'b', { ...term, seq: 2, revoked: true });
    await sync(b, keyB);
    const later = await checkConsentProof(bundle, chain.provider, { atBlock: await chain.provider.getBlockNumber() });
    expect(later.current).toBe(false);
    expect(later.stateAtBlock).toMatchObject({ revoked: true, writer: new Wallet(keyB).address.toLowerCase() });
    expect(later.laterOps).toHaveLength(1);
    expect(later.laterOps[0]).toMatchObject({ revoked: true, writer: new Wallet(keyB).address.toLowerCase() });
    await expect(checkConsentProof(bundle, chain.provider)).resolves.toMatchObject({ current: true, laterOps: [] });
  });

  it('attacker race: a change recorded under an earlier one that outranks it is reported STALE by the fold, never as the state', async () => {
    // B lands a deny at 5 on a key; A (never pulled it) writes the key at 3 and syncs: its change is recorded, STALE.
    const key = { ...term, patient: 1, grantee: '5656565656' } as const;
    writeConsent(b, 'b', { ...key, seq: 5, decision: 'deny' });
    await sync(b, keyB);
    writeConsent(a, 'a', { ...key, seq: 3 });
    const mine = idOf(a);
    await sync(a, keyA);
    // A's row never got the chain's echo as the key's state (the export refuses such a row); mark it as A's own write
    // so the export finds its recorded event, as a person holding the transaction could.
    a.prepare(`UPDATE consents SET hlc_writer = ? WHERE id = ?`).run(new Wallet(keyA).address.toLowerCase(), mine);
    const staleBundle = await exportConsentProof(a, mine, TEST_SEALER, access());
    const checked = await checkConsentProof(staleBundle, chain.provider, { atBlock: await chain.provider.getBlockNumber() });
    expect(checked).toMatchObject({ current: false, stale: true, laterOps: [] });
    expect(checked.stateAtBlock).toMatchObject({ decision: 'deny', hlc: '0000000000000005', writer: new Wallet(keyB).address.toLowerCase() });
    expect(checked.steps.at(-1)!.message).toMatch(/never held the key \(STALE\)/);
  });

  it('a process with only the bundle and the RPC URL (no data folder, no database key) checks it', async () => {
    const file = path.join(dir, 'proof.json');
    fs.writeFileSync(file, JSON.stringify(bundle));
    const badFile = path.join(dir, 'proof-edited.json');
    fs.writeFileSync(badFile, JSON.stringify(edited((x) => (x.terms.validUntil = 0))));
    const nowhere = path.join(dir, 'no-data-folder');
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const env = { PATH: process.env.PATH ?? '', HOME: nowhere };
        const child = spawn(process.execPath, [bin, 'consent', 'check-proof', ...args, '--rpc', chain.rpcUrl, '--data-dir', nowhere], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const ok = await run([file, '--at-block', String(bundle.atBlock)]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('Proof OK');
    expect(ok.stdout).toContain('was taken from the bundle');
    // At the head, b's later revoke replaced it: reported, with its own exit code.
    const atHead = await run([file, '--at-block', String(await chain.provider.getBlockNumber()), '--json']);
    expect(atHead.code, atHead.stderr).toBe(4);
    expect(JSON.parse(atHead.stdout)).toMatchObject({ current: false, laterOps: [{ revoked: true }] });
    const bad = await run([badFile]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('[CONSENT_PROOF_INVALID] terms:');
    expect(fs.existsSync(nowhere)).toBe(false);
  });
});
