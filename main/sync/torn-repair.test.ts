// The torn node state for the kinds besides consents and audit heads: a batch's transaction kept its writes (the
// contract holds the credential status, the claim record, the agreement step) and lost its block and events, so no
// workstation can pull them. Each kind's repair sends the writes the chain still holds as sent again, unchanged,
// through the one outbox writer; the contract announces a write it already holds again with its events, and a second
// workstation pulling ends with them. A write the chain holds otherwise (a later final revocation, a payer's decision)
// is named, not sent. Audited per write, and running the repair again sends nothing more. Without the repairs these
// batches stay failed and the second workstation never learns the writes: every test here fails. anvil and EDR.
import crypto from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Contract, Interface, Wallet, type ContractTransactionResponse } from 'ethers';
import type { ProposeAgreementInput } from '../api/sharing';
import { loadArtifact } from '../chain/artifacts';
import { DEVNET_SIGNER_KEY } from '../chain/devnet';
import { payerCommitmentOf } from '../claims/outbox-events';
import type { Db } from '../db/connection';
import { agreementProposePayload, proposalOf } from '../sharing/outbox-events';
import { SEALED_BYTES } from '../sharing/sealed-terms';
import { agreementById } from '../sharing/store';
import { sharingOrg } from '../sharing/test-support';
import { credentialPayload, enqueue, grantRole, openTestDb, outboxStates, registerIssuer, tempDir, testEngine, workstationKey, type TestEngineOptions } from './fixtures/chain';
import { tornEngine, tornSuite } from './fixtures/torn';
import { SyncStore } from './store';

const suite = tornSuite();
const { errors } = suite;

const actor = { id: 'u1', name: 'Test Manager', role: 'records_manager' };
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const hash = (s: string) => `0x${crypto.createHash('sha256').update(s).digest('hex')}`;

interface BatchView {
  id: string;
  state: string;
  error: string | null;
}
const batchesOf = (db: Db) => db.prepare(`SELECT id, state, last_error AS error FROM sync_batches ORDER BY rowid`).all() as BatchView[];

/** Runs one engine to the end (a torn one or a plain one) and stops it. */
async function drain(engine: ReturnType<typeof testEngine>): Promise<void> {
  const report = await engine.runUntilDrained(60_000);
  await engine.stop();
  expect(report.failure).toBeUndefined();
}

/** Retries a failed batch (its repair runs again) and returns the outbox size afterwards. */
async function retryOnce(db: Db, key: string, batchId: string, kinds: string[], opts: TestEngineOptions = {}): Promise<number> {
  expect(new SyncStore(db, kinds).retry(batchId)).toBe(true);
  await drain(testEngine(db, suite.chain, { ...opts, signerKey: key, stuckAfterMs: 0 }));
  return db.prepare(`SELECT count(*) FROM outbox`).pluck().get() as number;
}

