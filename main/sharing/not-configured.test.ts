// An external chain configured before SharingAgreements existed: agreement events wait in the outbox with a
// "not configured" notice while other kinds keep flowing; once the address is configured they are sent.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wallet } from 'ethers';
import { consentPayload, enqueue, openTestDb, startTestChain, tempDir, testEngine, type TestChain } from '../sync/fixtures/chain';
import { sharingDomain, signAgreement } from './eip712';
import { newSalt, sealTerms, termsCommitment } from './sealed-terms';
import { orgIdBytes, packScope, scopePartsOf } from './terms';

let chain: TestChain;
beforeAll(async () => {
  chain = await startTestChain();
});
afterAll(async () => {
  await chain?.stop();
});

describe('agreement events without a SharingAgreements address', () => {
  it('stay queued with a notice, then go out once the address is configured', async () => {
    const db = openTestDb(path.join(tempDir('sharing-nc'), 'custodian.sqlite'));
    const { SharingAgreements: address, ...older } = chain.contracts;
    const a = new Wallet(Wallet.createRandom().privateKey);
    const bWallet = Wallet.createRandom();
    const b = bWallet.address;
    const now = Math.floor(Date.now() / 1000);
    const terms = { direction: 'outbound' as const, purposes: ['TREAT' as const], categories: ['general' as const], orgA: 'GENHOSP', orgB: 'STMARY' };
    const sealed = { salt: newSalt(), scope: packScope(scopePartsOf(terms)), orgA: orgIdBytes('GENHOSP'), orgB: orgIdBytes('STMARY'), validFrom: now - 10, validUntil: now + 86_400, documentHash: `0x${'34'.repeat(32)}` };
    const struct = { agreementId: `0x${'12'.repeat(32)}`, commitment: termsCommitment(sealed), partyA: a.address, partyB: b };
    const signatureA = await signAgreement(a, sharingDomain(chain.chainId, address!), struct);
    enqueue(db, 'agreement.propose', [JSON.stringify({ ...struct, sealedTerms: sealTerms(sealed, struct.agreementId, bWallet.signingKey.publicKey), signatureA })]);
    enqueue(db, 'consent.change', [consentPayload({}, 0)]);

    const engine = testEngine(db, { ...chain, contracts: older });
    await engine.runUntilDrained(60_000);
    const state = (kind: string) => db.prepare(`SELECT state FROM outbox WHERE kind = ?`).pluck().get(kind);
    expect(state('consent.change')).toBe('confirmed');
    expect(state('agreement.propose')).toBe('pending');
    expect(engine.notConfigured).toEqual(['SharingAgreements']);
    expect(engine.notice?.message).toContain('Not configured: no SharingAgreements address');
    await engine.stop();

    const configured = testEngine(db, chain);
    await configured.runUntilDrained(60_000);
    expect(state('agreement.propose')).toBe('confirmed');
    expect(configured.notConfigured).toEqual([]);
    await configured.stop();
    db.close();
  });
});
