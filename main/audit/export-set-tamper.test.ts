// The attacker with the data folder and the database key (a second connection to the encrypted file, past the
// console) against a FHIR export's patient set: a row deleted, added or changed, the seal's digest edited, and the
// seal edited with every later hash recomputed. Each is refused by name (AUDIT_EXPORT_SET_TAMPERED in the accounting
// and in `audit verify`, or the signed heads), never answered with a shortened accounting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditVerifyReport, DisclosureAccounting } from '../api/audit';
import { exportPatientsDigest, EXPORT_SEAL_ACTION } from '../consents/export-seal';
import { openDatabase, type Db } from '../db/connection';
import { as, leaks, startIdentityFixture, type IdentityFixture } from '../compose/identity-fixture';
import { entryHash, recordAudit, type AuditEntry } from './trail';

let f: IdentityFixture;
let p1: number;
let p2: number;
let p3: number;
let exportId: string;
let ref: number;
const auditor = as('auditor');
const manager = as('records_manager');

beforeAll(async () => {
  f = await startIdentityFixture();
  [p1, p2, p3] = f.patientIds as [number, number, number];
  // An export of p1's and p2's consents; p3 is not in it.
  const started = await f.ok<{ exportId: string }>('consents.exportFhir', { ids: [f.consentIds[0], f.consentIds[1]] }, manager);
  expect(await f.services.jobs.waitFor(started.exportId)).toMatchObject({ state: 'succeeded' });
  exportId = started.exportId;
  ref = f.services.db.prepare('SELECT ref FROM consent_exports WHERE export_id = ?').pluck().get(exportId) as number;
  // A signed head over the log as it stands, as the console's head sealer would sign one.
  await f.ok('audit.batchNow', {}, manager);
}, 120_000);
afterAll(async () => f?.stop());

/** The attacker's own connection to the encrypted database file, with the key, past every check of the console. */
function attacker(fn: (raw: Db) => void): void {
  const raw = openDatabase(f.services.dbPath, { key: f.services.dbKey });
  try {
    fn(raw);
  } finally {
    raw.close();
  }
}

async function refused(channel: string, input: unknown, who = auditor) {
  const result = await f.services.call(channel, input, who);
  if (result.ok) throw new Error(`${channel} answered although the export set was tampered with`);
  return result.error;
}

const setOf = (): number[] => f.services.db.prepare('SELECT patient_id FROM consent_export_patients WHERE export_ref = ? ORDER BY patient_id').pluck().all(ref) as number[];
const verify = () => f.ok<AuditVerifyReport>('audit.verify', { depth: 'full' }, auditor);

/** Runs an attack, checks that the accounting of `patientId` and verify refuse it by name, then undoes it. */
async function expectTamperRefused(patientId: number, attack: (raw: Db) => void, undo: (raw: Db) => void): Promise<void> {
  attacker(attack);
  try {
    const error = await refused('audit.disclosures', { patientId });
    expect(error.code).toBe('AUDIT_EXPORT_SET_TAMPERED');
    expect(error.message).toContain(`FHIR export ${exportId}`);
    // It names the export and the signed entry, never a patient.
    expect(Object.keys(error.details as object).sort()).toEqual(['entryId', 'exportId']);
    expect(error.message).not.toMatch(/patient (no\.|id) \d/i);
    expect(leaks(error)).toEqual([]);
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.exportSets.tampered).toEqual([expect.objectContaining({ exportId })]);
    expect(report.warnings.join('\n')).toContain(`AUDIT_EXPORT_SET_TAMPERED: the patient set of FHIR export ${exportId}`);
  } finally {
    attacker(undo);
  }
}

