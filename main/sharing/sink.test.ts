// The pulled-event sink on a real SQLite file: a partner's proposal naming us becomes a row to sign; one whose
// terms do not match the signed hash is kept but marked rejected and cannot be signed; a signature that does not
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
import { SqlSharingSink } from './sink';
import { agreementById } from './store';
import { orgIdBytes, packScope, scopePartsOf, termsHash } from './terms';

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

async function proposal(overrides: { termsHash?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const struct = { agreementId: `0x${crypto.randomBytes(32).toString('hex')}`, termsHash: overrides.termsHash ?? termsHash(TERMS), partyA: partner.address, partyB: us.address, validFrom: now - 60, validUntil: now + 86_400, documentHash: `0x${'dd'.repeat(32)}` };
  const proposed: ChainSharingEvent = { ...base, name: 'AgreementProposed', agreementId: struct.agreementId, partyA: struct.partyA, partyB: struct.partyB, termsHash: struct.termsHash, validFrom: struct.validFrom, validUntil: struct.validUntil, documentHash: struct.documentHash, scope: String(packScope(scopePartsOf(TERMS))), orgA: orgIdBytes('GENHOSP'), orgB: orgIdBytes('STMARY') };
  const signature = await signAgreement(partner, sharingDomain(CHAIN, CONTRACT), struct);
  const signed: ChainSharingEvent = { ...base, name: 'AgreementSigned', agreementId: struct.agreementId, party: partner.address, signature };
  return { struct, proposed, signed };
}

describe('SqlSharingSink', () => {
  it('turns a proposal naming us into a row with the terms seen from our side, then activates and terminates it', async () => {
    const sink = new SqlSharingSink(db);
    const { struct, proposed, signed } = await proposal();
    sink.sharingEvent(proposed);
    sink.sharingEvent(signed);
    sink.sharingEvent(proposed); // a re-read changes nothing
    const row = agreementById(db, struct.agreementId)!;
    expect(row).toMatchObject({ our_role: 'B', partner_org_id: 'GENHOSP', direction: 'inbound', status: 'proposed', chain_state: 'on-chain', partner_signature: (signed as { signature: string }).signature });
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

  it('keeps a proposal whose terms do not match its hash as rejected, and refuses to sign it', async () => {
    const sink = new SqlSharingSink(db);
    const { struct, proposed, signed } = await proposal({ termsHash: termsHash({ ...TERMS, categories: ['general'] }) });
    sink.sharingEvent(proposed);
    sink.sharingEvent(signed);
    expect(agreementById(db, struct.agreementId)!.chain_state).toBe('rejected');
    const service = new AgreementService({ db, wallet: us, chain: () => ({ chainId: CHAIN, contract: CONTRACT }) });
    await expect(service.sign(struct.agreementId, actor)).rejects.toMatchObject({ code: 'SHARING_TERMS_MISMATCH' });
  });

  it('ignores a partner signature made for another chain id, so the row cannot be signed yet', async () => {
    const sink = new SqlSharingSink(db);
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
    const sink = new SqlSharingSink(db);
    const { struct, proposed } = await proposal();
    sink.sharingEvent({ ...proposed, partyB: Wallet.createRandom().address } as ChainSharingEvent);
    expect(agreementById(db, struct.agreementId)).toBeUndefined();
    expect(sink.outcomes['not-ours']).toBe(1);
  });
});
