// Migration 0023 alone (seed at 0022, migrate, assert): queued, batched and confirmed consent.change events stored
// as copies become references wherever the rebuilt payload equals the stored text to the byte, and every payload
// the engine reads afterwards (outbox_events) is byte-identical to the one stored before, the ones it could not
// rebuild (a wrong grantee hash, a consent id with other terms, a v1 payload, a row that is gone) included.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CATEGORY_HASHES, consentChangeJson, granteeHashOf, PURPOSE_HASHES, type ChangeSource } from '../consents/outbox-events';
import { openDatabase, type Db } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';

const NAME = /_outbox_by_reference\.sql$/;
const version = readMigrationFiles(defaultMigrationsDir()).find((m) => NAME.test(m.name))!.version;

let dir: string;
let db: Db;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-0023-'));
  db = openDatabase(path.join(dir, 'custodian.sqlite'));
  migrate(db, { migrationsDir: migrationsDirUpTo(dir, version - 1) });
});
afterEach(() => {
  if (db.open) db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const hex32 = (byte: string) => `0x${byte.repeat(32)}`;
const AT = '2026-01-01T00:00:00.000Z';

/** A consent row as 0022 stores it; its terms are the ones the ChangeSource names. */
function consentRow(c: Omit<ChangeSource, 'change' | 'consentId' | 'hlc' | 'prevHlc' | 'revoked'>, patientId: number): number {
  return Number(
    db
      .prepare(
        `INSERT INTO consents (patient_id, grantee, grantee_kind, decision, purpose, category, period_start, period_end, status, document_hash_bin, source, seq, created_at, updated_at, hlc)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, 'staff:s1', 1, ?, ?, '0000000000000001')`,
      )
      .run(patientId, c.grantee, c.granteeKind, c.decision, c.purpose, c.category, c.periodStart, c.periodEnd, Buffer.from(c.documentHash.slice(2), 'hex'), AT, AT).lastInsertRowid,
  );
}

describe('migration 0023 (outbox payloads by reference)', () => {
  it('converts every event it can rebuild to the byte, keeps the others as copies, and every payload reads as before', () => {
    const patient = (n: number, pseudonym: string) => Number(db.prepare(`INSERT INTO patients (facility, mrn, pseudonym, created_at) VALUES ('GH01', ?, ?, ?)`).run(`MRN${n}`, pseudonym, AT).lastInsertRowid);
    const p1 = patient(1, hex32('a1'));
    const p2 = patient(2, hex32('b2'));
    const base = { pseudonym: hex32('a1'), grantee: '1234567893', granteeKind: 'npi', purpose: 'TREAT', category: 'general', decision: 'permit', periodStart: 1_700_000_000, periodEnd: null, documentHash: hex32('5d') } as const;
    const texts: string[] = [];
    const queue = (payload: string, state = 'pending') => {
      texts.push(payload);
      db.prepare(`INSERT INTO outbox (kind, payload, state, batch_id, created_at, updated_at) VALUES ('consent.change', ?, ?, ?, ?, ?)`).run(payload, state, state === 'pending' ? null : `0x${'ee'.repeat(32)}`, AT, AT);
    };
    // Rebuildable: a create, its revoke (a stamp with the top bit set), a supersede of another patient with odd text,
    // periods before 1970 and closed ones, in every state.
    const c1 = consentRow(base, p1);
    queue(consentChangeJson({ ...base, change: 'create', consentId: c1, hlc: '0190aabbccdd0001', revoked: false }), 'confirmed');
    queue(consentChangeJson({ ...base, change: 'revoke', consentId: c1, hlc: 'ff90aabbccdd0002', prevHlc: '0190aabbccdd0001', revoked: true }), 'batched');
    const odd = { ...base, pseudonym: hex32('b2'), grantee: 'Org "Q" \\ \u001f Ünï \u2028', granteeKind: 'org', purpose: 'HMARKT', category: 'HIV', decision: 'deny', periodStart: -5, periodEnd: 0 } as const;
    const c2 = consentRow(odd, p2);
    queue(consentChangeJson({ ...odd, change: 'supersede', consentId: c2, hlc: '0190aabbccdd0003', revoked: false }));
    const c3 = consentRow({ ...base, grantee: '1245319599' }, p1);
    const c3Create = consentChangeJson({ ...base, grantee: '1245319599', change: 'create', consentId: c3, hlc: '0190aabbccdd0004', revoked: false });
    queue(c3Create);
    const rebuildable = texts.length;
    // Not rebuildable: the same change with a wrong grantee hash (a tampered or buggy copy beside the right one), a
    // consent id whose row holds other terms, a consent that is gone, a v1 payload.
    queue(JSON.stringify({ ...JSON.parse(c3Create), granteeHash: hex32('ff') }));
    queue(consentChangeJson({ ...base, decision: 'deny', change: 'create', consentId: c1, hlc: '0190aabbccdd0005', revoked: false }));
    queue(consentChangeJson({ ...base, change: 'create', consentId: 999, hlc: '0190aabbccdd0006', revoked: false }));
    queue(JSON.stringify({ v: 1, change: 'create', consentId: c1, seq: 1 }), 'confirmed');
    // Another kind is never touched.
    db.prepare(`INSERT INTO outbox (kind, payload) VALUES ('audit.root', '{"v":1}')`).run();

    // Up to this migration exactly: a later one may change what these rows look like.
    migrate(db, { migrationsDir: migrationsDirUpTo(dir, version) });
    expect(schemaVersion(db)).toBe(version);
    expect(db.prepare(`SELECT payload FROM outbox_events WHERE kind = 'consent.change' ORDER BY id`).pluck().all()).toEqual(texts);
    const storedNow = db.prepare(`SELECT payload FROM outbox WHERE kind = 'consent.change' ORDER BY id`).pluck().all() as string[];
    expect(storedNow.slice(0, rebuildable)).toEqual(Array(rebuildable).fill(''));
    expect(storedNow.slice(rebuildable)).toEqual(texts.slice(rebuildable));
    expect(db.prepare(`SELECT count(*) FROM outbox_refs`).pluck().get()).toBe(rebuildable);
    expect(db.prepare(`SELECT payload FROM outbox_events WHERE kind = 'audit.root'`).pluck().get()).toBe('{"v":1}');
    // The purpose and category hashes are the ledger's, whatever a stored payload said.
    const hashes = Object.fromEntries(db.prepare(`SELECT text, hash FROM outbox_ref_hashes`).all().map((r) => [(r as { text: string }).text, (r as { hash: string }).hash]));
    expect(hashes).toMatchObject({ ...PURPOSE_HASHES, ...CATEGORY_HASHES });
    expect(hashes['npi:1245319599']).toBe(granteeHashOf('npi', '1245319599'));
  });
});
