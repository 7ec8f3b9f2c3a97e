// The claims migration alone: seed a database at the version before it, migrate, and check what it adds (the
// unique claim id, one passing claim per content hash, the verdict/chain-status rule) and that earlier data stays.
// The migration is found by name, so a renumbering at merge time needs no change here.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { tempDir } from '../consents/test-support';
import { migrationsDirUpTo } from '../db/migration-test-support';

const files = readMigrationFiles(defaultMigrationsDir());
const claimsVersion = files.find((f) => /_claims\.sql$/.test(f.name))!.version;

let dir: string;
beforeEach(() => {
  dir = tempDir('custodian-claims-migration-');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const migrationsUpTo = (version: number): string => migrationsDirUpTo(dir, version);

const row = {
  claim_id: 'C1', facility: 'GH01', mrn: 'M1', patient_id: null, rendering_npi: '1234567893', payer_id: 'P', service_date: '2026-01-02',
  codes: '["99213"]', amount_cents: 100, content_hash: '0xaa', verdict: 'pass', reasons: '[]', chain_status: 'pending', source: 'test', checked_by: 'me', created_at: 'now', updated_at: 'now',
};
const insert = (db: ReturnType<typeof openDatabase>, over: Partial<typeof row>) => {
  const r = { ...row, ...over };
  db.prepare(`INSERT INTO claims (${Object.keys(r).join(', ')}) VALUES (${Object.keys(r).map((k) => `@${k}`).join(', ')})`).run(r);
};

describe('claims migration', () => {
  it('adds the claims tables on top of the previous version and keeps earlier data', () => {
    const db = openDatabase(path.join(dir, 'db.sqlite'));
    try {
      migrate(db, { migrationsDir: migrationsUpTo(claimsVersion - 1) });
      db.prepare(`INSERT INTO outbox (kind, payload) VALUES ('consent.change', '{}')`).run();
      expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'claims'`).get()).toBeUndefined();
      migrate(db, { migrationsDir: migrationsUpTo(claimsVersion) });
      expect(schemaVersion(db)).toBe(claimsVersion);
      expect((db.prepare(`SELECT count(*) AS n FROM outbox`).get() as { n: number }).n).toBe(1);

      insert(db, {});
      expect(() => insert(db, { content_hash: '0xbb' })).toThrow(/UNIQUE constraint failed: claims.claim_id/);
      // One passing claim per content hash; failed ones may share it.
      expect(() => insert(db, { claim_id: 'C2' })).toThrow(/UNIQUE constraint failed: claims.content_hash/);
      insert(db, { claim_id: 'C3', verdict: 'fail', chain_status: 'not_sent' });
      // A fail is never sent; a pass is never 'not_sent'.
      expect(() => insert(db, { claim_id: 'C4', content_hash: '0xcc', verdict: 'fail', chain_status: 'pending' })).toThrow(/CHECK constraint failed/);
      expect(() => insert(db, { claim_id: 'C5', content_hash: '0xdd', chain_status: 'not_sent' })).toThrow(/CHECK constraint failed/);
      expect(() => insert(db, { claim_id: 'C6', content_hash: '0xee', service_date: '2026/01/02' })).toThrow(/CHECK constraint failed/);
      const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT claim_id FROM claims WHERE content_hash = ? AND verdict = 'pass'`).all('0xaa') as { detail: string }[];
      expect(plan.map((p) => p.detail).join(' ')).toMatch(/claims_passed_by_content/);
    } finally {
      db.close();
    }
  });
});
