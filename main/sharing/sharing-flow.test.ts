// Two organisations (two data folders, two databases) on ONE anvil: A proposes, B pulls and signs, A pulls ->
// active on both; a release is permitted only while agreement and consent hold and is denied with the right
// reason after either is revoked; a signature for another chain id is rejected and nothing is lost.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Contract } from 'ethers';
import type { ProposeAgreementInput } from '../api/sharing';
import { loadArtifact } from '../chain/artifacts';
import { ConsentStore } from '../consents/store';
import { ConsentWrites } from '../consents/writes';
import { draft } from '../consents/test-support';
import { loadOrCreateFacilitySecret, Pseudonymizer } from '../consents/pseudonym';
import type { Db } from '../db/connection';
import { startTestChain, testEngine, type TestChain } from '../sync/fixtures/chain';
import type { SyncEngine } from '../sync/engine';
import { AgreementService } from './agreements';
import { sharingDomain, signAgreement } from './eip712';
import { structOf } from './agreements';
import { loadOrCreateOrgWallet } from './identity';
import { handleReleaseRequest } from './release';
import { SqlSharingSink } from './sink';
import { agreementById, agreementView } from './store';
import { sharingOrg } from './test-support';
import { OUTBOX_KIND_CODES } from '../db/outbox-columns';

interface Org {
  dir: string;
  db: Db;
  service: AgreementService;
  sink: SqlSharingSink;
  engine: SyncEngine;
  address: string;
  publicKey: string;
}

let chain: TestChain;
let a: Org;
let b: Org;
const actor = { id: 'u1', name: 'Test Manager', role: 'records_manager' };
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

function org(name: string, orgId: string, chainOf: () => { chainId: number; contract: string }): Org {
  const o = sharingOrg(`sharing-${name}`, orgId, chainOf);
  return { ...o, engine: testEngine(o.db, chain, o.syncOptions) };
}

beforeAll(async () => {
  chain = await startTestChain();
  const here = () => ({ chainId: chain.chainId, contract: chain.contracts.SharingAgreements! });
  a = org('a', 'GENHOSP', here);
  b = org('b', 'STMARY', here);
});

afterAll(async () => {
  for (const o of [a, b]) {
    await o?.engine.stop();
    o?.db.close();
  }
  await chain?.stop();
});

const outboxCount = (db: Db) => db.prepare(`SELECT count(*) FROM outbox`).pluck().get() as number;
const statusOf = (o: Org, id: string) => agreementView(agreementById(o.db, id)!, Math.floor(Date.now() / 1000)).status;

