// Migration 0025 alone (seed at 0024, migrate, assert): the outbox is rebuilt with state 'replaced' and replaced_by,
// every row survives to the byte with its id (and the next id follows the highest, as before), the references
// and conflicts that point at outbox ids still hold, and a sharing proposal an earlier version marked converted in
// its error text becomes 'replaced' by the event the text names only when that event can be trusted to be it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';

const NAME = /_outbox_replaced\.sql$/;
const version = readMigrationFiles(defaultMigrationsDir()).find((m) => NAME.test(m.name))!.version;

let dir: string;
let db: Db;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-0025-'));
  db = openDatabase(path.join(dir, 'custodian.sqlite'));
  migrate(db, { migrationsDir: migrationsDirUpTo(dir, version - 1) });
});
afterEach(() => {
  if (db.open) db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const AT = '2026-01-01T00:00:00.000Z';
const COLUMNS = 'id, kind, payload, state, batch_id, attempts, last_error, created_at, updated_at';
const converted = (n: number) => `SHARING_PROPOSAL_CONVERTED: queued before proposals were sealed; sent instead as outbox event ${n} (the same terms, sealed to the partner, signed again)`;

function row(id: number, kind: string, payload: string, state: string, batchId: string | null, lastError: string | null, attempts = 0): void {
  db.prepare(`INSERT INTO outbox (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(id, kind, payload, state, batchId, attempts, lastError, AT, `2026-01-0${(id % 9) + 1}T00:00:00.000Z`);
}

describe('migration 0025 (replaced outbox events)', () => {
  it('keeps every row to the byte with its id, converts the trusted CONVERTED markers, and keeps what points at outbox ids', () => {
    const batch = `0x${'ee'.repeat(32)}`;
    // Ids with gaps (pruned rows), every state, odd text, a reference row and a conflict pointing at outbox ids.
    row(3, 'audit.root', '{"treeSize":1,"rootHash":"0x01"}', 'confirmed', batch, null, 2);
    row(7, 'agreement.propose', '{"v1":"\u00fc \\" \u2028"}', 'failed', null, converted(12));
    row(8, 'agreement.propose', '{"v1":2}', 'failed', null, converted(99)); // names an event that is not there
    row(9, 'agreement.propose', '{"v1":3}', 'failed', batch, converted(12)); // was batched: may be on chain
    row(10, 'agreement.propose', '{"v1":4}', 'failed', null, converted(3)); // names an earlier event of another kind
    row(11, 'agreement.propose', '{"v1":5}', 'failed', null, 'SHARING_PROPOSAL_LEGACY: held');
    row(12, 'agreement.propose', '{"v2":1}', 'pending', null, null);
    row(20, 'consent.change', '', 'batched', batch, 'a note', 1);
    row(21, 'credential.status', '{"c":1}', 'sent', batch, null, 1);
    db.prepare(`INSERT INTO patients (facility, mrn, pseudonym, created_at) VALUES ('GH01', 'M1', ?, ?)`).run(`0x${'a1'.repeat(32)}`, AT);
    db.prepare(
      `INSERT INTO consents (patient_id, grantee, grantee_kind, decision, purpose, category, period_start, period_end, status, document_hash_bin, source, seq, created_at, updated_at, hlc)
       VALUES (1, '1234567893', 'npi', 'permit', 'TREAT', 'general', 0, NULL, 'active', ?, 'staff:s1', 1, ?, ?, '0000000000000001')`,
    ).run(Buffer.alloc(32, 0x5d), AT, AT);
    db.prepare(`INSERT INTO outbox_refs (outbox_id, source_id, change, hlc, prev_hlc, revoked) VALUES (20, 1, 0, 1, 0, 0)`).run();
    const before = db.prepare(`SELECT ${COLUMNS} FROM outbox ORDER BY id`).all() as Record<string, unknown>[];
    const viewBefore = db.prepare(`SELECT ${COLUMNS} FROM outbox_events ORDER BY id`).all();
    const refsBefore = db.prepare(`SELECT * FROM outbox_refs`).all();
    const indexesOf = () => db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox' ORDER BY name`).all();
    const indexesBefore = indexesOf();

    migrate(db, { migrationsDir: migrationsDirUpTo(dir, version) });
    expect(schemaVersion(db)).toBe(version);

    // Every stored byte as before; only the trusted marker (7, replaced by 12) changed state.
    const after = db.prepare(`SELECT ${COLUMNS}, replaced_by FROM outbox ORDER BY id`).all() as Record<string, unknown>[];
    expect(after).toEqual(before.map((r) => (r.id === 7 ? { ...r, state: 'replaced', replaced_by: 12 } : { ...r, replaced_by: null })));
    expect(db.prepare(`SELECT ${COLUMNS} FROM outbox_events ORDER BY id`).all()).toEqual(viewBefore.map((r) => ((r as { id: number }).id === 7 ? { ...(r as object), state: 'replaced' } : r)));
    expect(db.prepare(`SELECT * FROM outbox_refs`).all()).toEqual(refsBefore);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    // The rowid sequence goes on from the highest id, as it did (no AUTOINCREMENT before or after).
    expect(Number(db.prepare(`INSERT INTO outbox (kind, payload) VALUES ('audit.root', '{}')`).run().lastInsertRowid)).toBe(22);
    expect(db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'`).pluck().get()).toBe(0);
    // The same indexes, by name and definition; the view gives the new column too.
    expect(indexesOf()).toEqual(indexesBefore);
    expect(indexesBefore).toHaveLength(2);
    expect(db.prepare(`SELECT id, replaced_by FROM outbox_events WHERE state = 'replaced'`).all()).toEqual([{ id: 7, replaced_by: 12 }]);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND (tbl_name = 'outbox' OR name = 'outbox_refs_kept') ORDER BY name`).pluck().all()).toEqual([
      'OUTBOX_REPLACED_FINAL',
      'OUTBOX_REPLACE_REFUSED',
      'outbox_refs_kept',
    ]);
    // The reference's deletion guard reads the new table.
    expect(() => db.prepare(`DELETE FROM outbox_refs WHERE outbox_id = 20`).run()).toThrow(/OUTBOX_SOURCE_IMMUTABLE/);
  });
});
