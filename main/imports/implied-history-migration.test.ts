// Migration 0020 alone (seed at 0019, migrate, assert): a database built by the old schema with real rows (CSV and
// FHIR imports, a re-import that supersedes, staff grants and revokes) loses only the 'create' history rows its
// consents imply, and every consent reads the same history and answers the same decision before and after.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decide } from '../access/answers';
import type { CategoryCode, PurposeCode } from '../api/consents';
import { openDatabase } from '../db/connection';
import { defaultMigrationsDir, migrate, readMigrationFiles, schemaVersion } from '../db/migrate';
import { migrationsDirUpTo } from '../db/migration-test-support';
import { consentDetail } from '../consents/queries';
import { loadOrCreateFacilitySecret, Pseudonymizer } from '../consents/pseudonym';
import { ConsentStore } from '../consents/store';
import { draft, fhirConsent, NPI, recipient, seedSecret, tempDir, type TestData } from '../consents/test-support';
import { ConsentWrites } from '../consents/writes';
import { csvText, importFile, line, writeFile } from './test-support';

const NAME = /_implied_import_history\.sql$/;
const version = readMigrationFiles(defaultMigrationsDir()).find((m) => NAME.test(m.name))!.version;

let t: TestData;
beforeEach(() => {
  const dir = tempDir('custodian-0020-');
  seedSecret(dir);
  const dbPath = path.join(dir, 'custodian.sqlite');
  const db = openDatabase(dbPath);
  migrate(db, { migrationsDir: migrationsDirUpTo(dir, version - 1) });
  const pseudonymizer = new Pseudonymizer(loadOrCreateFacilitySecret(dir));
  t = {
    dir,
    dbPath,
    db,
    store: new ConsentStore(db, pseudonymizer),
    pseudonymizer,
    cleanup() {
      if (db.open) db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
afterEach(() => t.cleanup());

/** What the 0019 store wrote, in the same transaction, for every consent an import row created: a 'create' entry naming the run and row. */
function writeHistoryAsSchema19Did(): number {
  return t.db
    .prepare(
      `INSERT INTO consent_history (consent_id, action, actor, at, detail)
       SELECT id, 'create', source, created_at, '{"row":' || source_row || ',"run":' || import_run_id || '}' FROM consents c
        WHERE import_run_id IS NOT NULL AND source_row IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM consent_history h WHERE h.consent_id = c.id AND h.action = 'create')`,
    )
    .run().changes;
}

const AT = Date.parse('2025-06-01T12:00:00Z');
function everyAnswer(): unknown[] {
  const keys = t.db.prepare('SELECT DISTINCT patient_id AS patientId, grantee, purpose, category FROM consents ORDER BY 1, 2, 3, 4').all() as {
    patientId: number;
    grantee: string;
    purpose: PurposeCode;
    category: CategoryCode;
  }[];
  return keys.map((k) => ({ k, answer: decide(t.db, { ...k, at: AT }) }));
}
function everyDetail(): unknown[] {
  const ids = (t.db.prepare('SELECT id FROM consents ORDER BY id').all() as { id: number }[]).map((r) => r.id);
  return ids.map((id) => consentDetail(t.db, id, AT / 1000));
}

describe('migration implied_import_history', () => {
  it('drops only the implied create entries; every consent keeps its history and its decision', async () => {
    expect(schemaVersion(t.db)).toBe(version - 1);
    // Real rows through the real writers: a CSV import, a re-import that changes C-2 (supersede), a FHIR import, a
    // staff grant and a staff revoke of an imported consent.
    let implied = 0;
    await importFile(t, writeFile(t, 'a.csv', csvText([line(), line({ external_id: 'C-2', grantee: NPI.b, decision: 'deny' }), line({ external_id: 'C-3', mrn: 'MRN0002', purpose: 'HPAYMT' })])));
    implied += writeHistoryAsSchema19Did();
    await importFile(t, writeFile(t, 'b.csv', csvText([line({ external_id: 'C-2', grantee: NPI.b, decision: 'permit' })])));
    implied += writeHistoryAsSchema19Did();
    const fhir = fhirConsent({}, { actor: [recipient({ system: 'http://hl7.org/fhir/sid/us-npi', value: NPI.c })] });
    expect((await importFile(t, writeFile(t, 'c.ndjson', `${JSON.stringify(fhir)}\n`), { format: 'fhir' })).accepted).toBeGreaterThan(0);
    implied += writeHistoryAsSchema19Did();
    const writes = new ConsentWrites(t.db, t.store);
    writes.grant(draft({ externalId: 'S-1', mrn: 'MRN0009' }), 'clerk-1');
    const c3 = (t.db.prepare(`SELECT id FROM consents WHERE external_id = 'C-3'`).get() as { id: number }).id;
    writes.revoke(c3, 'patient withdrew', 'mgr-1');
    expect(implied).toBeGreaterThanOrEqual(4);
    const historyBefore = (t.db.prepare('SELECT count(*) AS n FROM consent_history').get() as { n: number }).n;

    const details = everyDetail();
    const answers = everyAnswer();
    expect(answers.length).toBeGreaterThanOrEqual(4);

    const report = migrate(t.db, { migrationsDir: migrationsDirUpTo(t.dir, version, 'to-0020'), backupDir: path.join(t.dir, 'backups') });
    expect(report).toMatchObject({ fromVersion: version - 1, toVersion: version });
    expect(fs.existsSync(report.backupPath!)).toBe(true);

    // Exactly the implied rows went; the staff create, the supersede-create, the supersede and the revoke stayed.
    expect((t.db.prepare('SELECT count(*) AS n FROM consent_history').get() as { n: number }).n).toBe(historyBefore - implied);
    expect(t.db.prepare(`SELECT action, actor FROM consent_history ORDER BY id`).all()).toEqual(
      expect.arrayContaining([
        { action: 'create', actor: 'clerk-1' },
        { action: 'revoke', actor: 'mgr-1' },
        { action: 'supersede', actor: expect.stringMatching(/^import:/) },
        { action: 'create', actor: expect.stringMatching(/^import:/) },
      ]),
    );
    expect(t.db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'consents_superseded_by'`).get()).toEqual({ sql: expect.stringMatching(/WHERE superseded_by IS NOT NULL$/) });
    expect(everyDetail()).toEqual(details);
    expect(everyAnswer()).toEqual(answers);
  });

  it('keeps a create entry the row does not reproduce (another actor or time)', async () => {
    await importFile(t, writeFile(t, 'a.csv', csvText([line()])));
    writeHistoryAsSchema19Did();
    t.db.prepare(`UPDATE consent_history SET at = '2020-01-01T00:00:00.000Z'`).run();
    migrate(t.db, { migrationsDir: migrationsDirUpTo(t.dir, version, 'to-0020') });
    expect(t.db.prepare('SELECT action, at FROM consent_history').all()).toEqual([{ action: 'create', at: '2020-01-01T00:00:00.000Z' }]);
    const detail = consentDetail(t.db, 1, AT / 1000)!;
    expect(detail.history).toEqual([{ action: 'create', actor: expect.stringMatching(/^import:/), at: '2020-01-01T00:00:00.000Z', detail: { row: 1, run: 1 } }]);
  });
});

describe('an import on the current schema', () => {
  it('stores no create history row per consent; the detail shows the creation its row implies', async () => {
    migrate(t.db);
    await importFile(t, writeFile(t, 'a.csv', csvText([line(), line({ external_id: 'C-2', grantee: NPI.b })])));
    expect(t.db.prepare('SELECT count(*) AS n FROM consent_history').get()).toEqual({ n: 0 });
    const row = t.db.prepare(`SELECT created_at AS at FROM consents WHERE id = 2`).get() as { at: string };
    expect(consentDetail(t.db, 2, AT / 1000)!.history).toEqual([{ action: 'create', actor: 'import:1', at: row.at, detail: { row: 2, run: 1 } }]);
    // A later revoke is stored, after the implied creation.
    new ConsentWrites(t.db, t.store).revoke(2, 'patient withdrew', 'mgr-1');
    expect(consentDetail(t.db, 2, AT / 1000)!.history.map((h) => `${h.action} ${h.actor}`)).toEqual(['create import:1', 'revoke mgr-1']);
  });
});
