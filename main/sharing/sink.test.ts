// The pulled-event sink on a real SQLite file: a partner's proposal naming us becomes a row to sign; one whose
// sealed terms do not match the signed commitment, or were sealed to another key, is kept but marked rejected and
// cannot be signed; a signature that does not
// recover to the partner under this chain's domain is ignored; activation and termination change the status.
import crypto from 'node:crypto';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Wallet } from 'ethers';
import type { Db } from '../db/connection';
import { openTestDb, tempDir } from '../sync/fixtures/chain';
import type { ChainSharingEvent } from './sync-plugin';
import { AgreementService } from './agreements';
import { sharingDomain, signAgreement } from './eip712';
import { ensureIdentity, loadOrCreateOrgWallet } from './identity';
import { newSalt, openTerms, sealTerms, termsCommitment, type SealedTerms } from './sealed-terms';
import { SqlSharingSink } from './sink';
import { agreementById } from './store';
import { orgIdBytes, packScope, scopePartsOf } from './terms';

const CONTRACT = `0x${'5a'.repeat(20)}`;
const CHAIN = 31337;
const TERMS = { direction: 'outbound' as const, purposes: ['TREAT' as const], categories: ['general' as const, 'HIV' as const], orgA: 'GENHOSP', orgB: 'STMARY' };
const actor = { id: 'u', name: 'U', role: 'records_manager' };

let db: Db;
let dir: string;
let us: Wallet;
const partner = new Wallet(Wallet.createRandom().privateKey);
beforeEach(() => {
  dir = tempDir('sharing-sink');
  db = openTestDb(path.join(dir, 'custodian.sqlite'));
  us = loadOrCreateOrgWallet(dir);
  ensureIdentity(db, us);
});
afterEach(() => db.close());

const base = { chainId: CHAIN, contract: CONTRACT, blockNumber: 5, txHash: `0x${'ee'.repeat(32)}` };

const sinkOf = () => new SqlSharingSink(db, (sealed, id) => openTerms(sealed, id, us.privateKey));

