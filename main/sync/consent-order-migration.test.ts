// *_consent_order alone (found by name): seed a database at the version before it with a landed consent, a pulled one and one whose change is still
// queued (payload v1), migrate, and check the stamps, the writers, the payload v2 and the new tables.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONSENT_CHANGE, consentChangePayload } from '../consents/outbox-events';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';
import { tempDir } from './fixtures/chain';

let dir: string;
beforeEach(() => {
  dir = tempDir('consent-order-migration');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const hex = (b: string) => `0x${b.repeat(32)}`;

describe('the project migrations: consent_order', () => {
  it('stamps existing rows from their seq, marks what is not queued as landed, and moves queued payloads to v2', () => {
    const db = openDatabase(path.join(dir, 'a.sqlite'));
    const version = readMigrationFiles(defaultMigrationsDir()).find((f) => f.name.endsWith('_consent_order.sql'))!.version;
    migrate(db, { migrationsDir: migrationsDirUpTo(dir, version - 1) });
    const at = '2026-01-01T00:00:00.000Z';
    db.prepare(`INSERT INTO patients (id, facility, mrn, pseudonym, created_at) VALUES (1, 'GH', 'M1', ?, ?)`).run(hex('aa'), at);
    const insert = db.prepare(
      `INSERT INTO consents (id, patient_id, grantee, grantee_kind, decision, purpose, category, period_start, status, document_hash, source, seq, created_at, updated_at)
       VALUES (?, 1, ?, 'npi', 'permit', 'TREAT', 'general', 0, 'active', ?, ?, ?, ?, ?)`,
    );
    insert.run(1, '1234567893', hex('d1'), 'form', 3, at, at); // its change was confirmed
    insert.run(2, '1234567894', hex('d2'), 'chain', 1, at, at); // pulled
    insert.run(3, '1234567895', hex('d3'), 'form', 2, at, at); // its change still queued
    const v1 = (consentId: number, seq: number, grantee: string) =>
      JSON.stringify({ v: 1, change: 'create', consentId, patientPseudonym: hex('aa'), granteeHash: hex('11'), purposeHash: hex('22'), categoryHash: hex('33'), seq, decision: 'permit', validFrom: 0, validUntil: 0, revoked: false, documentHash: hex(grantee) });
    db.prepare(`INSERT INTO outbox (kind, payload, state) VALUES ('consent.change', ?, 'confirmed')`).run(v1(1, 3, 'd1'));
    db.prepare(`INSERT INTO outbox (kind, payload) VALUES ('consent.change', ?)`).run(v1(3, 2, 'd3'));

    const report = migrate(db);
    expect(report.applied.some((name: string) => name.endsWith('_consent_order.sql'))).toBe(true);
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(11);
    expect(db.prepare(`SELECT id, hlc, hlc_writer FROM consents ORDER BY id`).all()).toEqual([
      { id: 1, hlc: '0000000000000003', hlc_writer: `0x${'0'.repeat(40)}` },
      { id: 2, hlc: '0000000000000001', hlc_writer: `0x${'0'.repeat(40)}` },
      { id: 3, hlc: '0000000000000002', hlc_writer: null },
    ]);
    const [confirmed, queued] = (db.prepare(`SELECT payload FROM outbox ORDER BY id`).pluck().all() as string[]).map((p) => JSON.parse(p) as Record<string, unknown>);
    expect(confirmed).toMatchObject({ v: 1, seq: 3 }); // history is left as it was sent
    expect(queued).toMatchObject({ v: 2, hlc: '0000000000000002', prevHlc: '0000000000000000', granteeKind: 'npi', grantee: '1234567895' });
    expect(queued).not.toHaveProperty('seq');
    expect(consentChangePayload.safeParse(queued).success).toBe(true);
    expect(CONSENT_CHANGE.payload.safeParse(queued).success).toBe(false); // its hashes here are not real codes
    // Since 0026 the stamp is stored as hlc_int or hlc_text; its 16 characters are still checked.
    expect(() => db.prepare(`UPDATE consents SET hlc_int = NULL, hlc_text = '12' WHERE id = 1`).run()).toThrow(/CHECK/);
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('consent_conflicts', 'sync_pending_consent_changes')`).pluck().all();
    expect(tables.sort()).toEqual(['consent_conflicts', 'sync_pending_consent_changes']);
    expect(() => db.prepare(`INSERT INTO consent_conflicts (outbox_id, consent_id, op_key, reason, my_order, raised_at) VALUES (2, 3, '', 'LOST', '', ?)`).run(at)).toThrow(/CHECK/);
    db.close();
  });
});
