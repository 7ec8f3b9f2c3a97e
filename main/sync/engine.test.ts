// The sync engine end to end against a real anvil: batching, sending, confirmations, the pull mirror, payload
// validation, pause/resume, and the PHI check over every transaction sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbiCoder, Contract, Wallet } from 'ethers';
import path from 'node:path';
import { loadArtifact } from '../chain/artifacts';
import type { SyncState } from '../api/events';
import type { Db } from '../db/connection';
import { consentOpOf } from '../consents/sync-plugin';
import { unpackState } from '../consents/consent-state';
import { DEVNET_SIGNER_KEY } from '../chain/devnet';
import {
  auditRootPayload,
  credentialPayload,
  enqueue,
  enqueueConsents,
  openTestDb,
  outboxStates,
  plantOutboxRow,
  registerIssuer,
  startTestChain,
  tempDir,
  testEngine,
  TEST_PATIENTS,
  TEST_SEALER,
  TEST_TRAIL_ID,
  type TestChain,
} from './fixtures/chain';
import { CalldataRecorder, phiFindings } from './fixtures/phi';
import { foldKeyLogs } from '../consents/ledger-state';

let chain: TestChain;
let dir: string;
const recorder = new CalldataRecorder();

beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('sync-engine');
});
afterAll(async () => {
  await chain?.stop();
});

function fresh(name: string): Db {
  return openTestDb(path.join(dir, `${name}.sqlite`));
}

