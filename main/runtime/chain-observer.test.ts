// Acceptance (issue #12, item 4): what an observer of the chain learns. One end-to-end run on a real node through
// the real engine (consents granted and revoked, a credential status, audit heads, a sharing agreement proposed,
// signed and terminated, claims recorded and decided by their payer) with known inputs; then every calldata word of
// every transaction in those blocks and every topic and data word of every event is tried against a dictionary of
// the inputs under every plausible unkeyed encoding (observer-dictionary.ts): zero hits. And no log filter on a
// patient's pseudonym finds anything. The dictionary's own test below shows it does find the old unkeyed payer hash.
import crypto from 'node:crypto';
import { AbiCoder, Interface, keccak256, Wallet, toUtf8Bytes, type Log } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProposeAgreementInput } from '../api/sharing';
import { loadArtifact } from '../chain/artifacts';
import { DEVNET_SIGNER_KEY } from '../chain/devnet';
import { SqlClaimSink } from '../claims/chain-sink';
import { payerDecide, registerPayer } from '../claims/payer';
import { setPayerAddress } from '../claims/payers';
import { runClaimImport } from '../claims/pipeline';
import { createClaimImportRun } from '../claims/runs';
import { claimRow, NPIS, seedPatient, seedPaymentConsent, seedProvider, writeClaimsCsv } from '../claims/test-support';
import { testData, type TestData } from '../consents/test-support';
import { credentialDigest, credentialDomain, type CredentialFields } from '../credentials/eip712';
import { issuerStatusSignatureFor, signedStatusOf, statusPayloadOf } from '../credentials/status-change';
import { packScope, scopePartsOf, type SharingPurpose } from '../sharing/terms';
import { sharingOrg } from '../sharing/test-support';
import { auditRootPayload, consentPayload, enqueue, pseudonymOf, registerIssuer, startTestChain, testEngine, TEST_PATIENTS, type ConsentSpec, type TestChain } from '../sync/fixtures/chain';
import { dictionaryHits, type DictionaryInput, type Observed } from './observer-dictionary';

/** Anvil's public dev account #1: the payer on this local test chain only. */
const PAYER_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const PAYER_ID = 'AETNA-60054';
const actor = { id: 'u1', name: 'Test Manager', role: 'records_manager' };
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** The claims of the run: a sensitive diagnosis (F11.20, opioid dependence) among them. */
const CLAIMS = [
  { claim_id: 'CLM-OPIOID-1', mrn: 'MRN-0042817', service_date: '2026-06-03', codes: 'H0020;F11.20', amount: '1234.56' },
  { claim_id: 'CLM-DIAB-2', mrn: '00731942', service_date: '2026-06-11', codes: '99213;E11.9', amount: '987.65' },
  { claim_id: 'CLM-HIV-3', mrn: 'MRN-0042817', service_date: '2026-07-21', codes: '87389;B20', amount: '4321.09' },
];
const CREDENTIAL: Omit<CredentialFields, 'issuer'> = { npi: '1477558911', credentialType: 'license', jurisdiction: 'US-MA', number: 'MD-2841-77', validFrom: '2024-03-01', validUntil: '2028-02-29' };

let chain: TestChain;
beforeAll(async () => {
  chain = await startTestChain();
});
afterAll(async () => {
  await chain?.stop();
});

/** Every transaction of blocks (from, to] as calldata, and every log those blocks emitted. */
async function observe(from: number, to: number): Promise<{ observed: Observed[]; logs: Log[] }> {
  const observed: Observed[] = [];
  for (let n = from + 1; n <= to; n++) {
    const block = await chain.provider.getBlock(n, true);
    for (const tx of block!.prefetchedTransactions) observed.push({ where: `tx ${tx.hash} to ${tx.to}`, calldata: tx.data });
  }
  const logs = await chain.provider.getLogs({ fromBlock: from + 1, toBlock: to });
  for (const l of logs) observed.push({ where: `log ${l.transactionHash}#${l.index} of ${l.address}`, topics: l.topics, data: l.data });
  return { observed, logs };
}

function organisation(name: string, orgId: string) {
  const org = sharingOrg(`observer-${name}`, orgId, () => ({ chainId: chain.chainId, contract: chain.contracts.SharingAgreements! }));
  return { ...org, engine: testEngine(org.db, chain, org.syncOptions) };
}

