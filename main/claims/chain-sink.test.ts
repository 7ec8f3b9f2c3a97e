// The claims side of the puller on a real SQLite file: recorded and decided statuses land on the passing claim with
// that salted commitment (never matched by the bare content hash), unknown hashes are counted, a reorg falls back to the newest remaining event; and a chain
// without a ClaimsLedger address reads as "not configured" (config and API), not as an error.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testData, type TestData } from '../consents/test-support';
import { loadConfig } from '../runtime/config';
import { silentLogger } from '../runtime/log';
import { startServices } from '../compose/services';
import { SqlClaimSink } from './chain-sink';
import { insertClaim, type ClaimRow } from './store';
import { sealReasonCode } from './outbox-events';
import { reasonCodeBytes } from './payer';

let t: TestData;
beforeEach(() => {
  t = testData('custodian-claims-sink-');
});
afterEach(() => t.cleanup());

const HASH = `0x${'aa'.repeat(32)}`;
function storeClaim(claimId: string, contentHash: string, verdict: 'pass' | 'fail'): void {
  insertClaim(
    t.db,
    { claimId, facility: 'GH01', mrn: 'M1', renderingNpi: '1234567893', payerId: 'P', serviceDate: '2026-01-02', codes: ['99213'], amountCents: 100, contentHash },
    { verdict, reasons: verdict === 'pass' ? [] : [{ code: 'INVALID_AMOUNT', message: 'x' }] },
    { source: 'import', importRunId: null, sourceRow: null, checkedBy: 'me', patientId: null },
    'now',
  );
}
const claim = (id: string) => t.db.prepare(`SELECT chain_status, chain_reason, chain_block FROM claims WHERE claim_id = ?`).get(id) as Pick<ClaimRow, 'chain_status' | 'chain_reason' | 'chain_block'>;
const saltOf = (id: string) => t.db.prepare(`SELECT chain_salt FROM claims WHERE claim_id = ?`).pluck().get(id) as string;
const commitment = (id: string) => (t.db.prepare(`SELECT chain_commitment FROM claims WHERE claim_id = ?`).get(id) as { chain_commitment: string }).chain_commitment;
function pulled(block: number, logIndex: number, name: string, subject: string, data: Record<string, unknown>): void {
  t.db.prepare(`INSERT INTO sync_chain_events (chain_id, block_number, log_index, block_hash, tx_hash, contract, name, batch_id, subject, data) VALUES (31337, ?, ?, '0xb', ?, 'ClaimsLedger', ?, NULL, ?, ?)`).run(block, logIndex, `0xt${block}`, name, subject, JSON.stringify(data));
}

