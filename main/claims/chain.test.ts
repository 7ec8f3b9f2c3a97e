// The claims round trip on a real anvil: passing claims go out as one ClaimsLedger batch (no PHI in the calldata),
// the puller marks them recorded, a payer accepts one and denies another, and the statuses come back to the
// claims table. Without a ClaimsLedger address claims stay queued while other kinds still go out.
import { hexlify, toUtf8Bytes, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVNET_SIGNER_KEY } from '../chain/devnet';
import { testData, type TestData } from '../consents/test-support';
import { consentPayload, enqueue, startTestChain, testEngine, TEST_PATIENTS, type TestChain } from '../sync/fixtures/chain';
import { CalldataRecorder } from '../sync/fixtures/phi';
import { SqlClaimSink } from './chain-sink';
import { runClaimImport } from './pipeline';
import { claimCommitmentOf } from './outbox-events';
import { payerDecide, registerPayer } from './payer';
import { setPayerAddress } from './payers';
import { createClaimImportRun } from './runs';
import type { ClaimRow } from './store';
import { claimRow, NPIS, PAYER, PAYER_ADDRESS, seedPatient, seedPaymentConsent, seedProvider, writeClaimsCsv } from './test-support';

/** Anvil's public dev account #1: the payer on this local test chain only. */
const PAYER_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

let chain: TestChain;
beforeAll(async () => {
  chain = await startTestChain();
});
afterAll(async () => {
  await chain?.stop();
});

async function importClaims(t: TestData, ids: string[]): Promise<void> {
  setPayerAddress(t.db, PAYER, PAYER_ADDRESS);
  for (const p of TEST_PATIENTS) seedPaymentConsent(t.db, seedPatient(t.db, t.pseudonymizer, p.facility, p.mrn), PAYER);
  seedProvider(t.db, NPIS.verified, { verdict: 'verified' });
  const rows = ids.map((id, i) => {
    const p = TEST_PATIENTS[i % TEST_PATIENTS.length]!;
    return claimRow({ claim_id: id, facility: p.facility, mrn: p.mrn, service_date: `2026-06-0${i + 1}`, amount: `${100 + i}.00` });
  });
  const file = writeClaimsCsv(t.dir, 'claims.csv', rows);
  const runId = createClaimImportRun(t.db, { filePath: file, fileName: 'claims.csv', fileSize: 1, startedBy: 'tester' });
  const result = await runClaimImport(t.db, runId, { checkpoint: null, saveCheckpoint: () => undefined, report: () => undefined, cancelled: false }, { dataDir: t.dir, now: () => new Date('2026-12-04T00:00:00Z') });
  expect(result.passed).toBe(ids.length);
}

const statusOf = (t: TestData) =>
  Object.fromEntries((t.db.prepare(`SELECT claim_id, chain_status, chain_reason FROM claims`).all() as ClaimRow[]).map((c) => [c.claim_id, [c.chain_status, c.chain_reason]]));