describe('an observer of the chain', () => {
  it('learns nothing of who, what or when from any calldata word or event field of an end-to-end run', async () => {
    const start = await chain.provider.getBlockNumber();
    const inputs: DictionaryInput[] = [];
    const add = (kind: DictionaryInput['kind'], ...values: string[]) => values.forEach((value) => inputs.push({ kind, value }));
    const t: TestData = testData('custodian-observer-');
    const a = organisation('a', 'GENHOSP');
    const b = organisation('b', 'STMARY');
    try {
      // Consents: grants to NPIs and organisations for several purposes and categories, then a revoke.
      const consentSpecs: ConsentSpec[] = [
        { patient: 0, purpose: 'TREAT', category: 'mental-health', validFrom: 1_767_225_600, validUntil: 1_798_761_600 },
        { patient: 0, purpose: 'HPAYMT', category: 'HIV', grantee: PAYER_ID },
        { patient: 1, purpose: 'HRESCH', category: 'genetic' },
        { patient: 2, purpose: 'HOPERAT', category: 'general' },
      ];
      enqueue(t.db, 'consent.change', consentSpecs.map((s, i) => consentPayload(s, i)));
      consentSpecs.forEach((s, i) => add(s.grantee ? 'payer' : 'npi', s.grantee ?? `${1_000_000_000 + i}`));
      add('purpose', 'TREAT', 'HPAYMT', 'HRESCH', 'HOPERAT');
      add('category', 'mental-health', 'HIV', 'genetic', 'general', 'substance-use', 'reproductive');
      add('date', '2026-01-01', '2027-01-01', '2023-11-14');
      // A credential status, signed by its issuer for the credential's EIP-712 hash.
      const issuer = Wallet.createRandom();
      await registerIssuer(chain, issuer.address);
      const fields: CredentialFields = { ...CREDENTIAL, issuer: issuer.address };
      const credentialHash = credentialDigest(credentialDomain(chain.chainId, chain.contracts.CredentialRegistry), fields);
      // The issuer tool's signature and the console's checked payload, as `credentials status` makes them.
      const row = { credential_hash: credentialHash, issuer: issuer.address, chain_id: chain.chainId, registry: chain.contracts.CredentialRegistry, valid_until: CREDENTIAL.validUntil };
      const status = statusPayloadOf(signedStatusOf(row, 'active', await issuerStatusSignatureFor(issuer, row, 'active', new Date()), new Date()));
      enqueue(t.db, 'credential.status', [JSON.stringify(status)]);
      add('npi', CREDENTIAL.npi);
      add('credential', CREDENTIAL.number, CREDENTIAL.jurisdiction);
      add('date', CREDENTIAL.validFrom, CREDENTIAL.validUntil);
      // Audit heads.
      enqueue(t.db, 'audit.root', [auditRootPayload(1).json]);
      enqueue(t.db, 'audit.root', [auditRootPayload(2).json]);
      // Claims through the real import (pre-check, salt, commitment) for a payer whose address this facility knows.
      setPayerAddress(t.db, PAYER_ID, new Wallet(PAYER_KEY).address);
      for (const p of TEST_PATIENTS) seedPaymentConsent(t.db, seedPatient(t.db, t.pseudonymizer, 'GH01', p.mrn), PAYER_ID);
      seedProvider(t.db, NPIS.verified, { verdict: 'verified' });
      const file = writeClaimsCsv(t.dir, 'claims.csv', CLAIMS.map((c) => claimRow({ ...c, facility: 'GH01', payer_id: PAYER_ID })));
      const runId = createClaimImportRun(t.db, { filePath: file, fileName: 'claims.csv', fileSize: 1, startedBy: 'tester' });
      const imported = await runClaimImport(t.db, runId, { checkpoint: null, saveCheckpoint: () => undefined, report: () => undefined, cancelled: false }, { dataDir: t.dir, now: () => new Date('2026-12-04T00:00:00Z') });
      expect(imported.passed).toBe(CLAIMS.length);
      add('npi', NPIS.verified);
      add('payer', PAYER_ID);
      add('org', 'GH01', 'GENHOSP', 'STMARY');
      for (const c of CLAIMS) {
        add('claim', c.claim_id);
        add('date', c.service_date);
        add('amount', c.amount);
        add('code', ...c.codes.split(';'));
      }
      for (const p of TEST_PATIENTS) {
        add('mrn', p.mrn);
        add('date', p.birthDate);
        add('pseudonym', pseudonymOf(p), t.pseudonymizer.pseudonym('GH01', p.mrn));
      }

      const engine = testEngine(t.db, chain, { claimSink: new SqlClaimSink(t.db) });
      try {
        expect((await engine.runUntilDrained(90_000)).outcome).not.toBe('failed');
        expect(t.db.prepare(`SELECT state, count(*) AS n FROM outbox GROUP BY state`).all()).toEqual([{ state: 'confirmed', n: 10 }]);
        // The payer decides, with the salts the facility handed over off chain.
        const target = { provider: chain.provider, ledger: chain.contracts.ClaimsLedger! };
        await registerPayer(target, DEVNET_SIGNER_KEY, new Wallet(PAYER_KEY).address);
        const claims = t.db.prepare(`SELECT claim_id, chain_commitment AS claimHash, chain_salt AS salt FROM claims ORDER BY id`).all() as { claim_id: string; claimHash: string; salt: string }[];
        await payerDecide(target, PAYER_KEY, claims[0]!, 'denied', 'CO-50');
        await payerDecide(target, PAYER_KEY, claims[1]!, 'accepted');
        await engine.syncNow();
        expect(t.db.prepare(`SELECT claim_id, chain_status, chain_reason FROM claims ORDER BY id`).all()).toEqual([
          { claim_id: 'CLM-OPIOID-1', chain_status: 'denied', chain_reason: 'CO-50' },
          { claim_id: 'CLM-DIAB-2', chain_status: 'accepted', chain_reason: null },
          { claim_id: 'CLM-HIV-3', chain_status: 'recorded', chain_reason: null },
        ]);
        add('code', 'CO-50');
        // The revoke of the first grant, in a later transaction of its own.
        enqueue(t.db, 'consent.change', [consentPayload({ ...consentSpecs[0]!, seq: 2, revoked: true }, 0)]);
        expect((await engine.runUntilDrained(60_000)).outcome).not.toBe('failed');
      } finally {
        await engine.stop();
      }

      // Sharing: A proposes to B, B pulls and signs, A terminates.
      const documentHash = crypto.createHash('sha256').update('signed paper agreement GENHOSP-STMARY 2026').digest('hex');
      const input: ProposeAgreementInput = { partnerOrgId: 'STMARY', partnerPublicKey: b.publicKey, direction: 'outbound', categories: ['mental-health', 'HIV'], purposes: ['TREAT', 'HRESCH'], validFrom: day(-1), validUntil: day(180), documentHash };
      const proposed = await a.service.propose(input, actor);
      expect((await a.engine.runUntilDrained(60_000)).outcome).not.toBe('failed');
      await b.engine.runUntilDrained(60_000);
      await b.service.sign(proposed.id, actor);
      expect((await b.engine.runUntilDrained(60_000)).outcome).not.toBe('failed');
      await a.engine.syncNow();
      await a.service.terminate(proposed.id, 'ended', actor);
      expect((await a.engine.runUntilDrained(60_000)).outcome).not.toBe('failed');
      add('date', input.validFrom, input.validUntil);
      add('document', `0x${documentHash}`);
      // The scope word the old contract carried (direction, purpose and category masks), as a uint and hashed.
      add('category', String(packScope(scopePartsOf({ direction: input.direction, purposes: input.purposes as SharingPurpose[], categories: input.categories }))));

      const { observed, logs } = await observe(start, await chain.provider.getBlockNumber());
      // Every kind left its mark (the run is not vacuous): ten outbox rows and a revoke, the payer's two decisions, the sharing trio.
      const names = new Set(logs.map((l) => eventName(l)).filter(Boolean));
      for (const n of ['ClaimRecorded', 'ClaimStatusChanged', 'HeadAnchored', 'CredentialStatusChanged', 'AgreementProposed', 'AgreementSigned', 'AgreementTerminated']) expect(names).toContain(n);
      expect(observed.length).toBeGreaterThan(30);

      const hits = dictionaryHits(observed, inputs);
      // Nothing, SharingAgreements included: its proposal carries a salted commitment and the terms sealed to the
      // partner's key (before issue #12 item 4 it leaked both organisation codes, the period and the document hash).
      expect(hits).toEqual([]);
      // The partner read those terms all the same: its row has the period and document the proposer signed.
      const pulled = b.db.prepare(`SELECT partner_org_id, valid_from, valid_until, document_hash FROM sharing_agreements WHERE id = ?`).get(proposed.id);
      expect(pulled).toEqual({ partner_org_id: 'GENHOSP', valid_from: proposed.valid_from, valid_until: proposed.valid_until, document_hash: `0x${documentHash}` });

      // One log filter on a public value cannot list a patient's records: no topic holds a pseudonym, raw or hashed.
      for (const p of TEST_PATIENTS) {
        for (const pseudonym of [pseudonymOf(p), t.pseudonymizer.pseudonym('GH01', p.mrn)]) {
          for (const value of [pseudonym, keccak256(pseudonym), keccak256(toUtf8Bytes(pseudonym))]) {
            for (let position = 1; position <= 3; position++) {
              const topics: (string | null)[] = [null, null, null, null].slice(0, position + 1);
              topics[position] = value;
              expect(await chain.provider.getLogs({ fromBlock: start + 1, topics })).toEqual([]);
            }
          }
        }
      }
      // A filter on the payer's (public) address lists that payer's decisions, not a patient's records: the two
      // claims of one patient (CLM-OPIOID-1 decided, CLM-HIV-3 not) share no topic but the event signature.
      const payerTopic = `0x${'00'.repeat(12)}${new Wallet(PAYER_KEY).address.slice(2).toLowerCase()}`;
      const byPayer = await chain.provider.getLogs({ fromBlock: start + 1, topics: [null, null, payerTopic] });
      expect(byPayer.map(eventName).sort()).toEqual(['ClaimStatusChanged', 'ClaimStatusChanged']);
      const keyOf = (claimId: string) => (t.db.prepare(`SELECT chain_commitment FROM claims WHERE claim_id = ?`).pluck().get(claimId) as string).toLowerCase();
      const topicsOf = (key: string) => new Set(logs.filter((l) => l.topics.includes(key)).flatMap((l) => l.topics.slice(1)));
      const [first, second] = [topicsOf(keyOf('CLM-OPIOID-1')), topicsOf(keyOf('CLM-HIV-3'))];
      expect(first.size).toBeGreaterThan(0);
      expect([...first].filter((topic) => second.has(topic))).toEqual([]);
      // And no topic other than an account address links records of different transactions except a record's own
      // key (a consent key's grant and revoke, a claim's record and decision, an agreement's steps).
      const revokedKey = logs.filter((l) => eventName(l) === 'ConsentChanged').map((l) => l.topics[1]!);
      expect(revokedKey.length - new Set(revokedKey).size).toBe(1); // the grant and its revoke share the consent's key
      const ownKeyOnly = (topic: string) => logs.filter((l) => l.topics.includes(topic)).every((l) => eventName(l) === 'ConsentChanged');
      const byTopic = new Map<string, Set<string>>();
      for (const l of logs) for (const topic of l.topics.slice(1)) byTopic.set(topic, (byTopic.get(topic) ?? new Set()).add(l.transactionHash));
      const claimKeys = new Set(claims().map((c) => c.toLowerCase()));
      const linking = [...byTopic].filter(([topic, txs]) => txs.size > 1 && !/^0x0{24}/.test(topic) && !claimKeys.has(topic) && topic !== proposed.id.toLowerCase() && !ownKeyOnly(topic));
      expect(linking.map(([topic, txs]) => ({ topic, names: logs.filter((l) => l.topics.includes(topic)).map(eventName), txs: txs.size }))).toEqual([]);

      function claims(): string[] {
        return t.db.prepare(`SELECT chain_commitment FROM claims`).pluck().all() as string[];
      }
    } finally {
      for (const o of [a, b]) {
        await o.engine.stop();
        o.db.close();
      }
      t.cleanup();
    }
  }, 300_000);
});