describe('SqlClaimSink', () => {
  it('applies recorded then decided to the passing claim only, and counts hashes it does not know', () => {
    storeClaim('PASS', HASH, 'pass');
    storeClaim('FAILED-TWIN', HASH, 'fail');
    const KEY = commitment('PASS');
    expect(KEY).toMatch(/^0x[0-9a-f]{64}$/);
    expect(KEY).not.toBe(HASH);
    const sink = new SqlClaimSink(t.db);
    sink.claimRecorded({ claimHash: HASH, blockNumber: 9, txHash: '0xt9' }); // the bare content hash: not ours on chain
    expect(claim('PASS').chain_status).toBe('pending');
    sink.claimRecorded({ claimHash: KEY, blockNumber: 10, txHash: '0xt10' });
    expect(claim('PASS')).toEqual({ chain_status: 'recorded', chain_reason: null, chain_block: 10 });
    const sealed = sealReasonCode(saltOf('PASS'), reasonCodeBytes('CO-16'));
    expect(sealed).not.toBe(reasonCodeBytes('CO-16')); // masked on chain
    sink.claimStatusChanged({ claimHash: KEY, status: 'denied', sealedReason: sealed, blockNumber: 12, txHash: '0xt12' });
    expect(claim('PASS')).toEqual({ chain_status: 'denied', chain_reason: 'CO-16', chain_block: 12 });
    // A late re-delivery of the record does not undo the payer's answer.
    sink.claimRecorded({ claimHash: KEY, blockNumber: 10, txHash: '0xt10' });
    expect(claim('PASS').chain_status).toBe('denied');
    expect(claim('FAILED-TWIN').chain_status).toBe('not_sent');
    sink.claimRecorded({ claimHash: `0x${'bb'.repeat(32)}`, blockNumber: 13, txHash: '0xt13' });
    expect(sink.outcomes).toEqual({ recorded: 1, decided: 1, unknown: 3 });
  });

  it('after a reorg, falls back to the newest event left below the fork point, or to pending', () => {
    storeClaim('PASS', HASH, 'pass');
    const KEY = commitment('PASS');
    const sink = new SqlClaimSink(t.db);
    pulled(10, 0, 'ClaimRecorded', KEY, { claimHash: KEY });
    sink.claimRecorded({ claimHash: KEY, blockNumber: 10, txHash: '0xt10' });
    pulled(12, 0, 'ClaimStatusChanged', KEY, { status: 'accepted', sealedReason: `0x${'00'.repeat(8)}` });
    sink.claimStatusChanged({ claimHash: KEY, status: 'accepted', sealedReason: `0x${'00'.repeat(8)}`, blockNumber: 12, txHash: '0xt12' });
    // The fork drops block 12 (the mirror deletes its events first, as ChainMirror.rollbackAbove does).
    t.db.prepare(`DELETE FROM sync_chain_events WHERE block_number > 11`).run();
    sink.rolledBack(11);
    expect(claim('PASS')).toEqual({ chain_status: 'recorded', chain_reason: null, chain_block: 10 });
    // An event mirrored before reason codes were masked (clear reasonCode) still rolls back to its decision.
    pulled(11, 0, 'ClaimStatusChanged', KEY, { status: 'denied', reasonCode: 'CO-16' });
    t.db.prepare(`UPDATE claims SET chain_block = 12 WHERE claim_id = 'PASS'`).run(); // as if a dropped block 12 had set it
    sink.rolledBack(11);
    expect(claim('PASS')).toEqual({ chain_status: 'denied', chain_reason: 'CO-16', chain_block: 11 });
    t.db.prepare(`DELETE FROM sync_chain_events WHERE block_number > 5`).run();
    sink.rolledBack(5);
    expect(claim('PASS')).toEqual({ chain_status: 'pending', chain_reason: null, chain_block: null });
  });
});

describe('a chain without ClaimsLedger', () => {
  it('is a valid external configuration', () => {
    const env = { CUSTODIAN_RPC_URL: 'http://127.0.0.1:1', CUSTODIAN_CHAIN_ID: '1337', CUSTODIAN_CONTRACTS: JSON.stringify({ ConsentLedger: `0x${'1'.repeat(40)}`, AuditAnchor: `0x${'2'.repeat(40)}`, CredentialRegistry: `0x${'3'.repeat(40)}` }) };
    const config = loadConfig(t.dir, env);
    expect(config.chain.mode === 'external' && config.chain.contracts.ClaimsLedger).toBeUndefined();
  });

  it('reads as "not configured" with the number of claims waiting', async () => {
    // The console opens (and encrypts) the folder itself: this test's own plain connection must not hold it.
    t.db.close();
    const services = await startServices({ dataDir: t.dir, runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } } });
    try {
      insertClaim(
        services.db,
        { claimId: 'Q', facility: 'GH01', mrn: 'M1', renderingNpi: '1234567893', payerId: 'P', serviceDate: '2026-01-02', codes: ['99213'], amountCents: 100, contentHash: HASH },
        { verdict: 'pass', reasons: [] },
        { source: 'import', importRunId: null, sourceRow: null, checkedBy: 'me', patientId: null },
        'now',
      );
      const r = await services.call('claims.ledger', {}, { id: 'm', name: 'M', role: 'records_manager' });
      expect(r).toEqual({ ok: true, value: { configured: false, address: null, queued: 1 } });
    } finally {
      await services.stop();
    }
  });
});
