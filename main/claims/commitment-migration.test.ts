// The claim-commitment migration alone (found by name): seeded at the version before it, a stored claim keeps its
// row with no salt or commitment, and two claims can never share a commitment.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { tempDir } from '../consents/test-support';
import { migrationsDirUpTo } from '../db/migration-test-support';

const version = readMigrationFiles(defaultMigrationsDir()).find((f) => /_claim_commitment\.sql$/.test(f.name))!.version;
let dir: string;
beforeEach(() => {
  dir = tempDir('custodian-claim-commitment-');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const row = {
  claim_id: 'C1', facility: 'GH01', mrn: 'M1', patient_id: null, rendering_npi: '1234567893', payer_id: 'P', service_date: '2026-01-02',
  codes: '["99213"]', amount_cents: 100, content_hash: '0xaa', verdict: 'pass', reasons: '[]', chain_status: 'pending', source: 'test', checked_by: 'me', created_at: 'now', updated_at: 'now',
};

describe('claim commitment migration', () => {
  it('adds salt and commitment columns, keeps earlier claims, and refuses a shared commitment', () => {
    const db = openDatabase(path.join(dir, 'db.sqlite'));
    try {
      migrate(db, { migrationsDir: migrationsDirUpTo(dir, version - 1) });
      db.prepare(`INSERT INTO claims (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row).map((k) => `@${k}`).join(', ')})`).run(row);
      migrate(db, { migrationsDir: migrationsDirUpTo(dir, version) });
      expect(schemaVersion(db)).toBe(version);
      expect(db.prepare(`SELECT claim_id, chain_salt, chain_commitment FROM claims`).all()).toEqual([{ claim_id: 'C1', chain_salt: null, chain_commitment: null }]);
      db.prepare(`INSERT INTO claims (${Object.keys(row).join(', ')}, chain_salt, chain_commitment) VALUES (${Object.keys(row).map((k) => `@${k}`).join(', ')}, '0x01', '0xcc')`).run({ ...row, claim_id: 'C2', content_hash: '0xab' });
      expect(() =>
        db.prepare(`INSERT INTO claims (${Object.keys(row).join(', ')}, chain_salt, chain_commitment) VALUES (${Object.keys(row).map((k) => `@${k}`).join(', ')}, '0x02', '0xcc')`).run({ ...row, claim_id: 'C3', content_hash: '0xac' }),
      ).toThrow(/UNIQUE/);
    } finally {
      db.close();
    }
  });
});