const interfaces = ['ConsentLedger', 'AuditAnchor', 'CredentialRegistry', 'SharingAgreements', 'ClaimsLedger'].map((n) => new Interface(loadArtifact(n as 'ClaimsLedger').abi));
function eventName(l: Log): string | null {
  for (const i of interfaces) {
    const parsed = i.parseLog(l);
    if (parsed) return parsed.name;
  }
  return null;
}

describe('the observer dictionary', () => {
  it('can fail: it finds the unkeyed payer hash and the service day the ClaimsLedger v1 calldata carried', () => {
    // recordBatch(bytes32,(bytes32,bytes32,uint32)[]) as the sync engine encoded it before payer commitments.
    const v1 = new Interface(['function recordBatch(bytes32 batchId, (bytes32 claimHash, bytes32 payerHash, uint32 serviceDay)[] records)']);
    const calldata = v1.encodeFunctionData('recordBatch', [keccak256('0x01'), [[keccak256('0x02'), keccak256(toUtf8Bytes(`payer:${PAYER_ID}`)), 20_607]]]);
    const hits = dictionaryHits([{ where: 'v1', calldata }], [{ kind: 'payer', value: PAYER_ID }, { kind: 'date', value: '2026-06-03' }]);
    expect(hits.map((h) => h.encoding)).toEqual([`keccak256("payer:${PAYER_ID}")`, 'day number 20607']);
    // And an org code in clear, a pseudonym as a topic, an amount in cents.
    const pseudonym = keccak256('0x03');
    expect(dictionaryHits([{ where: 'log', topics: [keccak256('0x04'), pseudonym], data: AbiCoder.defaultAbiCoder().encode(['bytes32', 'uint256'], [`0x${Buffer.from('GENHOSP').toString('hex').padEnd(64, '0')}`, 123_456]) }], [
      { kind: 'pseudonym', value: pseudonym },
      { kind: 'org', value: 'GENHOSP' },
      { kind: 'amount', value: '1234.56' },
    ]).map((h) => h.encoding).sort()).toEqual(['bytes32 "GENHOSP"', 'cents 123456', 'raw hex', 'uint digits 123456', 'utf8 "GENHOSP"']);
  });
});
