// The claims import and dry check on a real SQLite file: a mixed file gives the right verdicts with every reason,
// bad rows are rejected naming row, column and reason, duplicate claim ids are refused, a re-import changes
// nothing, the outbox gets one hash-only event per passing claim, and the dry check predicts the import.
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testData, type TestData } from '../consents/test-support';
import { checkClaimsFile, runClaimImport, type ClaimImportControl, type RowOutcome } from './pipeline';
import { createClaimImportRun, getClaimImportRun } from './runs';
import type { ClaimRow } from './store';
import { setPayerAddress } from './payers';
import { claimRow, NPIS, PAYER, PAYER_ADDRESS, seedPatient, seedPaymentConsent, seedProvider, writeClaimsCsv } from './test-support';

let t: TestData;
const NOW = new Date('2026-12-04T12:00:00Z');

beforeEach(() => {
  t = testData('custodian-claims-');
  const p1 = seedPatient(t.db, t.pseudonymizer, 'GH01', 'MRN-1');
  seedPaymentConsent(t.db, p1, PAYER);
  const p2 = seedPatient(t.db, t.pseudonymizer, 'GH01', 'MRN-2');
  seedPaymentConsent(t.db, p2, PAYER, 'permit', 'revoked');
  seedProvider(t.db, NPIS.verified, { verdict: 'verified', validFrom: '2025-01-01', validUntil: '2027-12-31' });
  seedProvider(t.db, NPIS.revoked, { verdict: 'revoked' });
  setPayerAddress(t.db, PAYER, PAYER_ADDRESS);
});
afterEach(() => t.cleanup());

function control(checkpoint: unknown = null): ClaimImportControl & { saved: unknown[] } {
  const saved: unknown[] = [];
  return { checkpoint, saved, saveCheckpoint: (c) => saved.push(c), report: () => undefined, cancelled: false };
}

async function importFile(file: string, ctl = control()) {
  const runId = createClaimImportRun(t.db, { filePath: file, fileName: 'claims.csv', fileSize: fs.statSync(file).size, startedBy: 'tester' });
  const result = await runClaimImport(t.db, runId, ctl, { dataDir: t.dir, now: () => NOW });
  return { runId, result };
}

const claims = () => t.db.prepare(`SELECT * FROM claims ORDER BY id`).all() as ClaimRow[];
const reasonCodes = (claimId: string) => (JSON.parse(claims().find((c) => c.claim_id === claimId)!.reasons) as { code: string }[]).map((r) => r.code);

const MIXED = [
  claimRow({ claim_id: 'PASS-1' }),
  claimRow({ claim_id: 'PASS-2', codes: '99214', amount: '80.5' }),
  claimRow({ claim_id: 'NO-CONSENT', mrn: 'MRN-2' }),
  claimRow({ claim_id: 'UNKNOWN-PATIENT', mrn: 'MRN-404' }),
  claimRow({ claim_id: 'REVOKED-CRED', rendering_npi: NPIS.revoked, codes: '99215' }),
  claimRow({ claim_id: 'OUT-OF-DATES', service_date: '2024-03-01' }),
  claimRow({ claim_id: 'BAD-CODES', codes: '9921;J1;E11.9', amount: '0' }),
  claimRow({ claim_id: 'SAME-CONTENT' }), // same content as PASS-1 under another claim id
  claimRow({ claim_id: 'BAD-DATE', service_date: '2026-02-30' }),
  claimRow({ claim_id: '', amount: 'twelve' }),
  claimRow({ claim_id: 'PASS-1', amount: '999.00' }), // a second claim under an existing id
  claimRow({ claim_id: 'PASS-1' }), // the same claim again: an unchanged duplicate
];

