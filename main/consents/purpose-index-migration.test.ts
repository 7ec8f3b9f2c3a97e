// The rare-purpose index migration alone, in the style of db/migrate.test.ts: seed a database at the version
// before it, migrate, and check the partial index exists, keeps its rows, and leaves TREAT rows out.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { tempDir } from './test-support';
import { migrationsDirUpTo } from '../db/migration-test-support';

const NAME = /_consents_rare_purpose\.sql$/;
let dir: string;
beforeEach(() => {
  dir = tempDir('custodian-rare-purpose-');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const migrationsUpTo = (version: number): string => migrationsDirUpTo(dir, version);

describe('migration consents_rare_purpose', () => {
  it('adds a partial (purpose, id) index that leaves TREAT rows out and keeps the existing consents', () => {
    const version = readMigrationFiles(defaultMigrationsDir()).find((m) => NAME.test(m.name))!.version;
    const db = openDatabase(path.join(dir, 'custodian.sqlite'));
    try {
      migrate(db, { migrationsDir: migrationsUpTo(version - 1) });
      expect(schemaVersion(db)).toBe(version - 1);
      const now = '2026-01-01T00:00:00.000Z';
      db.prepare(`INSERT INTO patients (id, facility, mrn, pseudonym, created_at) VALUES (1, 'GH01', 'MRN1', '0x01', ?)`).run(now);
      const insert = db.prepare(
        `INSERT INTO consents (patient_id, grantee, grantee_kind, decision, purpose, category, period_start, status, document_hash, source, seq, created_at, updated_at)
         VALUES (1, '1234567893', 'npi', 'permit', ?, 'general', 100, 'active', '0x00', 'test', 1, ?, ?)`,
      );
      for (const purpose of ['TREAT', 'ETREAT', 'TREAT', 'HRESCH', 'ETREAT']) insert.run(purpose, now, now);

      migrate(db, { migrationsDir: migrationsUpTo(version) });
      expect(schemaVersion(db)).toBe(version);
      const index = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'consents_rare_purpose'`).get() as { sql: string };
      expect(index.sql).toMatch(/ON consents \(purpose, id\) WHERE purpose <> 'TREAT'/);
      const viaIndex = db.prepare(`SELECT id FROM consents INDEXED BY consents_rare_purpose WHERE purpose = 'ETREAT' AND purpose <> 'TREAT' ORDER BY id DESC`).all();
      expect(viaIndex).toEqual([{ id: 5 }, { id: 2 }]);
      expect(db.prepare(`SELECT count(*) AS n FROM consents INDEXED BY consents_rare_purpose WHERE purpose <> 'TREAT'`).get()).toEqual({ n: 3 });
      expect(db.prepare('SELECT count(*) AS n FROM consents').get()).toEqual({ n: 5 });
    } finally {
      db.close();
    }
  });
});