describe('sync engine', () => {
  it('batches, sends and confirms consent changes, credential statuses and audit roots, exactly once', async () => {
    const db = fresh('basic');
    const issuer = Wallet.createRandom();
    await registerIssuer(chain, issuer.address);
    enqueueConsents(db, 45);
    enqueue(db, 'credential.status', [credentialPayload(1, issuer, chain), credentialPayload(2, issuer, chain, 'suspended')]);
    const first = auditRootPayload(1);
    const second = auditRootPayload(2);
    enqueue(db, 'audit.root', [first.json, second.json]);
    const states: string[] = [];
    const engine = testEngine(db, chain, { onBroadcast: recorder.record, emit: (s) => states.push(s.state), limits: { maxItems: { 'consent.change': 20 } } });
    const report = await engine.runUntilDrained(60_000);
    expect(report.failure).toBeUndefined();
    expect(outboxStates(db)).toEqual({ confirmed: 49 });
    const batches = db.prepare(`SELECT kind, state, event_count, gas_used FROM sync_batches ORDER BY rowid`).all() as { kind: string; state: string; event_count: number; gas_used: number }[];
    expect(batches.map((b) => [b.kind, b.event_count, b.state])).toEqual([
      ['consent.change', 20, 'confirmed'],
      ['consent.change', 20, 'confirmed'],
      ['consent.change', 5, 'confirmed'],
      ['credential.status', 2, 'confirmed'],
      ['audit.root', 1, 'confirmed'],
      ['audit.root', 1, 'confirmed'],
    ]);
    expect(states).toEqual(expect.arrayContaining(['sending', 'sent', 'confirmed']));

    // The chain holds what the outbox said, and the mirror pulled it back.
    const ledger = new Contract(chain.contracts.ConsentLedger, loadArtifact('ConsentLedger').abi, chain.provider);
    const payloads = (db.prepare(`SELECT payload FROM outbox_events WHERE kind = 'consent.change'`).all() as { payload: string }[]).map((r) => JSON.parse(r.payload));
    for (const p of payloads.slice(0, 5)) {
      const { opKey } = consentOpOf(p, TEST_SEALER);
      const { state } = await foldKeyLogs(chain.provider, ledger.target as string, TEST_SEALER.facilityId, opKey);
      expect(state).toMatchObject({ hlc: BigInt(`0x${p.hlc}`), revoked: p.revoked, writer: new Wallet(DEVNET_SIGNER_KEY).address.toLowerCase() });
    }
    expect((db.prepare(`SELECT count(*) AS n FROM sync_chain_consents`).get() as { n: number }).n).toBe(45);
    expect((db.prepare(`SELECT count(*) AS n FROM sync_chain_credentials`).get() as { n: number }).n).toBe(2);
    expect(db.prepare(`SELECT trail_id, merkle_root, leaf_count, anchor_index FROM sync_chain_audit_roots ORDER BY anchor_index`).all()).toEqual([
      { trail_id: TEST_TRAIL_ID, merkle_root: first.root, leaf_count: first.treeSize, anchor_index: 0 },
      { trail_id: TEST_TRAIL_ID, merkle_root: second.root, leaf_count: second.treeSize, anchor_index: 1 },
    ]);
    await engine.stop();
    db.close();
  });

  it('fails an event whose payload carries anything but pseudonyms and codes, and never sends it', async () => {
    const db = fresh('invalid');
    const [ok] = enqueueConsents(db, 1, 500);
    const leaky = JSON.parse(db.prepare(`SELECT payload FROM outbox_events WHERE id = ?`).pluck().get(ok) as string) as Record<string, unknown>;
    const leak = JSON.stringify({ ...leaky, name: TEST_PATIENTS[0]!.name, mrn: TEST_PATIENTS[0]!.mrn });
    // The one writer refuses it when written, naming the kind and the fields, never the values...
    expect(() => enqueue(db, 'consent.change', [leak])).toThrow(/consent\.change outbox event was refused when written: .*unexpected field\(s\) name, mrn/);
    // ...and a row that got past it (a hand edit of the database) is still never sent.
    const bad = plantOutboxRow(db, 'consent.change', leak);
    const states: SyncState[] = [];
    const engine = testEngine(db, chain, { onBroadcast: recorder.record, emit: (st) => states.push(st) });
    await engine.runUntilDrained(30_000);
    // The sender says so itself (reason 'payload'), naming the event and field, never the value.
    const payloadStates = states.filter((st) => st.state === 'failed' && st.reason === 'payload');
    expect(payloadStates).toEqual([
      { state: 'failed', batchId: null, reason: 'payload', message: expect.stringMatching(new RegExp(`^1 outbox event\\(s\\) failed the chain payload check and will not be sent; first: outbox event ${bad} \\(consent\\.change\\): .*unexpected field\\(s\\) name, mrn`)) },
    ]);
    expect(JSON.stringify(states)).not.toContain(TEST_PATIENTS[0]!.mrn);
    const row = db.prepare(`SELECT state, last_error FROM outbox WHERE id = ?`).get(bad) as { state: string; last_error: string };
    expect(row.state).toBe('failed');
    expect(row.last_error).toMatch(/SYNC_PAYLOAD_INVALID: .*unexpected field\(s\) name, mrn/);
    expect(row.last_error).not.toContain(TEST_PATIENTS[0]!.name);
    expect(db.prepare(`SELECT state FROM outbox WHERE id = ?`).pluck().get(ok)).toBe('confirmed');
    await engine.stop();
    db.close();
  });

  it("reports a signing key that cannot be unlocked as reason 'signer', and retries", async () => {
    const db = fresh('signer');
    enqueueConsents(db, 1, 700);
    const states: SyncState[] = [];
    let unlocks = 0;
    const engine = testEngine(db, chain, {
      emit: (st) => states.push(st),
      signer: async () => {
        unlocks++;
        throw new Error('Set CUSTODIAN_KEYSTORE_PASSPHRASE to unlock the keystore at /keys/timeout.json.');
      },
    });
    const report = await engine.syncNow();
    expect(report.outcome).toBe('failed');
    expect(report.failure).toMatchObject({ subtype: 'signer', code: 'SYNC_SIGNER_UNAVAILABLE', transient: true });
    expect(states.at(-1)).toEqual({ state: 'failed', batchId: null, reason: 'signer', message: 'The signing key is not available: Set CUSTODIAN_KEYSTORE_PASSPHRASE to unlock the keystore at /keys/timeout.json.' });
    await engine.syncNow();
    expect(unlocks).toBe(2);
    expect(outboxStates(db)).toEqual({ pending: 1 });
    await engine.stop();
    db.close();
  });

  it('pauses and resumes', async () => {
    const db = fresh('pause');
    enqueueConsents(db, 3, 900);
    const engine = testEngine(db, chain, { onBroadcast: recorder.record });
    engine.pause();
    expect((await engine.syncNow()).outcome).toBe('paused');
    expect(engine.state).toEqual({ state: 'paused', pending: 3 });
    engine.resume();
    await engine.runUntilDrained(30_000);
    expect(outboxStates(db)).toEqual({ confirmed: 3 });
    await engine.stop();
    db.close();
  });

  it('PHI check: no MRN, name or birth date of a test patient in any calldata sent (and the check can see one)', () => {
    expect(recorder.raws.length).toBeGreaterThan(5);
    expect(recorder.findings(TEST_PATIENTS)).toEqual([]);
    // Negative control: the detector finds a name hidden as an ABI string, as base64 and as a birth date number.
    const p = TEST_PATIENTS[1]!;
    const leak = `0x12345678${AbiCoder.defaultAbiCoder().encode(['string', 'string', 'uint256'], [p.name, Buffer.from(p.mrn).toString('base64'), 19900214n]).slice(2)}`;
    expect(phiFindings(leak, [p]).map((f) => f.what)).toEqual(expect.arrayContaining([`utf8/ascii/abi-string "${p.name}"`, `base64 "${p.mrn}"`, 'birth date as YYYYMMDD']));
  });
});
