// The attacker's (or the fault's) test of "audit fails closed" for the handlers that act outside the database:
// sync.now / pause / resume (the engine sends transactions), signer.seal / forget (the OS keychain's sealed key
// file written or deleted), sharing.propose / sign / terminate (an outbox
// event the engine sends to the chain), sharing.request (a release package written to disk) and
// credentials.setStatus (an outbox event for the registry) and audit.batchNow (a signed head in the heads file and
// an outbox event for AuditAnchor). The audit entry of exactly that call is made unwritable
// (a trigger refusing entries of its channel, so every other write still works): each call is refused with
// AUDIT_WRITE_FAILED, and nothing is sent, queued, released or changed. Real SQLite, the real dispatcher and sink.
import fs from 'node:fs';
import path from 'node:path';
import { encryptKeystoreJsonSync, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../api/permissions';
import { createAuditSink } from '../audit/api-sink';
import { createAuditHandlers } from '../audit/handlers';
import { headsFilePath } from '../audit/heads-file';
import { ConsentConflicts } from '../consents/consent-conflicts';
import { checkExportPatientSets } from '../consents/export-seal';
import { ConsentWrites } from '../consents/writes';
import { draft, testData, type TestData } from '../consents/test-support';
import { credentialDomain } from '../credentials/eip712';
import { createCredentialHandlers } from '../credentials/handlers';
import { issuerStatusSignatureFor } from '../credentials/status-change';
import { credentialById } from '../credentials/store';
import { signTestCredential, storeCredential } from '../credentials/test-support';
import { sharingDomain, signAgreement } from '../sharing/eip712';
import { createSharingHandlers } from '../sharing/handlers';
import { ensureIdentity, loadOrCreateOrgWallet } from '../sharing/identity';
import { insertAgreement } from '../sharing/store';
import type { SyncEngine } from '../sync/engine';
import { TEST_REGISTRY } from '../sync/fixtures/chain';
import { createSyncHandlers } from '../sync/handlers';
import type { SealedSigningKey } from '../sync/sealed-key';
import { createSignerHandlers } from '../sync/signer-handlers';
import { createDispatcher, type ApiHandlers, type Dispatch } from './dispatcher';
import { silentLogger } from './log';

const CHAIN_ID = 31337;
const SHARING = `0x${'5a'.repeat(20)}`;
const manager: Principal = { id: 'm1', name: 'Mia Manager', role: 'records_manager' };
const admin: Principal = { id: 'a1', name: 'Ada Admin', role: 'it_admin' };
const DAY = 86_400;

let t: TestData;
let dispatch: Dispatch;
/** What the stand-in engine was asked to do: each entry is an action a refused call must not cause. */
const engineActions: string[] = [];
let patientId: number;
let credentialId: number;
const issuer = Wallet.createRandom();
const partner = Wallet.createRandom();
const headKey = Wallet.createRandom();

const count = (sql: string, ...params: unknown[]) => t.db.prepare(sql).pluck().get(...params) as number;
/** Every table whose rows are an action taken (or queued to be taken) outside this database. */
const effects = () => ({
  outbox: count('SELECT count(*) FROM outbox'),
  agreements: count('SELECT count(*) FROM sharing_agreements'),
  agreementStates: t.db.prepare('SELECT id, status, our_signature FROM sharing_agreements ORDER BY id').all(),
  requests: count('SELECT count(*) FROM sharing_release_requests'),
  releases: fs.existsSync(path.join(t.dir, 'releases')) ? fs.readdirSync(path.join(t.dir, 'releases')).length : 0,
  statusChanges: count('SELECT count(*) FROM credential_status_changes'),
  heads: count('SELECT count(*) FROM audit_heads'),
  batches: count('SELECT count(*) FROM audit_batches'),
  headsFile: fs.existsSync(headsFilePath(t.dir)) ? fs.readFileSync(headsFilePath(t.dir), 'utf8') : '',
  audit: count('SELECT count(*) FROM audit_log'),
  engine: [...engineActions],
});
/** Entries of this channel (the dispatcher's own, action = channel) can no longer be written; nothing else fails. */
const refuseEntriesOf = (channel: string) =>
  t.db.exec(`CREATE TRIGGER refuse_entry BEFORE INSERT ON audit_log WHEN NEW.action = '${channel}' BEGIN SELECT RAISE(ABORT, 'audit trail offline'); END;`);
const mend = () => t.db.exec('DROP TRIGGER IF EXISTS refuse_entry');

function seedAgreement(id: string, over: Record<string, unknown>): void {
  const now = Math.floor(Date.now() / 1000);
  const me = ensureIdentity(t.db, loadOrCreateOrgWallet(t.dir));
  insertAgreement(t.db, {
    id,
    our_role: 'A',
    partner_org_id: 'STMARY',
    partner_address: partner.address,
    our_address: me.address,
    direction: 'outbound',
    categories: JSON.stringify(['general']),
    purposes: JSON.stringify(['TREAT']),
    valid_from: now - DAY,
    valid_until: now + 30 * DAY,
    document_hash: `0x${'ab'.repeat(32)}`,
    terms_hash: `0x${'cd'.repeat(32)}`,
    chain_id: CHAIN_ID,
    contract: SHARING,
    our_signature: `0x${'11'.repeat(65)}`,
    partner_signature: `0x${'22'.repeat(65)}`,
    status: 'active',
    chain_state: 'on-chain',
    created_at: new Date().toISOString(),
    ...over,
  } as Parameters<typeof insertAgreement>[1]);
}

beforeAll(async () => {
  t = testData('custodian-audit-first-');
  const db = t.db;
  const engine = {
    syncNow: async () => {
      engineActions.push('syncNow');
      return { outcome: 'idle', sent: 0, confirmed: 0, failure: null };
    },
    pause: () => engineActions.push('pause'),
    resume: () => engineActions.push('resume'),
  } as unknown as SyncEngine;
  const chainOffline = { connection: null, current: { state: 'offline', reason: 'test' } };
  // The OS keychain's sealed copy of the sync key, as a stand-in recording what was done to it.
  let sealedAddress: string | null = null;
  const sealed = {
    readiness: () => ({ ready: true, backend: 'test-keychain', reason: null }),
    address: () => sealedAddress,
    seal: (privateKey: string) => {
      engineActions.push('seal');
      sealedAddress = new Wallet(privateKey).address;
      return { address: sealedAddress };
    },
    forget: () => {
      engineActions.push('forget');
      const had = sealedAddress !== null;
      sealedAddress = null;
      return had;
    },
  } as unknown as SealedSigningKey;
  const keystorePath = `${t.dir}/keystore.json`;
  // A real keystore, with a cheap KDF: only its unlocking is exercised here.
  const syncKey = Wallet.createRandom();
  fs.writeFileSync(keystorePath, encryptKeystoreJsonSync({ address: syncKey.address, privateKey: syncKey.privateKey }, 'keystore phrase', { scrypt: { N: 1024 } }));
  const handlers = {
    ...createSyncHandlers({ db, engine, chain: chainOffline as never, confirmations: 1, health: { current: { state: 'disabled', mode: 'external', since: null, queued: 0, reason: 'offline in this test' } }, registry: TEST_REGISTRY, conflicts: new ConsentConflicts(db) }),
    ...createSharingHandlers({ db, dataDir: t.dir, wallet: loadOrCreateOrgWallet(t.dir), chain: { connection: { endpoint: { chainId: CHAIN_ID, contracts: { SharingAgreements: SHARING } } } } }),
    ...createSignerHandlers({ chain: { mode: 'external', rpcUrl: 'http://127.0.0.1:1', chainId: CHAIN_ID, contracts: {}, confirmations: 1, startBlock: 0, keystorePath } as never, sealed }),
    ...createCredentialHandlers({ db, chain: chainOffline as never, jobs: { start: () => { throw new Error('no jobs here'); } } as never, incoming: () => ({ path: '/nonexistent' }) }),
    ...createAuditHandlers({ db, dataDir: t.dir, chain: () => ({ unavailable: 'offline in this test' }), headSigner: async () => headKey, anchorHeads: true, exportSets: checkExportPatientSets }),
  } as unknown as ApiHandlers;
  dispatch = createDispatcher(handlers, silentLogger, {
    audit: createAuditSink(db, 'ws-test'),
    // As the composition root (services.ts) does.
    transaction: (fn, write) => (write ? db.transaction(fn).immediate() : db.transaction(fn)()),
  });

  // A patient whose consent permits release to STMARY under an active agreement: a request is a permit.
  const writes = new ConsentWrites(db, t.store);
  const consentId = writes.grant(draft({ grantee: 'STMARY', granteeKind: 'org', purpose: 'TREAT', category: 'general' }), 'm1');
  patientId = db.prepare('SELECT patient_id FROM consents WHERE id = ?').pluck().get(consentId) as number;
  seedAgreement(`0x${'a1'.repeat(32)}`, {});
  // A proposal pulled from the chain, signed by its proposer for this chain: ours to sign.
  const proposal = { agreementId: `0x${'b2'.repeat(32)}`, commitment: `0x${'cd'.repeat(32)}`, partyA: partner.address, partyB: loadOrCreateOrgWallet(t.dir).address };
  const period = { validFrom: Math.floor(Date.now() / 1000) - DAY, validUntil: Math.floor(Date.now() / 1000) + 30 * DAY };
  const partnerSignature = await signAgreement(partner, sharingDomain(CHAIN_ID, SHARING), proposal);
  seedAgreement(proposal.agreementId, { our_role: 'B', partner_org_id: 'STMARY2', valid_from: period.validFrom, valid_until: period.validUntil, our_signature: null, partner_signature: partnerSignature, status: 'proposed', chain_state: 'on-chain' });

  const credential = await signTestCredential(issuer, credentialDomain(CHAIN_ID, `0x${'c3'.repeat(20)}`));
  credentialId = storeCredential(db, credential);
}, 60_000);
afterAll(() => t?.cleanup());

const proposeInput = () => ({
  partnerOrgId: 'MERCY',
  partnerPublicKey: Wallet.createRandom().signingKey.compressedPublicKey,
  direction: 'outbound',
  categories: ['general'],
  purposes: ['TREAT'],
  validFrom: new Date(Date.now() - DAY * 1000).toISOString().slice(0, 10),
  validUntil: new Date(Date.now() + 30 * DAY * 1000).toISOString().slice(0, 10),
  documentHash: 'ef'.repeat(32),
});

const ATTACKS: [string, () => Promise<unknown> | unknown, Principal][] = [
  ['sync.now', () => ({}), admin],
  ['sync.pause', () => ({}), admin],
  ['sync.resume', () => ({}), admin],
  ['signer.seal', () => ({ passphrase: 'keystore phrase' }), admin],
  ['signer.forget', () => ({}), admin],
  ['sharing.propose', proposeInput, manager],
  ['sharing.sign', () => ({ id: `0x${'b2'.repeat(32)}` }), manager],
  ['sharing.request', () => ({ partnerOrgId: 'STMARY', patientId, category: 'general', purpose: 'TREAT' }), manager],
  ['sharing.terminate', () => ({ id: `0x${'a1'.repeat(32)}`, reason: 'contract ended' }), manager],
  [
    'credentials.setStatus',
    async () => ({ credentialId, status: 'revoked', reason: 'licence surrendered', issuerSignature: await issuerStatusSignatureFor(issuer, credentialById(t.db, credentialId)!, 'revoked', new Date()) }),
    manager,
  ],
  ['audit.batchNow', () => ({}), admin],
];

describe('a call whose audit entry cannot be written does not act', () => {
  it.each(ATTACKS)('%s: refused with AUDIT_WRITE_FAILED; nothing sent, queued, released or changed; then, mended, it acts', async (channel, input, who) => {
    const before = effects();
    refuseEntriesOf(channel);
    try {
      const r = await dispatch(channel, await input(), { transport: 'electron', principal: who });
      expect(r.ok ? 'ok' : r.error.code).toBe('AUDIT_WRITE_FAILED');
    } finally {
      mend();
    }
    expect(effects()).toEqual(before);

    // Mended, the same call takes effect, with its entry.
    const r = await dispatch(channel, await input(), { transport: 'electron', principal: who });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(count('SELECT count(*) FROM audit_log WHERE action = ?', channel)).toBe(1);
    expect(effects()).not.toEqual(before);
  });

  it('a permitted release names the package hash in the call’s entry before the file exists', () => {
    const entry = t.db.prepare(`SELECT subject, details FROM audit_log WHERE action = 'sharing.request'`).get() as { subject: string; details: string };
    const request = t.db.prepare('SELECT decision, released_hash, released_file FROM sharing_release_requests').get() as { decision: string; released_hash: string; released_file: string };
    expect(request.decision).toBe('permit');
    expect(JSON.parse(entry.details).sha256).toBe(request.released_hash);
    expect(fs.existsSync(request.released_file)).toBe(true);
  });
});