describe('a torn credential status batch', () => {
  it('is sent again unchanged and announced again, unless the registry holds a later final revocation; a hostile StatusBatchApplied under our id never counts', async () => {
    const dir = tempDir('torn-repair-credential');
    const a = openTestDb(path.join(dir, 'a.sqlite'));
    const b = openTestDb(path.join(dir, 'b.sqlite'));
    const keyA = await workstationKey(suite.chain);
    const relay = new Wallet(await workstationKey(suite.chain), suite.chain.provider);
    const issuer = Wallet.createRandom();
    await registerIssuer(suite.chain, issuer.address);
    const suspend = credentialPayload(101, issuer, suite.chain, 'suspended');
    const active = credentialPayload(102, issuer, suite.chain, 'active');
    const laterRevoke = JSON.parse(credentialPayload(101, issuer, suite.chain, 'revoked')) as Record<string, unknown>;
    enqueue(a, 'credential.status', [suspend, active]);
    const registry = new Contract(suite.chain.contracts.CredentialRegistry, loadArtifact('CredentialRegistry').abi, relay);
    const engine = tornEngine(suite.chain, a, keyA, [], errors, async () => {
      const batchId = a.prepare(`SELECT id FROM sync_batches`).pluck().get() as string;
      // As the attacker: an empty batch under our id (StatusBatchApplied indexes the id alone) ...
      await ((await registry.getFunction('setStatuses')(batchId, [])) as ContractTransactionResponse).wait();
      // ... and the issuer's later revocation of credential 101, relayed by another workstation, with its event.
      const codes = { active: 1, suspended: 2, revoked: 3 } as const;
      await ((await registry.getFunction('setStatuses')(hash('other-relay'), [{ ...laterRevoke, status: codes[laterRevoke.status as 'revoked'] }])) as ContractTransactionResponse).wait();
    });
    await drain(engine);

    const batches = batchesOf(a);
    expect(batches.map((x) => x.state)).toEqual(['failed', 'confirmed']);
    expect(batches[0]!.error).toMatch(/^SYNC_APPLIED_WITHOUT_LOG: .*NOT confirmed\. 1 credential\.status write\(s\) the chain holds without an event sent again unchanged as outbox event\(s\) 3; not sent again: outbox event 1: the registry holds a final revocation/);
    expect(outboxStates(a)).toEqual({ failed: 2, confirmed: 1 });
    const audits = a.prepare(`SELECT details FROM audit_log WHERE action = 'credential.resend'`).pluck().all() as string[];
    expect(audits.map((d) => JSON.parse(d) as unknown)).toEqual([{ reason: 'SYNC_APPLIED_WITHOUT_LOG', batchId: batches[0]!.id, outboxId: 2, resentAs: 3 }]);

    // B pulls from the chain alone: the active status (announced again by our resend) and the later revocation.
    await drain(testEngine(b, suite.chain, { signerKey: await workstationKey(suite.chain) }));
    const held = (h: string) => b.prepare(`SELECT status FROM sync_chain_credentials WHERE credential_hash = ?`).pluck().get(h.toLowerCase());
    expect(held(JSON.parse(active).credentialHash)).toBe(1);
    expect(held(JSON.parse(suspend).credentialHash)).toBe(3);

    expect(await retryOnce(a, keyA, batches[0]!.id, ['credential.status'])).toBe(3);
    expect(new SyncStore(a, ['credential.status']).batch(batches[0]!.id)!.last_error).toMatch(/0 credential\.status write\(s\) .*; 1 already sent again; not sent again: outbox event 1/);
    expect(a.prepare(`SELECT count(*) FROM audit_log WHERE action = 'credential.resend'`).pluck().get()).toBe(1);
    a.close();
    b.close();
  }, 180_000);
});

