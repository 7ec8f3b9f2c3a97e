// Migration 0027 alone (seed at 0026, migrate, assert): the outbox rebuilt with codes and integers reads back every
// row to the byte through the generated columns kind, state, created_at and updated_at (odd values a hand edit or an
// older version left included), ids and references hold, 0025's triggers come back on the codes, and the readers that
// walk the index filter on the codes. Then the data-folder holder: every second form of a value is refused by name.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';
import { kindFilter, OUTBOX_KIND_CODES, OUTBOX_STATE } from '../db/outbox-columns';
import { SyncStore } from './store';

const NAME = /_compact_outbox\.sql$/;
const version = readMigrationFiles(defaultMigrationsDir()).find((m) => NAME.test(m.name))!.version;

let dir: string;
let db: Db;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-0027-'));
  db = openDatabase(path.join(dir, 'custodian.sqlite'));
  migrate(db, { migrationsDir: migrationsDirUpTo(dir, version - 1) });
});
afterEach(() => {
  if (db.open) db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const COLUMNS = 'id, kind, payload, state, batch_id, attempts, last_error, created_at, updated_at, replaced_by';
const AT = '2026-01-01T00:00:00.000Z';

function row(id: number, kind: string, state: string, createdAt: string, updatedAt: string, extra: { batch?: string; replacedBy?: number; payload?: string; error?: string } = {}): void {
  db.prepare(`INSERT INTO outbox (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
    id,
    kind,
    extra.payload ?? `{"n":${id}}`,
    state,
    extra.batch ?? null,
    id % 3,
    extra.error ?? null,
    createdAt,
    updatedAt,
    extra.replacedBy ?? null,
  );
}

/** Every value with its SQLite type, so a number read back where a text was is a difference. */
const typed = (rows: Record<string, unknown>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, [typeof v, v]])));

describe('migration 0027 (compact outbox)', () => {
  it('reads every row back to the byte, keeps ids, references and triggers, and packs what rebuilds', () => {
    const batch = `0x${'ee'.repeat(32)}`;
    // Every known kind, a kind no code covers (an older build's), every state, and times a hand edit or another
    // writer could have left: no milliseconds, an offset, an impossible day, before 1970, junk, an empty text.
    row(3, 'audit.root', 'confirmed', AT, '2026-01-02T03:04:05.678Z', { batch });
    row(4, 'credential.status', 'sent', AT, AT, { batch });
    row(5, 'claim.record', 'batched', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', { batch });
    row(6, 'agreement.propose', 'failed', '2026-01-01T01:00:00.000+01:00', AT, { error: 'SHARING_PROPOSAL_LEGACY: held' });
    row(7, 'agreement.sign', 'pending', '2026-02-30T00:00:00.000Z', '1969-12-31T23:59:59.999Z');
    row(8, 'agreement.terminate', 'pending', 'yesterday', '');
    row(9, 'sharing.proposal.v0', 'failed', AT, 'later', { error: 'an older kind' });
    row(10, 'audit.root', 'replaced', AT, '2026-03-01T00:00:00.000Z', { replacedBy: 11 });
    row(11, 'audit.root', 'pending', '9999-12-31T23:59:59.999Z', '2026-03-01T00:00:00.000Z');
    row(20, 'consent.change', 'pending', AT, AT, { payload: '' });
    db.prepare(`INSERT INTO patients (facility, mrn, pseudonym, created_at) VALUES ('GH01', 'M1', ?, ?)`).run(`0x${'a1'.repeat(32)}`, AT);
    db.prepare(
      `INSERT INTO consents (patient_id, grantee, grantee_kind, decision, purpose, category, period_start, period_end, status, document_hash_bin, source, seq, created_ms, updated_ms, hlc_int)
       VALUES (1, '1234567893', 'npi', 'permit', 'TREAT', 'general', 0, NULL, 'active', ?, 'staff:s1', 1, 0, 0, 1)`,
    ).run(Buffer.alloc(32, 0x5d));
    db.prepare(`INSERT INTO outbox_refs (outbox_id, source_id, change, hlc, prev_hlc, revoked) VALUES (20, 1, 0, 1, 0, 0)`).run();
    const before = typed(db.prepare(`SELECT ${COLUMNS} FROM outbox ORDER BY id`).all() as Record<string, unknown>[]);
    const viewBefore = typed(db.prepare(`SELECT ${COLUMNS} FROM outbox_events ORDER BY id`).all() as Record<string, unknown>[]);
    const refsBefore = db.prepare(`SELECT * FROM outbox_refs`).all();

    migrate(db, { migrationsDir: migrationsDirUpTo(dir, version) });
    expect(schemaVersion(db)).toBe(version);

    expect(typed(db.prepare(`SELECT ${COLUMNS} FROM outbox ORDER BY id`).all() as Record<string, unknown>[])).toEqual(before);
    expect(typed(db.prepare(`SELECT ${COLUMNS} FROM outbox_events ORDER BY id`).all() as Record<string, unknown>[])).toEqual(viewBefore);
    expect(db.prepare(`SELECT * FROM outbox_refs`).all()).toEqual(refsBefore);
    expect(db.pragma('foreign_key_check')).toEqual([]);

    // What is stored: codes, milliseconds where they rebuild, the text where not, nothing for "updated when created".
    const stored = db.prepare(`SELECT id, kind_code, kind_text, state_code, created_ms, created_text, updated_ms, updated_text FROM outbox ORDER BY id`).all();
    expect(stored).toEqual([
      { id: 3, kind_code: 4, kind_text: null, state_code: 3, created_ms: Date.parse(AT), created_text: null, updated_ms: Date.parse('2026-01-02T03:04:05.678Z'), updated_text: null },
      { id: 4, kind_code: 2, kind_text: null, state_code: 2, created_ms: Date.parse(AT), created_text: null, updated_ms: null, updated_text: null },
      { id: 5, kind_code: 3, kind_text: null, state_code: 1, created_ms: null, created_text: '2026-01-01T00:00:00Z', updated_ms: null, updated_text: null },
      { id: 6, kind_code: 5, kind_text: null, state_code: 4, created_ms: null, created_text: '2026-01-01T01:00:00.000+01:00', updated_ms: Date.parse(AT), updated_text: null },
      { id: 7, kind_code: 6, kind_text: null, state_code: 0, created_ms: null, created_text: '2026-02-30T00:00:00.000Z', updated_ms: null, updated_text: '1969-12-31T23:59:59.999Z' },
      { id: 8, kind_code: 7, kind_text: null, state_code: 0, created_ms: null, created_text: 'yesterday', updated_ms: null, updated_text: '' },
      { id: 9, kind_code: 0, kind_text: 'sharing.proposal.v0', state_code: 4, created_ms: Date.parse(AT), created_text: null, updated_ms: null, updated_text: 'later' },
      { id: 10, kind_code: 4, kind_text: null, state_code: 5, created_ms: Date.parse(AT), created_text: null, updated_ms: Date.parse('2026-03-01T00:00:00.000Z'), updated_text: null },
      { id: 11, kind_code: 4, kind_text: null, state_code: 0, created_ms: Date.parse('9999-12-31T23:59:59.999Z'), created_text: null, updated_ms: Date.parse('2026-03-01T00:00:00.000Z'), updated_text: null },
      { id: 20, kind_code: 1, kind_text: null, state_code: 0, created_ms: Date.parse(AT), created_text: null, updated_ms: null, updated_text: null },
    ]);

    // Ids go on from the highest; a row written without a time gets the current one (as the old default did).
    const t0 = Date.now();
    const id = Number(db.prepare(`INSERT INTO outbox (kind_code, payload) VALUES (4, '{}')`).run().lastInsertRowid);
    expect(id).toBe(21);
    const fresh = db.prepare(`SELECT created_ms, created_at, updated_at, state FROM outbox WHERE id = 21`).get() as { created_ms: number; created_at: string; updated_at: string; state: string };
    expect(fresh.created_ms).toBeGreaterThanOrEqual(t0 - 1000);
    expect(fresh.created_ms).toBeLessThanOrEqual(Date.now() + 1000);
    expect(fresh.created_at).toBe(new Date(fresh.created_ms).toISOString());
    expect(fresh.updated_at).toBe(fresh.created_at);
    expect(fresh.state).toBe('pending');

    expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND (tbl_name = 'outbox' OR name = 'outbox_refs_kept') ORDER BY name`).pluck().all()).toEqual([
      'OUTBOX_REPLACED_FINAL',
      'OUTBOX_REPLACE_REFUSED',
      'outbox_refs_kept',
    ]);
    expect(() => db.prepare(`DELETE FROM outbox_refs WHERE outbox_id = 20`).run()).toThrow(/OUTBOX_SOURCE_IMMUTABLE/);
    // The replaced event is still final, on the codes.
    expect(() => db.prepare(`UPDATE outbox SET state_code = 0, replaced_by = NULL WHERE id = 10`).run()).toThrow(/OUTBOX_REPLACED_FINAL/);
  });

  it('the generated columns spell every code as outbox-columns.ts has it, and the readers walk the index on the codes', () => {
    migrate(db);
    for (const [kind, code] of Object.entries(OUTBOX_KIND_CODES)) {
      const id = Number(db.prepare(`INSERT INTO outbox (kind_code, payload) VALUES (?, '{}')`).run(code).lastInsertRowid);
      expect(db.prepare(`SELECT kind FROM outbox WHERE id = ?`).pluck().get(id)).toBe(kind);
    }
    for (const [state, code] of Object.entries(OUTBOX_STATE)) {
      const id = Number(db.prepare(`INSERT INTO outbox (kind_code, payload) VALUES (4, '{}')`).run().lastInsertRowid);
      // A replaced event names a later waiting event of its kind (CHECK and OUTBOX_REPLACE_REFUSED).
      const by = state === 'replaced' ? Number(db.prepare(`INSERT INTO outbox (kind_code, payload) VALUES (4, '{}')`).run().lastInsertRowid) : null;
      db.prepare(`UPDATE outbox SET state_code = ?, replaced_by = ? WHERE id = ?`).run(code, by, id);
      expect(db.prepare(`SELECT state FROM outbox WHERE id = ?`).pluck().get(id)).toBe(state);
    }
    db.prepare(`DELETE FROM outbox WHERE state_code <> 5 AND id NOT IN (SELECT replaced_by FROM outbox WHERE replaced_by IS NOT NULL)`).run();

    const plan = (sql: string, ...params: unknown[]) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
    const store = new SyncStore(db, ['consent.change', 'audit.root', 'some.plugin']);
    const k = kindFilter(['consent.change', 'audit.root', 'some.plugin']);
    expect(plan(`SELECT id, kind, payload FROM outbox_events WHERE state_code = 0 AND ${k.sql} ORDER BY id LIMIT 10`, ...k.params)).toMatch(/outbox_by_state_kind/);
    expect(plan(`SELECT kind, count(*) FROM outbox WHERE state_code IN (0, 1, 2) AND ${k.sql} GROUP BY kind`, ...k.params)).toMatch(/outbox_by_state_kind/);
    expect(plan(`SELECT count(*) FROM outbox WHERE state_code = 5`)).toMatch(/outbox_by_state_kind/);
    // A kind with no code (a plug-in added later) is found through its text, beside the coded ones.
    const other = Number(db.prepare(`INSERT INTO outbox (kind_code, kind_text, payload) VALUES (0, 'some.plugin', '{"x":1}')`).run().lastInsertRowid);
    const audit = Number(db.prepare(`INSERT INTO outbox (kind_code, payload) VALUES (4, '{"y":2}')`).run().lastInsertRowid);
    const pending = store.pendingEvents(100).map((e) => e.id);
    expect(pending).toContain(other);
    expect(pending).toContain(audit);
    expect(store.queueDepth()['some.plugin']).toBe(1);
  });
});