/** A partner's proposal to us; `committed` replaces the terms the signature commits to, `sealedTo` the key they are sealed to. */
async function proposal(overrides: { committed?: Partial<SealedTerms>; sealedTo?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const terms: SealedTerms = { salt: newSalt(), scope: packScope(scopePartsOf(TERMS)), orgA: orgIdBytes('GENHOSP'), orgB: orgIdBytes('STMARY'), validFrom: now - 60, validUntil: now + 86_400, documentHash: `0x${'dd'.repeat(32)}` };
  const agreementId = `0x${crypto.randomBytes(32).toString('hex')}`;
  const struct = { agreementId, commitment: termsCommitment({ ...terms, ...overrides.committed }), partyA: partner.address, partyB: us.address };
  const sealedTerms = sealTerms(terms, agreementId, overrides.sealedTo ?? us.signingKey.publicKey);
  const proposed: ChainSharingEvent = { ...base, name: 'AgreementProposed', agreementId, partyA: struct.partyA, partyB: struct.partyB, commitment: struct.commitment, sealedTerms };
  const signature = await signAgreement(partner, sharingDomain(CHAIN, CONTRACT), struct);
  const signed: ChainSharingEvent = { ...base, name: 'AgreementSigned', agreementId: struct.agreementId, party: partner.address, signature };
  return { struct, proposed, signed };
}

describe('SqlSharingSink', () => {
  it('turns a proposal naming us into a row with the terms seen from our side, then activates and terminates it', async () => {
    const sink = sinkOf();
    const { struct, proposed, signed } = await proposal();
    sink.sharingEvent(proposed);
    sink.sharingEvent(signed);
    sink.sharingEvent(proposed); // a re-read changes nothing
    const row = agreementById(db, struct.agreementId)!;
    expect(row).toMatchObject({ our_role: 'B', partner_org_id: 'GENHOSP', direction: 'inbound', status: 'proposed', chain_state: 'on-chain', partner_signature: (signed as { signature: string }).signature, document_hash: `0x${'dd'.repeat(32)}`, terms_hash: struct.commitment });
    expect(JSON.parse(row.categories)).toEqual(['general', 'HIV']);
    expect(sink.outcomes).toMatchObject({ inserted: 1, updated: 1, same: 1 });

    const service = new AgreementService({ db, wallet: us, chain: () => ({ chainId: CHAIN, contract: CONTRACT }) });
    await service.sign(struct.agreementId, actor);
    sink.sharingEvent({ ...base, name: 'AgreementActivated', agreementId: struct.agreementId });
    expect(agreementById(db, struct.agreementId)!.status).toBe('active');
    sink.sharingEvent({ ...base, name: 'AgreementTerminated', agreementId: struct.agreementId, party: partner.address });
    expect(agreementById(db, struct.agreementId)).toMatchObject({ status: 'terminated', terminated_by: partner.address });
    // Termination wins over a late activation.
    sink.sharingEvent({ ...base, name: 'AgreementActivated', agreementId: struct.agreementId });
    expect(agreementById(db, struct.agreementId)!.status).toBe('terminated');
    expect(db.prepare(`SELECT action FROM audit_log WHERE subject = ? ORDER BY id`).pluck().all(`agreement:${struct.agreementId}`)).toEqual([
      'sharing.agreement.received',
      'sharing.agreement.sign',
      'sharing.agreement.active',
      'sharing.agreement.terminated',
    ]);
  });

  it.each([
    ['whose sealed terms are not the ones its proposer signed', { committed: { validUntil: Math.floor(Date.now() / 1000) + 10 * 86_400 } }],
    ['whose commitment has another salt', { committed: { salt: newSalt() } }],
    ['sealed to another key', { sealedTo: Wallet.createRandom().signingKey.publicKey }],
  ])('keeps a proposal %s as rejected, and refuses to sign it', async (_name, overrides) => {
    const sink = sinkOf();
    const { struct, proposed, signed } = await proposal(overrides);
    sink.sharingEvent(proposed);
    sink.sharingEvent(signed);
    expect(agreementById(db, struct.agreementId)!.chain_state).toBe('rejected');
    expect(sink.outcomes['rejected-terms']).toBe(1);
    const service = new AgreementService({ db, wallet: us, chain: () => ({ chainId: CHAIN, contract: CONTRACT }) });
    await expect(service.sign(struct.agreementId, actor)).rejects.toMatchObject({ code: 'SHARING_TERMS_MISMATCH' });
  });

  it('ignores a partner signature made for another chain id, so the row cannot be signed yet', async () => {
    const sink = sinkOf();
    const { struct, proposed } = await proposal();
    sink.sharingEvent(proposed);
    const wrong = await signAgreement(partner, sharingDomain(1, CONTRACT), struct);
    sink.sharingEvent({ ...base, name: 'AgreementSigned', agreementId: struct.agreementId, party: partner.address, signature: wrong });
    expect(sink.outcomes['bad-signature']).toBe(1);
    expect(agreementById(db, struct.agreementId)!.partner_signature).toBeNull();
    const service = new AgreementService({ db, wallet: us, chain: () => ({ chainId: CHAIN, contract: CONTRACT }) });
    await expect(service.sign(struct.agreementId, actor)).rejects.toMatchObject({ code: 'SHARING_AGREEMENT_NOT_SIGNED' });
  });

  it('ignores agreements between other organisations', async () => {
    const sink = sinkOf();
    const { struct, proposed } = await proposal();
    sink.sharingEvent({ ...proposed, partyB: Wallet.createRandom().address } as ChainSharingEvent);
    expect(agreementById(db, struct.agreementId)).toBeUndefined();
    expect(sink.outcomes['not-ours']).toBe(1);
  });
});
