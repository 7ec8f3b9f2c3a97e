// The sort index migration alone, in the style of db/migrate.test.ts: seed a database at the version before it,
// migrate, and check the (period_start, id) index exists and holds every existing consent in sort order.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { tempDir } from './test-support';
import { migrationsDirUpTo } from '../db/migration-test-support';

const NAME = /_consents_sort_index\.sql$/;
let dir: string;
beforeEach(() => {
  dir = tempDir('custodian-sort-index-');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const migrationsUpTo = (version: number): string => migrationsDirUpTo(dir, version);

describe('migration consents_sort_index', () => {
  it('adds a (period_start, id) index over every existing consent', () => {
    const version = readMigrationFiles(defaultMigrationsDir()).find((m) => NAME.test(m.name))!.version;
    const db = openDatabase(path.join(dir, 'custodian.sqlite'));
    try {
      migrate(db, { migrationsDir: migrationsUpTo(version - 1) });
      expect(schemaVersion(db)).toBe(version - 1);
      const now = '2026-01-01T00:00:00.000Z';
      db.prepare(`INSERT INTO patients (id, facility, mrn, pseudonym, created_at) VALUES (1, 'GH01', 'MRN1', '0x01', ?)`).run(now);
      const insert = db.prepare(
        `INSERT INTO consents (patient_id, grantee, grantee_kind, decision, purpose, category, period_start, status, document_hash_bin, source, seq, created_at, updated_at)
         VALUES (1, '1234567893', 'npi', 'permit', ?, 'general', ?, 'active', ?, 'test', 1, ?, ?)`,
      );
      const purposes = ['TREAT', 'ETREAT', 'HRESCH', 'PUBHLTH', 'HMARKT'];
      for (const [i, start] of [300, 100, 300, 200, 100].entries()) insert.run(purposes[i], start, Buffer.alloc(32, i), now, now);

      migrate(db, { migrationsDir: migrationsUpTo(version) });
      expect(schemaVersion(db)).toBe(version);
      const index = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'consents_by_period_start'`).get() as { sql: string };
      expect(index.sql).toMatch(/ON consents \(period_start, id\)$/);
      const viaIndex = db.prepare(`SELECT id FROM consents INDEXED BY consents_by_period_start WHERE period_start > 0 ORDER BY period_start, id`).all();
      expect(viaIndex).toEqual([{ id: 2 }, { id: 5 }, { id: 4 }, { id: 1 }, { id: 3 }]);
      expect(db.prepare('SELECT count(*) AS n FROM consents').get()).toEqual({ n: 5 });
    } finally {
      db.close();
    }
  });
});
