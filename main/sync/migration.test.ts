// 0003_sync alone: seed a database at 0002, migrate to 0003, and check what it adds and what it refuses.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { tempDir } from './fixtures/chain';
import { migrationsDirUpTo } from '../db/migration-test-support';

let dir: string;
beforeEach(() => {
  dir = tempDir('sync-migration');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const migrationsUpTo = (version: number): string => migrationsDirUpTo(dir, version);

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
    // The database's origin (sync batch ids, the audit trail id) is made here, once, and is fixed from then on.
    const origin = db.prepare(`SELECT value FROM sync_meta WHERE key = 'origin'`).pluck().get() as string;
    expect(origin).toMatch(/^0x[0-9a-f]{64}$/);
    expect(() => db.prepare(`UPDATE sync_meta SET value = '0x00' WHERE key = 'origin'`).run()).toThrow(/origin id is fixed/);
    expect(() => db.prepare(`DELETE FROM sync_meta`).run()).toThrow(/origin id is fixed/);
    expect(() => db.prepare(`INSERT OR REPLACE INTO sync_meta (key, value) VALUES ('origin', '0x00')`).run()).toThrow(/origin id is fixed/);
    db.prepare(`INSERT INTO sync_meta (key, value) VALUES ('other', 'x')`).run();
    db.prepare(`DELETE FROM sync_meta WHERE key = 'other'`).run();
    expect(db.prepare(`SELECT value FROM sync_meta WHERE key = 'origin'`).pluck().get()).toBe(origin);
    // Mirrored audit roots carry their trail (every workstation's roots land in one table).
    const columns = (db.prepare(`SELECT name FROM pragma_table_info('sync_chain_audit_roots')`).all() as { name: string }[]).map((c) => c.name);
    expect(columns).toEqual(expect.arrayContaining(['chain_id', 'trail_id', 'batch_id', 'merkle_root', 'previous_root', 'anchor_index']));
    expect(names).toContain('sync_chain_audit_roots_by_trail');
    db.close();
  });

  it('gives every database its own origin', () => {
    const migrationsDir = migrationsUpTo(3);
    const origins = ['c', 'd'].map((n) => {
      const db = openDatabase(path.join(dir, `${n}.sqlite`));
      migrate(db, { migrationsDir });
      const origin = db.prepare(`SELECT value FROM sync_meta WHERE key = 'origin'`).pluck().get();
      db.close();
      return origin;
    });
    expect(origins[0]).not.toBe(origins[1]);
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

describe('the project migrations: sync_pull_undo', () => {
  // Found by name: the number is the lead's to assign at merge time.
  const file = () => readMigrationFiles(defaultMigrationsDir()).find((f) => f.name.endsWith('_sync_pull_undo.sql'))!;

  it('applies on a database at the version before it, keeps its data, and refuses a malformed record', () => {
    const version = file().version;
    const db = openDatabase(path.join(dir, 'u.sqlite'));
    migrate(db, { migrationsDir: migrationsUpTo(version - 1) });
    db.prepare(`INSERT INTO sync_cursors (chain_id, contract, block_number, block_hash) VALUES (31337, 'all', 7, '0x07')`).run();
    const report = migrate(db, { migrationsDir: migrationsUpTo(version) });
    expect(report.applied).toEqual([file().name]);
    expect(db.prepare(`SELECT block_number FROM sync_cursors`).pluck().get()).toBe(7);
    const insert = db.prepare(
      `INSERT INTO sync_pulled_consent_changes (chain_id, block_number, block_hash, log_index, seq, action, previous_id, previous_state, inserted_id, history_ids) VALUES (31337, ?, '0xb', 0, 1, ?, ?, NULL, ?, '[]')`,
    );
    insert.run(1, 'revoke', 5, null);
    insert.run(2, 'replace', null, 9);
    expect(() => insert.run(3, 'revoke', null, null)).toThrow(/CHECK/);
    expect(() => insert.run(4, 'replace', 5, null)).toThrow(/CHECK/);
    expect(() => insert.run(5, 'undo', 5, 9)).toThrow(/CHECK/);
    expect(() => insert.run(1, 'revoke', 6, null)).toThrow(/UNIQUE/);
    db.close();
  });
});