describe('a torn claim record batch', () => {
  it('is sent again unchanged and announced again (ClaimRecorded) unless its payer decided it meanwhile', async () => {
    const dir = tempDir('torn-repair-claims');
    const a = openTestDb(path.join(dir, 'a.sqlite'));
    const b = openTestDb(path.join(dir, 'b.sqlite'));
    const keyA = await workstationKey(suite.chain);
    await grantRole(suite.chain, 'ClaimsLedger', 'CUSTODIAN_ROLE', new Wallet(keyA).address);
    const payer = new Wallet(await workstationKey(suite.chain), suite.chain.provider);
    const ledgerIface = new Interface(loadArtifact('ClaimsLedger').abi);
    const admin = new Contract(suite.chain.contracts.ClaimsLedger!, ledgerIface, new Wallet(DEVNET_SIGNER_KEY, suite.chain.provider));
    await ((await admin.getFunction('registerPayer')(payer.address, true)) as ContractTransactionResponse).wait();
    const nonce = hash('payer-nonce');
    const undecided = { v: 2, claimRowId: 1, claimHash: hash('torn-claim-1'), payerCommitment: payerCommitmentOf(payer.address, hash('other-nonce')) };
    const decided = { v: 2, claimRowId: 2, claimHash: hash('torn-claim-2'), payerCommitment: payerCommitmentOf(payer.address, nonce) };
    enqueue(a, 'claim.record', [JSON.stringify(undecided), JSON.stringify(decided)]);
    const engine = tornEngine(suite.chain, a, keyA, [], errors, async () => {
      // The payer decides claim 2 on the torn record (the ledger's storage holds it): its decision has its own event.
      const ledger = new Contract(suite.chain.contracts.ClaimsLedger!, ledgerIface, payer);
      await ((await ledger.getFunction('setStatus')(decided.claimHash, 2, `0x${'00'.repeat(8)}`, nonce)) as ContractTransactionResponse).wait();
    });
    await drain(engine);

    const batches = batchesOf(a);
    expect(batches.map((x) => x.state)).toEqual(['failed', 'confirmed']);
    expect(batches[0]!.error).toMatch(/1 claim\.record write\(s\) the chain holds without an event sent again unchanged as outbox event\(s\) 3; not sent again: outbox event 2: its payer decided it/);
    expect(a.prepare(`SELECT count(*) FROM audit_log WHERE action = 'claim.resend'`).pluck().get()).toBe(1);

    // B pulls: claim 1 recorded (the announcement of our resend), claim 2 decided by its payer.
    await drain(testEngine(b, suite.chain, { signerKey: await workstationKey(suite.chain) }));
    const names = (h: string) => b.prepare(`SELECT name FROM sync_chain_events WHERE subject = ? ORDER BY block_number, log_index`).pluck().all(h) as string[];
    expect(names(undecided.claimHash)).toEqual(['ClaimRecorded']);
    expect(names(decided.claimHash)).toEqual(['ClaimStatusChanged']);

    expect(await retryOnce(a, keyA, batches[0]!.id, ['claim.record'])).toBe(3);
    expect(a.prepare(`SELECT count(*) FROM audit_log WHERE action = 'claim.resend'`).pluck().get()).toBe(1);
    a.close();
    b.close();
  }, 180_000);
});

function organisation(name: string, orgId: string) {
  const org = sharingOrg(`torn-repair-${name}`, orgId, () => ({ chainId: suite.chain.chainId, contract: suite.chain.contracts.SharingAgreements! }));
  return { ...org, opts: org.syncOptions };
}

describe('torn sharing agreement batches (proposal, signature, termination)', () => {
  it('each is sent again unchanged and announced again; the partner pulling sees every step', async () => {
    const a = organisation('a', 'GENHOSP');
    const b = organisation('b', 'STMARY');
    const keyA = await workstationKey(suite.chain);
    const keyB = await workstationKey(suite.chain);
    const input: ProposeAgreementInput = { partnerOrgId: 'STMARY', partnerPublicKey: b.publicKey, direction: 'outbound', categories: ['HIV'], purposes: ['TREAT'], validFrom: day(-1), validUntil: day(90), documentHash: hash('paper').slice(2) };
    const proposed = await a.service.propose(input, actor);
    await drain(tornEngine(suite.chain, a.db, keyA, [], errors, undefined, a.opts));
    await drain(testEngine(b.db, suite.chain, { ...b.opts, signerKey: keyB }));
    expect(agreementById(b.db, proposed.id)).toMatchObject({ status: 'proposed', chain_state: 'on-chain' });

    await b.service.sign(proposed.id, actor);
    await drain(tornEngine(suite.chain, b.db, keyB, [], errors, undefined, b.opts));
    await drain(testEngine(a.db, suite.chain, { ...a.opts, signerKey: keyA }));
    expect(agreementById(a.db, proposed.id)).toMatchObject({ status: 'active' });

    await a.service.terminate(proposed.id, 'ended', actor);
    await drain(tornEngine(suite.chain, a.db, keyA, [], errors, undefined, a.opts));
    await drain(testEngine(b.db, suite.chain, { ...b.opts, signerKey: keyB }));
    expect(agreementById(b.db, proposed.id)).toMatchObject({ status: 'terminated' });

    // Three torn batches, each named and repaired by one audited resend; nothing is pending.
    const failedA = batchesOf(a.db).filter((x) => x.state === 'failed');
    const failedB = batchesOf(b.db).filter((x) => x.state === 'failed');
    expect([...failedA, ...failedB].map((x) => x.error!.match(/^SYNC_APPLIED_WITHOUT_LOG: .*NOT confirmed\. 1 (agreement\.\w+) write\(s\)/)?.[1])).toEqual(['agreement.propose', 'agreement.terminate', 'agreement.sign']);
    const resends = (db: Db) => db.prepare(`SELECT json_extract(details, '$.kind') FROM audit_log WHERE action = 'sharing.agreement.resend' ORDER BY id`).pluck().all();
    expect(resends(a.db)).toEqual(['agreement.propose', 'agreement.terminate']);
    expect(resends(b.db)).toEqual(['agreement.sign']);

    // Running the proposal's repair again sends nothing more.
    const before = a.db.prepare(`SELECT count(*) FROM outbox`).pluck().get();
    expect(await retryOnce(a.db, keyA, failedA[0]!.id, ['agreement.propose', 'agreement.sign', 'agreement.terminate'], a.opts)).toBe(before);
    expect(resends(a.db)).toHaveLength(2);
    a.db.close();
    b.db.close();
  }, 240_000);
});