describe('claims import', () => {
  it('gives each row its verdict with every reason, rejects bad rows by row and column, and queues passing claims', async () => {
    const file = writeClaimsCsv(t.dir, 'claims.csv', MIXED);
    const { runId, result } = await importFile(file);

    expect(result).toMatchObject({ rowsRead: 12, passed: 2, failed: 6, rejected: 3, duplicate: 1 });
    expect(getClaimImportRun(t.db, runId)).toMatchObject({ rows_read: 12, rejected: 3, counts: { rowsRead: 12, passed: 2, failed: 6, rejected: 3, duplicate: 1 }, outcome: 'succeeded' });
    expect(claims().map((c) => [c.claim_id, c.verdict, c.chain_status])).toEqual([
      ['PASS-1', 'pass', 'pending'],
      ['PASS-2', 'pass', 'pending'],
      ['NO-CONSENT', 'fail', 'not_sent'],
      ['UNKNOWN-PATIENT', 'fail', 'not_sent'],
      ['REVOKED-CRED', 'fail', 'not_sent'],
      ['OUT-OF-DATES', 'fail', 'not_sent'],
      ['BAD-CODES', 'fail', 'not_sent'],
      ['SAME-CONTENT', 'fail', 'not_sent'],
    ]);
    expect(reasonCodes('NO-CONSENT')).toEqual(['CONSENT_DENIED']);
    expect(claims().find((c) => c.claim_id === 'NO-CONSENT')!.reasons).toMatch(/revoked/);
    expect(reasonCodes('UNKNOWN-PATIENT')).toEqual(['CONSENT_DENIED']);
    expect(reasonCodes('REVOKED-CRED')).toEqual(['CREDENTIAL_NOT_VERIFIED']);
    expect(reasonCodes('OUT-OF-DATES')).toEqual(['CREDENTIAL_NOT_VALID_ON_SERVICE_DATE']);
    expect(reasonCodes('BAD-CODES')).toEqual(['MALFORMED_CODE', 'MALFORMED_CODE', 'INVALID_AMOUNT']);
    expect(reasonCodes('SAME-CONTENT')).toEqual(['DUPLICATE_CONTENT']);
    expect(claims()[1]!.amount_cents).toBe(8050);

    expect(result.sampleRejects.map((r) => r.reason)).toEqual([
      'row 9: service_date: expected a date as YYYY-MM-DD',
      'row 10: claim_id: the claim id is required; amount: expected an amount in dollars such as 125.00',
      expect.stringMatching(/^row 11: claim_id: DUPLICATE_CLAIM_ID: PASS-1 was already checked with different content/),
    ]);
    const rejects = fs.readFileSync(result.rejectsPath, 'utf8').trim().split('\r\n');
    expect(rejects).toHaveLength(4);
    // The original cells, then reject_row, reject_line, reject_reason (the same layout as every import's rejects).
    expect(rejects[0]).toBe('claim_id,facility,mrn,rendering_npi,payer_id,service_date,codes,amount,reject_row,reject_line,reject_reason');
    expect(rejects[1]).toMatch(/^BAD-DATE,GH01,MRN-1,.*,9,10,row 9: service_date/);

    // One event per passing claim: nothing of the claim but two salted commitments.
    const outbox = t.db.prepare(`SELECT kind, payload FROM outbox ORDER BY id`).all() as { kind: string; payload: string }[];
    expect(outbox.map((o) => o.kind)).toEqual(['claim.record', 'claim.record']);
    const payload = JSON.parse(outbox[0]!.payload) as Record<string, unknown>;
    expect(Object.keys(payload).sort()).toEqual(['claimHash', 'claimRowId', 'payerCommitment', 'v']);
    // The salted commitment, never the bare content hash (a dictionary of codes and amounts would reach that).
    expect(payload.claimHash).toBe(claims()[0]!.chain_commitment);
    expect(payload.claimHash).not.toBe(claims()[0]!.content_hash);
    expect(claims()[0]!.chain_salt).toMatch(/^0x[0-9a-f]{32}$/);
    for (const o of outbox) for (const phi of ['MRN-1', 'GH01', 'PASS-', NPIS.verified, PAYER, PAYER_ADDRESS.slice(2).toLowerCase(), '99213', '2026-06-01']) expect(o.payload.toLowerCase()).not.toContain(phi.toLowerCase());
  });

  it('is idempotent: importing the same file again stores nothing new and changes nothing', async () => {
    const file = writeClaimsCsv(t.dir, 'claims.csv', MIXED);
    await importFile(file);
    const before = JSON.stringify(claims());
    const outboxBefore = (t.db.prepare(`SELECT count(*) AS n FROM outbox`).get() as { n: number }).n;
    const { result } = await importFile(file);
    expect(result).toMatchObject({ rowsRead: 12, passed: 0, failed: 0, duplicate: 9, rejected: 3 });
    expect(JSON.stringify(claims())).toBe(before);
    expect((t.db.prepare(`SELECT count(*) AS n FROM outbox`).get() as { n: number }).n).toBe(outboxBefore);
  });

  it('resumes from a checkpoint without repeating committed rows', async () => {
    const rows = Array.from({ length: 1_200 }, (_, i) => claimRow({ claim_id: `R-${i}`, amount: `${i + 1}.00` }));
    const file = writeClaimsCsv(t.dir, 'big.csv', rows);
    // Interrupted after its first committed chunk (a cancel: the run row and checkpoint agree, as after a kill).
    const saved: unknown[] = [];
    const first: ClaimImportControl = { checkpoint: null, saveCheckpoint: (c) => saved.push(c), report: () => undefined, get cancelled() { return saved.length > 0; } };
    const { runId, result: partial } = await importFile(file, first as ReturnType<typeof control>);
    expect(partial).toMatchObject({ outcome: 'cancelled', rowsRead: 500 });
    expect((saved[0] as { position: { row: number } }).position.row).toBe(500);
    expect((t.db.prepare(`SELECT count(*) AS n FROM claims`).get() as { n: number }).n).toBe(500);
    const result = await runClaimImport(t.db, runId, control(saved[0]), { dataDir: t.dir, now: () => NOW });
    expect(result).toMatchObject({ outcome: 'succeeded', rowsRead: 1_200, passed: 1_200, duplicate: 0 });
    expect((t.db.prepare(`SELECT count(*) AS n FROM claims`).get() as { n: number }).n).toBe(1_200);
  });

  it('fails the run with the missing columns named when the header is wrong, storing nothing', async () => {
    const file = writeClaimsCsv(t.dir, 'bad-header.csv', [claimRow()], ['claim_id', 'facility', 'mrn', 'payer', 'service_date', 'codes', 'amount']);
    await expect(importFile(file)).rejects.toMatchObject({ code: 'CLAIMS_HEADER_MISSING', message: expect.stringMatching(/lacks column\(s\) rendering_npi, payer_id/) });
    expect(claims()).toHaveLength(0);
  });
});