describe('a FHIR export patient set under attack (encrypted database, second connection with the key)', () => {
  it('is sealed in the signed log: the seal entry holds the digest and count, and accountings verify it', async () => {
    const seal = f.services.db.prepare('SELECT * FROM audit_log WHERE action = ? AND subject = ?').get(EXPORT_SEAL_ACTION, `export:${exportId}`) as AuditEntry;
    expect(JSON.parse(seal.details)).toEqual({ patients: 2, patientsDigest: exportPatientsDigest(exportId, [p1, p2].sort((a, b) => a - b)).digest, digestScheme: expect.any(String) });
    expect(setOf()).toEqual([p1, p2].sort((a, b) => a - b));
    const a = await f.ok<DisclosureAccounting>('audit.disclosures', { patientId: p2 }, auditor);
    expect(a.exports).toEqual({ verified: 1, notCovered: [] });
    // The seal entry is not a disclosure: only the export itself is listed.
    expect(a.events.filter((e) => e.kind === 'export').map((e) => e.what)).toEqual([`consents.exportFhir export:${exportId} (browser)`]);
    const report = await verify();
    expect(report.exportSets).toEqual({ verified: 1, notCovered: 0, tampered: [] });
    expect(report.ok).toBe(true);
  });

  it('a patient deleted from the set: their accounting fails closed instead of silently omitting the export', async () => {
    await expectTamperRefused(
      p2,
      (raw) => raw.prepare('DELETE FROM consent_export_patients WHERE patient_id = ? AND export_ref = ?').run(p2, ref),
      (raw) => raw.prepare('INSERT INTO consent_export_patients (patient_id, export_ref) VALUES (?, ?)').run(p2, ref),
    );
    // Another patient's accounting in the period is refused too: the set is checked, not just the patient's rows.
    attacker((raw) => raw.prepare('DELETE FROM consent_export_patients WHERE patient_id = ? AND export_ref = ?').run(p2, ref));
    try {
      expect((await refused('audit.disclosures', { patientId: p3 })).code).toBe('AUDIT_EXPORT_SET_TAMPERED');
    } finally {
      attacker((raw) => raw.prepare('INSERT INTO consent_export_patients (patient_id, export_ref) VALUES (?, ?)').run(p2, ref));
    }
    expect((await f.ok<DisclosureAccounting>('audit.disclosures', { patientId: p2 }, auditor)).exports.verified).toBe(1);
  });

  it('a patient added to the set is refused', async () => {
    await expectTamperRefused(
      p3,
      (raw) => raw.prepare('INSERT INTO consent_export_patients (patient_id, export_ref) VALUES (?, ?)').run(p3, ref),
      (raw) => raw.prepare('DELETE FROM consent_export_patients WHERE patient_id = ? AND export_ref = ?').run(p3, ref),
    );
  });

  it('a patient id changed in the set (same count) is refused', async () => {
    await expectTamperRefused(
      p2,
      (raw) => raw.prepare('UPDATE consent_export_patients SET patient_id = ? WHERE patient_id = ? AND export_ref = ?').run(p3, p2, ref),
      (raw) => raw.prepare('UPDATE consent_export_patients SET patient_id = ? WHERE patient_id = ? AND export_ref = ?').run(p2, p3, ref),
    );
  });

  it('the whole set deleted, or marked incomplete, is refused', async () => {
    await expectTamperRefused(
      p1,
      (raw) => raw.prepare(`UPDATE consent_exports SET state = 'writing' WHERE ref = ?`).run(ref),
      (raw) => raw.prepare(`UPDATE consent_exports SET state = 'written' WHERE ref = ?`).run(ref),
    );
    let rows: number[] = [];
    let exportRow: Record<string, unknown> = {};
    await expectTamperRefused(
      p1,
      (raw) => {
        rows = setOf();
        exportRow = raw.prepare('SELECT * FROM consent_exports WHERE ref = ?').get(ref) as Record<string, unknown>;
        raw.prepare('DELETE FROM consent_export_patients WHERE export_ref = ?').run(ref);
        raw.prepare('DELETE FROM consent_exports WHERE ref = ?').run(ref);
      },
      (raw) => {
        raw.prepare('INSERT INTO consent_exports (ref, export_id, state, patients, created_at) VALUES (@ref, @export_id, @state, @patients, @created_at)').run(exportRow);
        for (const id of rows) raw.prepare('INSERT INTO consent_export_patients (patient_id, export_ref) VALUES (?, ?)').run(id, ref);
      },
    );
  });

  it('an export recorded before sets were sealed is named as not covered, never counted as verified', async () => {
    // What an earlier version left: a complete set and its export entry, no seal entry.
    const db = f.services.db;
    db.transaction(() => {
      const legacyRef = Number(db.prepare(`INSERT INTO consent_exports (export_id, state, patients, created_at) VALUES ('legacy-export', 'written', 1, ?)`).run(new Date().toISOString()).lastInsertRowid);
      db.prepare('INSERT INTO consent_export_patients (patient_id, export_ref) VALUES (?, ?)').run(p1, legacyRef);
      recordAudit(db, { actor: manager, action: 'consents.exportFhir', outcome: 'success', subject: 'export:legacy-export', details: { selection: { ids: 1 } } });
    })();
    const a = await f.ok<DisclosureAccounting>('audit.disclosures', { patientId: p1 }, auditor);
    expect(a.exports).toEqual({ verified: 1, notCovered: ['legacy-export'] });
    expect(a.events.some((e) => e.what.startsWith('consents.exportFhir export:legacy-export'))).toBe(true);
    const report = await verify();
    expect(report.exportSets).toMatchObject({ verified: 1, notCovered: 1, tampered: [] });
    expect(report.warnings.join('\n')).toMatch(/1 FHIR export\(s\) have patient sets recorded before sets were sealed/);
  });

  // Last: these leave the log itself altered.
  it("the seal's digest edited to fit a shortened set: the entry's own hash, and after a full rehash the signed head, catch it", async () => {
    const seal = f.services.db.prepare('SELECT * FROM audit_log WHERE action = ? AND subject = ?').get(EXPORT_SEAL_ACTION, `export:${exportId}`) as AuditEntry;
    const shortened = [p1];
    const forged = JSON.stringify({ ...JSON.parse(seal.details), patients: 1, patientsDigest: exportPatientsDigest(exportId, shortened).digest });
    attacker((raw) => {
      raw.exec('DROP TRIGGER audit_log_no_update');
      raw.prepare('DELETE FROM consent_export_patients WHERE patient_id = ? AND export_ref = ?').run(p2, ref);
      raw.prepare('UPDATE audit_log SET details = ? WHERE id = ?').run(forged, seal.id);
    });
    // Edited in place: the accounting sees the entry no longer gives its own hash; verify names the entry.
    const error = await refused('audit.disclosures', { patientId: p2 });
    expect(error).toMatchObject({ code: 'AUDIT_EXPORT_SET_TAMPERED', details: { exportId, entryId: seal.id } });
    expect(error.message).toMatch(/no longer gives its own hash/);
    const edited = await verify();
    expect(edited.ok).toBe(false);
    expect(edited.firstProblem).toMatchObject({ entryId: seal.id });

    // Every hash from the seal on recomputed (the scheme is public): the hash chain and the digest agree again, so
    // only the signed head tells; verify says the log no longer gives the root signed over it.
    attacker((raw) => raw.transaction(() => {
      const later = raw.prepare('SELECT * FROM audit_log WHERE id >= ? ORDER BY id').all(seal.id) as AuditEntry[];
      let prev = (raw.prepare('SELECT hash FROM audit_log WHERE id = ?').pluck().get(seal.id - 1) as string);
      for (const e of later) {
        const fields = { ...e, prev_hash: prev };
        const { hash: _old, ...rest } = fields;
        prev = entryHash(rest);
        raw.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?').run(fields.prev_hash, prev, e.id);
      }
    })());
    const rehashed = await verify();
    expect(rehashed.ok).toBe(false);
    expect(rehashed.firstProblem).toMatchObject({ kind: 'changed' });
    expect(rehashed.firstProblem!.message).toMatch(/no longer give the root signed/);
  });
});