// Someone holding the data folder edits the file with sqlite3: a value in a second form would hide an event from the
// readers that filter on the codes (a consent change written as text is not in kind_code 1), or make its times
// ambiguous. Each is refused by the constraint's name.
describe('the data-folder holder writes the compact outbox by hand', () => {
  beforeEach(() => migrate(db));
  const refused = (sql: string, constraint: RegExp) => expect(() => db.prepare(sql).run()).toThrow(constraint);

  it('cannot write a known kind as text, an unknown code, a state outside the six, or a time in two forms', () => {
    refused(`INSERT INTO outbox (kind_code, kind_text, payload) VALUES (0, 'consent.change', '{}')`, /CHECK constraint failed: outbox_kind_one_form/);
    refused(`INSERT INTO outbox (kind_code, kind_text, payload) VALUES (1, 'consent.change', '{}')`, /CHECK constraint failed: outbox_kind_one_form/);
    refused(`INSERT INTO outbox (kind_code, payload) VALUES (0, '{}')`, /CHECK constraint failed: outbox_kind_one_form/);
    refused(`INSERT INTO outbox (kind_code, payload) VALUES (8, '{}')`, /CHECK constraint failed: outbox_kind_one_form/);
    refused(`INSERT INTO outbox (kind_code, payload, state_code) VALUES (4, '{}', 6)`, /CHECK constraint failed: outbox_state_known/);
    refused(`INSERT INTO outbox (kind_code, payload, state_code) VALUES (4, '{}', -1)`, /CHECK constraint failed: outbox_state_known/);
    refused(`INSERT INTO outbox (kind_code, payload, created_ms, created_text) VALUES (4, '{}', 1, 'x')`, /CHECK constraint failed: outbox_created_one_form/);
    refused(`INSERT INTO outbox (kind_code, payload, created_ms) VALUES (4, '{}', NULL)`, /CHECK constraint failed: outbox_created_one_form/);
    refused(`INSERT INTO outbox (kind_code, payload, created_ms) VALUES (4, '{}', 253402300800000)`, /CHECK constraint failed: outbox_created_one_form/);
    refused(`INSERT INTO outbox (kind_code, payload, updated_ms, updated_text) VALUES (4, '{}', 1, 'x')`, /CHECK constraint failed: outbox_updated_one_form/);
    refused(`INSERT INTO outbox (kind_code, payload, updated_ms) VALUES (4, '{}', -1)`, /CHECK constraint failed: outbox_updated_range/);
    refused(`INSERT INTO outbox (kind_code, payload, state) VALUES (4, '{}', 'pending')`, /generated column/);
    const id = Number(db.prepare(`INSERT INTO outbox (kind_code, payload) VALUES (1, '{}')`).run().lastInsertRowid);
    refused(`UPDATE outbox SET kind_code = 0, kind_text = 'consent.change' WHERE id = ${id}`, /CHECK constraint failed: outbox_kind_one_form/);
    refused(`UPDATE outbox SET state = 'sent' WHERE id = ${id}`, /generated column/);
  });
});
