// 0003_sync alone: seed a database at 0002, migrate to 0003, and check what it adds and what it refuses.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { tempDir } from './fixtures/chain';

let dir: string;
beforeEach(() => {
  dir = tempDir('sync-migration');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function migrationsUpTo(version: number): string {
  const files = readMigrationFiles(defaultMigrationsDir()).filter((f) => f.version <= version);
  const out = path.join(dir, `upto${version}`);
  fs.mkdirSync(out);
  for (const f of files) fs.writeFileSync(path.join(out, f.name), f.sql);
  return out;
}

describe('the project migrations: 0003_sync', () => {
  it('applies on a database at 0002 with outbox rows and adds the sync tables and indexes', () => {
    const db = openDatabase(path.join(dir, 'a.sqlite'));
    migrate(db, { migrationsDir: migrationsUpTo(2) });
    db.prepare(`INSERT INTO outbox (kind, payload) VALUES ('consent.change', '{}')`).run();
    const report = migrate(db, { migrationsDir: migrationsUpTo(3) });
    expect(report.applied).toEqual(['0003_sync.sql']);
    expect(schemaVersion(db)).toBe(3);
    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name LIKE 'sync_%' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'sync_batches',
        'sync_transactions',
        'sync_senders',
        'sync_lease',
        'sync_meta',
        'sync_cursors',
        'sync_seen_blocks',
        'sync_chain_events',
        'sync_chain_consents',
        'sync_chain_credentials',
        'sync_chain_audit_roots',
        'sync_batches_by_state',
        'sync_batches_by_nonce',
      ]),
    );
    expect(db.prepare(`SELECT count(*) AS n FROM outbox`).get()).toEqual({ n: 1 });
    db.close();
  });

  it('refuses a bad batch state, a bad error subtype, and two live batches on one nonce', () => {
    const db = openDatabase(path.join(dir, 'b.sqlite'));
    migrate(db, { migrationsDir: migrationsUpTo(3) });
    const insert = db.prepare(`INSERT INTO sync_batches (id, kind, contract, event_count, estimated_gas, state, chain_id, sender, nonce) VALUES (?, 'consent.change', 'ConsentLedger', 1, 1, ?, 31337, '0xabc', ?)`);
    expect(() => insert.run('0x01', 'bogus', null)).toThrow(/CHECK/);
    expect(() => db.prepare(`INSERT INTO sync_batches (id, kind, contract, event_count, estimated_gas, error_subtype) VALUES ('0x02', 'k', 'c', 1, 1, 'weird')`).run()).toThrow(/CHECK/);
    insert.run('0x03', 'sent', 5);
    expect(() => insert.run('0x04', 'signed', 5)).toThrow(/UNIQUE/);
    insert.run('0x05', 'pending', null);
    insert.run('0x06', 'failed', 5); // a failed batch gave its nonce back
    db.close();
  });
});
