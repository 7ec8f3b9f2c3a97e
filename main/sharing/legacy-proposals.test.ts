// Proposals queued before proposals were sealed (v1 payload: terms in clear) on a real SQLite file: never sent as
// they are. With the partner's public key known here (recovered from its signature on another agreement) one is
// converted losslessly: the partner opens exactly the v1 terms, the signature is our organisation key's under today's
// domain. Without it the event is held by name (SHARING_PROPOSAL_LEGACY, counted for the Sync page) and the agreement
// is marked not sent; once a key is known, a later start converts it. Nothing happens while the chain is not connected.
import crypto from 'node:crypto';
import path from 'node:path';
import { encodeBytes32String, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { seedSecret } from '../consents/test-support';
import { openTestDb, plantOutboxRow, tempDir } from '../sync/fixtures/chain';
import { heldEventCounts, replacedEventCount } from '../sync/outbox';
import { agreementSigner, sharingDomain, signAgreement } from './eip712';
import { ensureIdentity, loadOrCreateOrgWallet, setOrgId } from './identity';
import { legacyProposePayload, reconcileLegacyProposals } from './legacy-proposals';
import { agreementProposePayload } from './outbox-events';
import { openTerms } from './sealed-terms';
import { agreementById, insertAgreement } from './store';
import { structOf } from './agreements';

const CHAIN = { chainId: 31337, contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };
const rand32 = () => `0x${crypto.randomBytes(32).toString('hex')}`;

function organisation() {
  const dir = tempDir('sharing-legacy');
  seedSecret(dir);
  const db = openTestDb(path.join(dir, 'custodian.sqlite'));
  const wallet = loadOrCreateOrgWallet(dir);
  ensureIdentity(db, wallet);
  setOrgId(db, 'GENHOSP');
  return { db, wallet };
}

/** A v1 proposal as an older version queued it: its agreement row and its outbox event (terms in clear). */
function legacyProposal(db: ReturnType<typeof organisation>['db'], us: string, partner: string) {
  const v1 = {
    agreementId: rand32(),
    partyA: us,
    partyB: partner,
    termsHash: rand32(),
    validFrom: 1_780_000_000,
    validUntil: 1_790_000_000,
    documentHash: rand32(),
    direction: 1,
    purposesMask: 1,
    categoriesMask: 4,
    orgA: encodeBytes32String('GENHOSP'),
    orgB: encodeBytes32String('STMARY'),
    signatureA: `0x${'11'.repeat(65)}`,
  };
  expect(legacyProposePayload.safeParse(v1).success).toBe(true);
  const at = new Date().toISOString();
  insertAgreement(db, {
    id: v1.agreementId, our_role: 'A', partner_org_id: 'STMARY', partner_address: partner, our_address: us, direction: 'outbound', categories: '["HIV"]', purposes: '["TREAT"]',
    valid_from: v1.validFrom, valid_until: v1.validUntil, document_hash: v1.documentHash, terms_hash: v1.termsHash, chain_id: CHAIN.chainId, contract: CHAIN.contract,
    our_signature: v1.signatureA, partner_signature: null, status: 'proposed', chain_state: 'queued', created_at: at,
  });
  return { v1, outboxId: plantOutboxRow(db, 'agreement.propose', JSON.stringify(v1)) };
}

const outboxRow = (db: ReturnType<typeof organisation>['db'], id: number) =>
  db.prepare(`SELECT state, last_error AS error, payload, replaced_by AS replacedBy FROM outbox WHERE id = ?`).get(id) as { state: string; error: string | null; payload: string; replacedBy: number | null };

describe('sharing proposals queued before proposals were sealed', () => {
  it('are held by name while the partner key is unknown, and converted losslessly once it is known; never sent as they are', async () => {
    const { db, wallet } = organisation();
    const partner = Wallet.createRandom();
    const { v1, outboxId } = legacyProposal(db, wallet.address, partner.address);

    expect(await reconcileLegacyProposals({ db, wallet, chain: () => ({ notConfigured: 'offline' }) })).toEqual({ converted: [], held: [] });
    expect(outboxRow(db, outboxId).state).toBe('pending');

    // No key for the partner here: held, named, counted for the Sync page; the agreement is marked not sent.
    expect(await reconcileLegacyProposals({ db, wallet, chain: () => CHAIN })).toEqual({ converted: [], held: [outboxId] });
    expect(outboxRow(db, outboxId)).toMatchObject({ state: 'failed' });
    expect(outboxRow(db, outboxId).error).toMatch(/^SHARING_PROPOSAL_LEGACY: agreement 0x.* is NOT sent .*the partner's public key is not known here/);
    expect(heldEventCounts(db)).toEqual({ total: 1, byCode: { SHARING_PROPOSAL_LEGACY: 1 } });
    expect(agreementById(db, v1.agreementId)!.chain_state).toBe('rejected');
    expect(await reconcileLegacyProposals({ db, wallet, chain: () => CHAIN })).toEqual({ converted: [], held: [] });
    expect(db.prepare(`SELECT count(*) FROM audit_log WHERE action = 'sharing.agreement.legacy-held'`).pluck().get()).toBe(1);

    // The partner signs another agreement with us under today's domain: its signature names its public key.
    const other = { id: rand32(), terms_hash: rand32(), our_role: 'B' as const, our_address: wallet.address, partner_address: partner.address };
    const partnerSig = await signAgreement(partner, sharingDomain(CHAIN.chainId, CHAIN.contract), structOf(other));
    insertAgreement(db, {
      ...other, partner_org_id: 'STMARY', direction: 'inbound', categories: '[]', purposes: '[]', valid_from: 0, valid_until: 1, document_hash: rand32(), chain_id: CHAIN.chainId, contract: CHAIN.contract,
      our_signature: null, partner_signature: partnerSig, status: 'proposed', chain_state: 'on-chain', created_at: new Date().toISOString(),
    });

    const { converted } = await reconcileLegacyProposals({ db, wallet, chain: () => CHAIN });
    expect(converted).toHaveLength(1);
    // The v1 event is replaced by the converted one: a state (migration 0025), not a text every reader must skip.
    expect(outboxRow(db, outboxId)).toMatchObject({ state: 'replaced', replacedBy: converted[0], error: null });
    const next = agreementProposePayload.parse(JSON.parse(outboxRow(db, converted[0]!).payload));
    expect(outboxRow(db, converted[0]!).state).toBe('pending');
    // Lossless: the partner opens exactly the terms the v1 payload carried, and they match the signed commitment.
    const opened = openTerms(next.sealedTerms, v1.agreementId, partner.privateKey)!;
    expect({ ...opened, salt: undefined }).toEqual({ salt: undefined, scope: 1n | (1n << 8n) | (4n << 40n), orgA: v1.orgA, orgB: v1.orgB, validFrom: v1.validFrom, validUntil: v1.validUntil, documentHash: v1.documentHash });
    const row = agreementById(db, v1.agreementId)!;
    expect(row).toMatchObject({ terms_hash: next.commitment, chain_state: 'queued', our_signature: next.signatureA });
    expect(agreementSigner(sharingDomain(CHAIN.chainId, CHAIN.contract), structOf(row), next.signatureA)).toBe(wallet.address);
    // Nothing in the new payload is in clear (no period, document or organisation id).
    expect(next.sealedTerms).not.toContain(v1.documentHash.slice(2));
    expect(await reconcileLegacyProposals({ db, wallet, chain: () => CHAIN })).toEqual({ converted: [], held: [] });
    expect(heldEventCounts(db)).toEqual({ total: 0, byCode: {} });
    expect(replacedEventCount(db)).toBe(1);
    db.close();
  });
});