describe('sharing between two organisations on one chain', () => {
  let agreementId: string;
  let patientId: number;
  let consentId: number;
  let writes: ConsentWrites;

  it('gives the two data folders different organisation addresses', () => {
    expect(a.address).not.toBe(b.address);
    expect(loadOrCreateOrgWallet(a.dir).address).toBe(a.address);
  });

  it('A proposes, B pulls the proposal with its terms and the proposer signature', async () => {
    const input: ProposeAgreementInput = {
      partnerOrgId: 'STMARY',
      partnerPublicKey: b.publicKey,
      direction: 'outbound',
      categories: ['general'],
      purposes: ['TREAT'],
      validFrom: day(-1),
      validUntil: day(30),
      documentHash: crypto.createHash('sha256').update('signed paper agreement').digest('hex'),
    };
    const row = await a.service.propose(input, actor);
    agreementId = row.id;
    expect(row).toMatchObject({ status: 'proposed', chain_state: 'queued', our_role: 'A' });
    expect((await a.engine.runUntilDrained(60_000)).outcome).not.toBe('failed');
    await a.engine.syncNow();
    expect(agreementById(a.db, agreementId)!.chain_state).toBe('on-chain');

    await b.engine.runUntilDrained(60_000);
    const pulled = agreementById(b.db, agreementId)!;
    expect(pulled).toMatchObject({ our_role: 'B', partner_org_id: 'GENHOSP', direction: 'inbound', status: 'proposed', chain_state: 'on-chain' });
    expect(JSON.parse(pulled.categories)).toEqual(['general']);
    // The period and document reached B only sealed to its key; they match A's row and the signed commitment.
    expect([pulled.valid_from, pulled.valid_until, pulled.document_hash, pulled.terms_hash]).toEqual([row.valid_from, row.valid_until, row.document_hash, row.terms_hash]);
    expect(pulled.partner_signature).toBe(row.our_signature);
  });

  it('refuses, locally, to sign for another chain id, and writes nothing', async () => {
    const wrong = new AgreementService({ db: b.db, wallet: loadOrCreateOrgWallet(b.dir), chain: () => ({ chainId: 1, contract: chain.contracts.SharingAgreements! }) });
    const before = outboxCount(b.db);
    await expect(wrong.sign(agreementId, actor)).rejects.toMatchObject({ code: 'SHARING_WRONG_CHAIN', message: expect.stringContaining('chain 1') });
    expect(outboxCount(b.db)).toBe(before);
    expect(agreementById(b.db, agreementId)!.our_signature).toBeNull();
  });

  it('a partner signature made for another chain id is rejected on chain (InvalidSigner) and the agreement stays proposed', async () => {
    const struct = structOf(agreementById(b.db, agreementId)!);
    const forOtherChain = await signAgreement(loadOrCreateOrgWallet(b.dir), sharingDomain(1, chain.contracts.SharingAgreements!), struct);
    b.db.prepare(`INSERT INTO outbox (kind_code, payload) VALUES (${OUTBOX_KIND_CODES['agreement.sign']}, ?)`).run(JSON.stringify({ agreementId, party: b.address, signature: forOtherChain }));
    await b.engine.runUntilDrained(60_000);
    const failed = b.db.prepare(`SELECT state, last_error FROM outbox WHERE kind = 'agreement.sign'`).get() as { state: string; last_error: string };
    expect(failed.state).toBe('failed');
    expect(failed.last_error).toContain('InvalidSigner');
    await a.engine.syncNow();
    expect(statusOf(a, agreementId)).toBe('proposed');
    const sharing = new Contract(chain.contracts.SharingAgreements!, loadArtifact('SharingAgreements').abi, chain.provider);
    expect((await sharing.getFunction('agreementOf')(agreementId)).signedB).toBe(false);
  });

  it('B signs, both pull: active on both sides and on chain', async () => {
    await b.service.sign(agreementId, actor);
    await b.engine.runUntilDrained(60_000);
    await b.engine.syncNow();
    await a.engine.syncNow();
    expect(statusOf(a, agreementId)).toBe('active');
    expect(statusOf(b, agreementId)).toBe('active');
    expect(agreementById(a.db, agreementId)!.partner_signature).toMatch(/^0x[0-9a-f]{130}$/);
    const sharing = new Contract(chain.contracts.SharingAgreements!, loadArtifact('SharingAgreements').abi, chain.provider);
    expect(await sharing.getFunction('isBinding')(agreementId)).toBe(true);
  });

  it('permits a release while agreement and consent hold, records the released hash, and audits both', () => {
    writes = new ConsentWrites(a.db, new ConsentStore(a.db, new Pseudonymizer(loadOrCreateFacilitySecret(a.dir))));
    consentId = writes.grant(draft({ grantee: 'STMARY', granteeKind: 'org', purpose: 'TREAT', category: 'general' }), 'u1');
    patientId = a.db.prepare(`SELECT patient_id FROM consents WHERE id = ?`).pluck().get(consentId) as number;
    const r = handleReleaseRequest({ db: a.db, dataDir: a.dir }, { partnerOrgId: 'STMARY', patientId, category: 'general', purpose: 'TREAT' }, actor);
    expect(r).toMatchObject({ decision: 'permit', reasons: [], agreementId });
    const file = a.db.prepare(`SELECT released_file FROM sharing_release_requests WHERE id = ?`).pluck().get(r.id) as string;
    expect(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')).toBe(r.releasedHash);
    const audit = a.db.prepare(`SELECT action, outcome, details FROM audit_log WHERE subject = ? ORDER BY id`).all(`release:${r.id}`) as { action: string; outcome: string; details: string }[];
    expect(audit.map((x) => [x.action, x.outcome])).toEqual([['sharing.release.decide', 'permit'], ['sharing.release', 'success']]);
    expect(JSON.parse(audit[1]!.details).sha256).toBe(r.releasedHash);
  });

  it('denies outside the agreement scope, naming the gap', () => {
    const r = handleReleaseRequest({ db: a.db, dataDir: a.dir }, { partnerOrgId: 'STMARY', patientId, category: 'mental-health', purpose: 'TREAT' }, actor);
    expect(r.decision).toBe('deny');
    expect(r.reasons.map((x) => x.code)).toEqual(['AGREEMENT_SCOPE', 'CONSENT_DENIED']);
    expect(r.releasedHash).toBeNull();
  });

  it('denies with CONSENT_DENIED after the consent is revoked', () => {
    writes.revoke(consentId, 'patient withdrew', 'u1');
    const r = handleReleaseRequest({ db: a.db, dataDir: a.dir }, { partnerOrgId: 'STMARY', patientId, category: 'general', purpose: 'TREAT' }, actor);
    expect(r.reasons.map((x) => x.code)).toEqual(['CONSENT_DENIED']);
    expect(r.reasons[0]!.message).toContain('Denied');
  });

  it('denies with AGREEMENT_TERMINATED after the partner terminates it (pulled back), consent granted again', async () => {
    writes.grant(draft({ grantee: 'STMARY', granteeKind: 'org', purpose: 'TREAT', category: 'general', externalId: 'again' }), 'u1');
    const ok = handleReleaseRequest({ db: a.db, dataDir: a.dir }, { partnerOrgId: 'STMARY', patientId, category: 'general', purpose: 'TREAT' }, actor);
    expect(ok.decision).toBe('permit');

    await b.service.terminate(agreementId, 'contract ended', actor);
    expect(statusOf(b, agreementId)).toBe('terminated');
    await b.engine.runUntilDrained(60_000);
    await a.engine.syncNow();
    expect(agreementById(a.db, agreementId)).toMatchObject({ status: 'terminated', terminated_by: b.address });
    const r = handleReleaseRequest({ db: a.db, dataDir: a.dir }, { partnerOrgId: 'STMARY', patientId, category: 'general', purpose: 'TREAT' }, actor);
    expect(r.reasons.map((x) => x.code)).toEqual(['AGREEMENT_TERMINATED']);
    await expect(a.service.terminate(agreementId, 'again', actor)).rejects.toMatchObject({ code: 'SHARING_AGREEMENT_TERMINATED' });
  });

  it('refuses to propose an expired agreement or one with itself, writing nothing', async () => {
    const before = outboxCount(a.db);
    const base: ProposeAgreementInput = { partnerOrgId: 'STMARY', partnerPublicKey: b.publicKey, direction: 'both', categories: ['general'], purposes: ['TREAT'], validFrom: '2020-01-01', validUntil: '2020-12-31', documentHash: 'ab'.repeat(32) };
    await expect(a.service.propose(base, actor)).rejects.toMatchObject({ code: 'SHARING_AGREEMENT_EXPIRED', message: expect.stringContaining('validUntil') });
    await expect(a.service.propose({ ...base, validUntil: day(10), partnerPublicKey: a.publicKey }, actor)).rejects.toMatchObject({ code: 'SHARING_PARTNER_IS_SELF' });
    await expect(a.service.propose({ ...base, validFrom: day(10), validUntil: day(5) }, actor)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(outboxCount(a.db)).toBe(before);
  });
});
