// The sharing migration alone, in the style of db/migrate.test.ts: seed a database at the migration before it,
// migrate, and check what it adds (tables, indexes, constraints) and that what was there survives. The file is
// found by its name, so a renumbering at merge time changes nothing here.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { tempDir } from '../consents/test-support';
import { migrationsDirUpTo } from '../db/migration-test-support';

let dir: string;
beforeEach(() => {
  dir = tempDir('custodian-sharing-mig-');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const sharing = readMigrationFiles(defaultMigrationsDir()).find((m) => m.name.endsWith('_sharing.sql'))!;

const migrationsUpTo = (version: number): string => migrationsDirUpTo(dir, version);

describe('migration NNNN_sharing', () => {
  it('applies on a database seeded at the previous version, keeps its rows, and guards its columns', () => {
    expect(sharing).toBeDefined();
    const db = openDatabase(path.join(dir, 'seeded.sqlite'));
    migrate(db, { migrationsDir: migrationsUpTo(sharing.version - 1) });
    expect(schemaVersion(db)).toBe(sharing.version - 1);
    const now = '2026-01-01T00:00:00.000Z';
    const patient = Number(db.prepare(`INSERT INTO patients (facility, mrn, pseudonym, created_at) VALUES ('GH', 'M1', '0x01', ?)`).run(now).lastInsertRowid);
    db.prepare(`INSERT INTO outbox (kind, payload) VALUES ('consent.change', '{}')`).run();

    const report = migrate(db, { migrationsDir: migrationsUpTo(sharing.version), backupDir: path.join(dir, 'backups') });
    expect(report.applied).toEqual([sharing.name]);
    expect(db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 1 });
    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['sharing_identity', 'sharing_agreements', 'sharing_agreements_by_partner', 'sharing_release_requests', 'sharing_requests_by_time']));

    const agreement = (over: Record<string, unknown>) => {
      const row = { id: '0x01', our_role: 'A', partner_org_id: 'P', partner_address: '0x1', our_address: '0x2', direction: 'outbound', categories: '[]', purposes: '[]', valid_from: 10, valid_until: 20, document_hash: '0x', terms_hash: '0x', chain_id: 1, contract: '0x3', status: 'proposed', chain_state: 'queued', created_at: now, updated_at: now, ...over };
      db.prepare(
        `INSERT INTO sharing_agreements (id, our_role, partner_org_id, partner_address, our_address, direction, categories, purposes, valid_from, valid_until, document_hash, terms_hash, chain_id, contract, status, chain_state, created_at, updated_at)
         VALUES (@id, @our_role, @partner_org_id, @partner_address, @our_address, @direction, @categories, @purposes, @valid_from, @valid_until, @document_hash, @terms_hash, @chain_id, @contract, @status, @chain_state, @created_at, @updated_at)`,
      ).run(row);
    };
    agreement({});
    expect(() => agreement({ id: '0x02', valid_until: 10 })).toThrow(/CHECK/);
    expect(() => agreement({ id: '0x03', direction: 'sideways' })).toThrow(/CHECK/);
    expect(() => agreement({ id: '0x04', status: 'pending' })).toThrow(/CHECK/);
    expect(() => agreement({ id: '0x01' })).toThrow(/UNIQUE|PRIMARY/);
    const request = (decision: string, patientId: number) =>
      db.prepare(`INSERT INTO sharing_release_requests (partner_org_id, patient_id, category, purpose, decision, reasons, requested_by, requested_at, decided_at) VALUES ('P', ?, 'general', 'TREAT', ?, '[]', 'u', ?, ?)`).run(patientId, decision, now, now);
    request('permit', patient);
    expect(() => request('maybe', patient)).toThrow(/CHECK/);
    db.pragma('foreign_keys = ON');
    expect(() => request('deny', 9999)).toThrow(/FOREIGN KEY/);
    expect(() => db.prepare(`INSERT INTO sharing_identity (id, org_id, address, created_at, updated_at) VALUES (2, 'X', '0x', ?, ?)`).run(now, now)).toThrow(/CHECK/);
    db.close();
  });
});