describe('claims check (dry)', () => {
  it('predicts the import verdicts, finds duplicates inside the file, and stores nothing', async () => {
    const file = writeClaimsCsv(t.dir, 'claims.csv', MIXED);
    const outcomes: RowOutcome[] = [];
    const counts = await checkClaimsFile(t.db, file, t.dir, (o) => outcomes.push(o), NOW);
    expect(claims()).toHaveLength(0);
    expect((t.db.prepare(`SELECT count(*) AS n FROM outbox`).get() as { n: number }).n).toBe(0);
    expect(counts).toMatchObject({ rowsRead: 12, passed: 2, rejected: 2 });
    const verdicts = outcomes.map((o) => (o.kind === 'checked' ? `${o.claim.claimId}:${o.verdict}:${o.reasons.map((r) => r.code).join('+')}` : o.kind));
    expect(verdicts).toEqual([
      'PASS-1:pass:',
      'PASS-2:pass:',
      'NO-CONSENT:fail:CONSENT_DENIED',
      'UNKNOWN-PATIENT:fail:CONSENT_DENIED',
      'REVOKED-CRED:fail:CREDENTIAL_NOT_VERIFIED',
      'OUT-OF-DATES:fail:CREDENTIAL_NOT_VALID_ON_SERVICE_DATE',
      'BAD-CODES:fail:MALFORMED_CODE+MALFORMED_CODE+INVALID_AMOUNT',
      'SAME-CONTENT:fail:DUPLICATE_CONTENT',
      'rejected',
      'rejected',
      'PASS-1:fail:DUPLICATE_CLAIM_ID',
      'PASS-1:fail:DUPLICATE_CLAIM_ID', // its twin in content is itself: one reason, not two
    ]);
  });
});