describe('claims on chain', () => {
  it('records passing claims by hash, and the payer answer round-trips through the puller', async () => {
    const t = testData('custodian-claims-chain-');
    try {
      await importClaims(t, ['CLM-A', 'CLM-B', 'CLM-C']);
      const recorder = new CalldataRecorder();
      const sink = new SqlClaimSink(t.db);
      const engine = testEngine(t.db, chain, { claimSink: sink, onBroadcast: recorder.record });
      try {
        expect((await engine.runUntilDrained(60_000)).outcome).not.toBe('failed');
        expect(statusOf(t)).toEqual({ 'CLM-A': ['recorded', null], 'CLM-B': ['recorded', null], 'CLM-C': ['recorded', null] });
        expect(recorder.raws).toHaveLength(1); // one batch for the three claims

        // No PHI and no identifier of the claim in the calldata: MRNs, names, birth dates (the sync suite's
        // check), and the claim ids, NPI and payer id as text.
        expect(recorder.findings(TEST_PATIENTS)).toEqual([]);
        const data = recorder.calldata().map((c) => c.data.toLowerCase()).join('');
        for (const text of ['CLM-A', NPIS.verified, PAYER, '99213']) expect(data).not.toContain(hexlify(toUtf8Bytes(text)).slice(2));

        // The chain holds salted commitments: the bare content hashes (what a dictionary of codes would find) are
        // nowhere in the calldata; the payer gets each commitment and its salt off chain.
        const rows = t.db.prepare(`SELECT claim_id, content_hash, chain_commitment, chain_salt FROM claims`).all() as ClaimRow[];
        for (const r of rows) {
          expect(data).not.toContain(r.content_hash.slice(2));
          expect(claimCommitmentOf(r.chain_salt!, r.content_hash)).toBe(r.chain_commitment);
          expect(data).toContain(r.chain_commitment!.slice(2));
        }
        const hashes = Object.fromEntries(rows.map((c) => [c.claim_id, { claimHash: c.chain_commitment!, salt: c.chain_salt! }]));
        const target = { provider: chain.provider, ledger: chain.contracts.ClaimsLedger! };
        // Not yet a registered payer: refused by the contract with its named error.
        await expect(payerDecide(target, PAYER_KEY, hashes['CLM-A']!, 'accepted')).rejects.toThrow(/NotClaimPayer/);
        await registerPayer(target, DEVNET_SIGNER_KEY, new Wallet(PAYER_KEY).address);
        // Attacker: another registered payer that holds the claim's salt (copied from the first payer's pending
        // transaction, say) still cannot decide it: the payer commitment binds the addressed payer's own address.
        const otherPayerKey = Wallet.createRandom().privateKey;
        await registerPayer(target, DEVNET_SIGNER_KEY, new Wallet(otherPayerKey).address);
        await chain.control.setBalance(new Wallet(otherPayerKey).address, 100n * 10n ** 18n);
        await expect(payerDecide(target, otherPayerKey, hashes['CLM-A']!, 'accepted')).rejects.toThrow(/NotClaimPayer/);
        // The right payer with a wrong salt opens nothing either.
        await expect(payerDecide(target, PAYER_KEY, { ...hashes['CLM-A']!, salt: hashes['CLM-B']!.salt }, 'accepted')).rejects.toThrow(/NotClaimPayer/);
        await payerDecide(target, PAYER_KEY, hashes['CLM-A']!, 'accepted');
        const denial = await payerDecide(target, PAYER_KEY, hashes['CLM-B']!, 'denied', 'co-16');
        // The reason code is masked on chain: "CO-16" is nowhere in the payer's transaction.
        const denialTx = await chain.provider.getTransaction(denial.txHash);
        expect(denialTx!.data.toLowerCase()).not.toContain(hexlify(toUtf8Bytes('CO-16')).slice(2));
        await expect(payerDecide(target, PAYER_KEY, hashes['CLM-B']!, 'accepted')).rejects.toThrow(/ClaimAlreadyDecided/);
        await expect(payerDecide(target, PAYER_KEY, hashes['CLM-C']!, 'denied')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });

        await engine.syncNow();
        expect(statusOf(t)).toEqual({ 'CLM-A': ['accepted', null], 'CLM-B': ['denied', 'CO-16'], 'CLM-C': ['recorded', null] });
        expect(sink.outcomes).toMatchObject({ recorded: 3, decided: 2, unknown: 0 });
      } finally {
        await engine.stop();
      }
    } finally {
      t.cleanup();
    }
  }, 120_000);

  it('keeps claims queued when the chain has no ClaimsLedger address, and still sends other kinds', async () => {
    const t = testData('custodian-claims-noledger-');
    try {
      await importClaims(t, ['CLM-Q']);
      enqueue(t.db, 'consent.change', [consentPayload({}, 900)]);
      const { ClaimsLedger: _omitted, ...contracts } = chain.contracts;
      const engine = testEngine(t.db, { ...chain, contracts }, { claimSink: new SqlClaimSink(t.db) });
      try {
        await engine.runUntilDrained(30_000);
        const states = t.db.prepare(`SELECT kind, state FROM outbox ORDER BY id`).all();
        expect(states).toEqual([
          { kind: 'claim.record', state: 'pending' },
          { kind: 'consent.change', state: 'confirmed' },
        ]);
        expect(statusOf(t)).toEqual({ 'CLM-Q': ['pending', null] });
      } finally {
        await engine.stop();
      }
    } finally {
      t.cleanup();
    }
  }, 120_000);
});
