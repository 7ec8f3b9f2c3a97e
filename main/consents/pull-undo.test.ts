// The undo log of pulled consent changes on a real SQLite file: what the sink applied from blocks above a fork
// point is undone newest first, a row changed here since is kept, and old records are pruned.
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../db/connection';
import { STATUS_CODE } from './compact-columns';
import { CATEGORY_HASHES, granteeHashOf, PURPOSE_HASHES } from './outbox-events';
import { SqlConsentSink } from './consent-sink';
import { pseudonymOf, tempDir, TEST_PATIENTS } from '../sync/fixtures/chain';
import { workstation, writeConsent } from '../sync/fixtures/workstation';
import type { ChainConsentChange } from './chain-reader';
import { PATIENT_BY_PSEUDONYM, pseudonymBytes } from './patient-columns';

let dir: string;
let db: Db;
let sink: SqlConsentSink;
const CHAIN = 31337;
const base = { grantee: '1111111111', purpose: 'TREAT', category: 'general', decision: 'permit', revoked: false } as const;

beforeEach(() => {
  dir = tempDir('sync-pull-undo');
  db = workstation(dir, 'ws', [0, 1]);
  sink = new SqlConsentSink(db);
  writeConsent(db, 'local', { ...base, patient: 0, seq: 1 });
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The signer of another workstation of the facility: the writer of every pulled change here. */
const OTHER_WORKSTATION = '0x00000000000000000000000000000000000000b2';

function change(patient: number, seq: number, blockNumber: number, over: Partial<ChainConsentChange> = {}): ChainConsentChange {
  return {
    chainId: CHAIN,
    consentKey: `0x${'00'.repeat(32)}`,
    patientPseudonym: pseudonymOf(TEST_PATIENTS[patient]!),
    granteeKind: 'npi',
    grantee: base.grantee,
    granteeHash: granteeHashOf('npi', base.grantee).toLowerCase(),
    purposeHash: PURPOSE_HASHES.TREAT.toLowerCase(),
    categoryHash: CATEGORY_HASHES.general.toLowerCase(),
    documentHash: `0x${String(seq).padStart(64, '0')}`,
    decision: 'permit',
    revoked: false,
    validFrom: 1_700_000_000,
    validUntil: 0,
    hlc: BigInt(seq),
    writer: OTHER_WORKSTATION,
    prevHlc: 0n,
    blockNumber,
    blockHash: `0x${String(blockNumber).padStart(64, 'b')}`,
    logIndex: 0,
    txHash: `0x${'cc'.repeat(32)}`,
    batchId: null,
    ...over,
  };
}

const tables = () => ({ consents: db.prepare(`SELECT * FROM consents ORDER BY id`).all(), history: db.prepare(`SELECT * FROM consent_history ORDER BY id`).all() });
const inTx = <T>(fn: () => T): T => db.transaction(fn)();

describe('pulled consent changes: undo on reorg', () => {
  it('undoes several changes to one key newest first, back to the exact rows before', () => {
    const before = tables();
    expect(inTx(() => sink.apply(change(0, 2, 10, { decision: 'deny' })))).toBe('applied');
    expect(inTx(() => sink.apply(change(0, 3, 11, { decision: 'deny', documentHash: `0x${'02'.padStart(64, '0')}`, revoked: true })))).toBe('applied');
    expect(inTx(() => sink.apply(change(1, 1, 12)))).toBe('applied');
    expect(db.prepare(`SELECT count(*) FROM consents`).pluck().get()).toBe(3);
    const report = inTx(() => sink.rollBackAbove(CHAIN, 9));
    expect(report).toEqual({ undone: 3, kept: 0 });
    expect(tables()).toEqual(before);
  });

  it('only undoes blocks above the fork point, and only of its chain', () => {
    inTx(() => sink.apply(change(0, 2, 10, { decision: 'deny' })));
    const atTen = tables();
    inTx(() => sink.apply(change(1, 1, 12)));
    expect(inTx(() => sink.rollBackAbove(CHAIN + 1, 9))).toEqual({ undone: 0, kept: 0 });
    expect(inTx(() => sink.rollBackAbove(CHAIN, 10))).toEqual({ undone: 1, kept: 0 });
    expect(tables()).toEqual(atTen);
  });

  it('keeps a pulled row that was changed here since (a local revoke builds on it), and still undoes the rest', () => {
    inTx(() => sink.apply(change(0, 2, 10, { decision: 'deny' })));
    inTx(() => sink.apply(change(1, 1, 11)));
    // A clerk revokes patient 0's pulled row locally: its seq moves on and it gets its own history.
    const row = db.prepare(`SELECT id, seq FROM consents WHERE status = 'active' AND decision = 'deny'`).get() as { id: number; seq: number };
    db.prepare(`UPDATE consents SET status_code = ${STATUS_CODE.revoked}, seq = ?, revoked_reason = 'patient request', updated_ms = NULL, updated_text = 'later' WHERE id = ?`).run(row.seq + 1, row.id);
    db.prepare(`INSERT INTO consent_history (consent_id, action, actor, at, detail) VALUES (?, 'revoke', 'clerk', 'later', NULL)`).run(row.id);
    const report = inTx(() => sink.rollBackAbove(CHAIN, 9));
    expect(report).toEqual({ undone: 1, kept: 1 });
    expect(db.prepare(`SELECT status, seq FROM consents WHERE id = ?`).get(row.id)).toEqual({ status: 'revoked', seq: 3 });
    // Patient 1's first row, untouched here since, is gone; the log is empty either way.
    const p1 = db.prepare(PATIENT_BY_PSEUDONYM).pluck().get(pseudonymBytes(pseudonymOf(TEST_PATIENTS[1]!)));
    expect(db.prepare(`SELECT count(*) FROM consents WHERE patient_id = ?`).pluck().get(p1)).toBe(0);
    expect(db.prepare(`SELECT count(*) FROM sync_pulled_consent_changes`).pluck().get()).toBe(0);
  });

  it('a revoke in place is restored to the status, seq and reason it had', () => {
    const before = tables();
    expect(inTx(() => sink.apply(change(0, 2, 10, { revoked: true, documentHash: (db.prepare(`SELECT document_hash FROM consents`).pluck().get() as string) })))).toBe('applied');
    expect(db.prepare(`SELECT count(*) FROM consents`).pluck().get()).toBe(1);
    expect(db.prepare(`SELECT status, seq FROM consents`).get()).toEqual({ status: 'revoked', seq: 2 });
    expect(inTx(() => sink.rollBackAbove(CHAIN, 9))).toEqual({ undone: 1, kept: 0 });
    expect(tables()).toEqual(before);
  });

  it('prunes records below the rollback window', () => {
    inTx(() => sink.apply(change(0, 2, 10, { decision: 'deny' })));
    inTx(() => sink.apply(change(1, 1, 600)));
    sink.prune(CHAIN, 100);
    expect(db.prepare(`SELECT block_number FROM sync_pulled_consent_changes`).pluck().all()).toEqual([600]);
  });
});
