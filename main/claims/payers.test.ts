// Claim payers by address on a real SQLite file: a passing claim waits (no outbox row) until its payer's address
// is known, then is queued with a commitment to that address that only the claim's salt opens; the payer id, the
// address and the service day appear nowhere in the payload. And the migration that brought the table in alone.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testData, tempDir, type TestData } from '../consents/test-support';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';
import { claimCommitmentOf, payerCommitmentOf, payerNonceOf, openReasonCode, sealReasonCode } from './outbox-events';
import { reasonCodeBytes } from './payer';
import { claimsWaitingForPayer, setPayerAddress } from './payers';
import { insertClaim, payerAddressOf } from './store';
import { PAYER, PAYER_ADDRESS } from './test-support';

let t: TestData;
beforeEach(() => {
  t = testData('custodian-claim-payers-');
});
afterEach(() => t.cleanup());

function store(claimId: string, payerId = PAYER): number {
  return insertClaim(
    t.db,
    { claimId, facility: 'GH01', mrn: 'M1', renderingNpi: '1234567893', payerId, serviceDate: '2026-01-02', codes: ['99213'], amountCents: 100, contentHash: `0x${Buffer.from(claimId.padEnd(32, '.')).toString('hex')}` },
    { verdict: 'pass', reasons: [] },
    { source: 'import', importRunId: null, sourceRow: null, checkedBy: 'me', patientId: null },
    'now',
  );
}
const outbox = () => t.db.prepare(`SELECT kind, payload FROM outbox ORDER BY id`).all() as { kind: string; payload: string }[];

describe('claim payers', () => {
  it('holds a passing claim until its payer has an address, then queues it committed to that address', () => {
    const id = store('C-1');
    store('C-OTHER', 'PAYER-OTHER');
    expect(outbox()).toEqual([]);
    expect(claimsWaitingForPayer(t.db, PAYER)).toBe(1);
    expect(setPayerAddress(t.db, ` ${PAYER} `, PAYER_ADDRESS.toLowerCase())).toEqual({ payerId: PAYER, address: PAYER_ADDRESS, queued: 1 });
    expect(payerAddressOf(t.db, PAYER)).toBe(PAYER_ADDRESS); // checksummed
    expect(claimsWaitingForPayer(t.db)).toBe(1); // PAYER-OTHER's claim still waits
    const [row] = outbox();
    const payload = JSON.parse(row!.payload) as Record<string, unknown>;
    const c = t.db.prepare(`SELECT chain_salt, chain_commitment, content_hash, outbox_id FROM claims WHERE id = ?`).get(id) as { chain_salt: string; chain_commitment: string; content_hash: string; outbox_id: number };
    expect(payload).toEqual({ v: 2, claimRowId: id, claimHash: claimCommitmentOf(c.chain_salt, c.content_hash), payerCommitment: payerCommitmentOf(PAYER_ADDRESS, payerNonceOf(c.chain_salt)) });
    expect(c.outbox_id).toBeGreaterThan(0);
    for (const text of [PAYER, PAYER_ADDRESS.slice(2).toLowerCase(), '2026-01-02', '20455']) expect(row!.payload.toLowerCase()).not.toContain(text.toLowerCase());
    // A claim stored once the address is known is queued at once; setting the address again queues nothing twice.
    store('C-2');
    expect(outbox()).toHaveLength(2);
    expect(setPayerAddress(t.db, PAYER, PAYER_ADDRESS)).toEqual({ payerId: PAYER, address: PAYER_ADDRESS, queued: 0 });
    // Staff reach this through claims.payers.register, whose dispatcher entry records it (cli/permissions-matrix.test);
    // the store writes no entry of its own, so a change is recorded once, under the staff member who made it.
    expect(t.db.prepare(`SELECT count(*) FROM audit_log`).pluck().get()).toBe(0);
  });

  it('refuses a malformed address or payer id, naming the field', () => {
    expect(() => setPayerAddress(t.db, PAYER, '0x1234')).toThrow(/ADDRESS must be/);
    expect(() => setPayerAddress(t.db, '  ', PAYER_ADDRESS)).toThrow(/PAYER_ID/);
  });

  it('masks a reason code with the claim salt: another salt opens nothing, no reason stays zero', () => {
    const salt = `0x${'ab'.repeat(16)}`;
    const sealed = sealReasonCode(salt, reasonCodeBytes('CO-16'));
    expect(sealed).not.toBe(reasonCodeBytes('CO-16'));
    expect(openReasonCode(salt, sealed)).toBe('CO-16');
    expect(openReasonCode(`0x${'cd'.repeat(16)}`, sealed)).toBeNull();
    expect(sealReasonCode(salt, reasonCodeBytes(undefined))).toBe(`0x${'00'.repeat(8)}`);
    expect(openReasonCode(salt, `0x${'00'.repeat(8)}`)).toBeNull();
  });
});

describe('claim payers migration', () => {
  it('adds claim_payers and drops unsent v1 claim records (their claims wait for the payer address)', () => {
    const version = readMigrationFiles(defaultMigrationsDir()).find((f) => /_claim_payers\.sql$/.test(f.name))!.version;
    const dir = tempDir('custodian-claim-payers-mig-');
    const db = openDatabase(path.join(dir, 'db.sqlite'));
    try {
      migrate(db, { migrationsDir: migrationsDirUpTo(dir, version - 1) });
      const v1 = JSON.stringify({ v: 1, claimRowId: 1, claimHash: `0x${'11'.repeat(32)}`, payerHash: `0x${'22'.repeat(32)}`, serviceDay: 20_000 });
      const pending = Number(db.prepare(`INSERT INTO outbox (kind, payload) VALUES ('claim.record', ?)`).run(v1).lastInsertRowid);
      const sent = Number(db.prepare(`INSERT INTO outbox (kind, payload, state) VALUES ('claim.record', ?, 'confirmed')`).run(v1).lastInsertRowid);
      const cols = { claim_id: 'C1', facility: 'GH01', mrn: 'M1', rendering_npi: '1234567893', payer_id: 'P', service_date: '2026-01-02', codes: '[]', amount_cents: 1, content_hash: '0xaa', verdict: 'pass', reasons: '[]', chain_status: 'pending', source: 'test', checked_by: 'me', created_at: 'now', updated_at: 'now', chain_salt: `0x${'33'.repeat(16)}`, chain_commitment: `0x${'11'.repeat(32)}`, outbox_id: pending };
      db.prepare(`INSERT INTO claims (${Object.keys(cols).join(', ')}) VALUES (${Object.keys(cols).map((k) => `@${k}`).join(', ')})`).run(cols);
      migrate(db, { migrationsDir: migrationsDirUpTo(dir, version) });
      expect(db.prepare(`SELECT id FROM outbox`).pluck().all()).toEqual([sent]);
      expect(db.prepare(`SELECT outbox_id FROM claims`).pluck().get()).toBeNull();
      expect(() => db.prepare(`INSERT INTO claim_payers (payer_id, address, created_at, updated_at) VALUES ('P', '0x12', 'n', 'n')`).run()).toThrow(/CHECK/);
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