describe('a proposal front-run with sealed terms that do not open', () => {
  it("as the attacker: a relay lands partyA's signed proposal first with garbage terms; partyA's own send announces it again and the partner ends with the right terms", async () => {
    const a = organisation('front-a', 'GENHOSP');
    const b = organisation('front-b', 'STMARY');
    const keyA = await workstationKey(suite.chain);
    const keyB = await workstationKey(suite.chain);
    const relay = new Wallet(await workstationKey(suite.chain), suite.chain.provider);
    const input: ProposeAgreementInput = { partnerOrgId: 'STMARY', partnerPublicKey: b.publicKey, direction: 'outbound', categories: ['HIV'], purposes: ['TREAT'], validFrom: day(-1), validUntil: day(90), documentHash: hash('front').slice(2) };
    const proposed = await a.service.propose(input, actor);
    // The relay reads the signed proposal (from the mempool, here from A's queue) and lands it with other bytes.
    const payload = agreementProposePayload.parse(JSON.parse(a.db.prepare(`SELECT payload FROM outbox WHERE kind = 'agreement.propose'`).pluck().get() as string));
    const sharing = new Contract(suite.chain.contracts.SharingAgreements!, loadArtifact('SharingAgreements').abi, relay);
    const garbage = `0x${crypto.randomBytes(SEALED_BYTES).toString('hex')}`;
    await ((await sharing.getFunction('proposeBatch')(hash('relay-batch'), [proposalOf({ ...payload, sealedTerms: garbage })])) as ContractTransactionResponse).wait();
    await drain(testEngine(b.db, suite.chain, { ...b.opts, signerKey: keyB }));
    expect(agreementById(b.db, proposed.id)).toMatchObject({ chain_state: 'rejected' });

    // A sends its own proposal: the contract holds the very proposal and announces it again, with A's sealed terms.
    await drain(testEngine(a.db, suite.chain, { ...a.opts, signerKey: keyA }));
    expect(batchesOf(a.db).map((x) => x.state)).toEqual(['confirmed']);
    await drain(testEngine(b.db, suite.chain, { ...b.opts, signerKey: keyB }));
    expect(agreementById(b.db, proposed.id)).toMatchObject({ chain_state: 'on-chain', status: 'proposed', partner_org_id: 'GENHOSP', valid_until: agreementById(a.db, proposed.id)!.valid_until });
    await b.service.sign(proposed.id, actor);
    await drain(testEngine(b.db, suite.chain, { ...b.opts, signerKey: keyB }));
    await drain(testEngine(a.db, suite.chain, { ...a.opts, signerKey: keyA }));
    expect(agreementById(a.db, proposed.id)).toMatchObject({ status: 'active' });
    a.db.close();
    b.db.close();
  }, 240_000);
});
