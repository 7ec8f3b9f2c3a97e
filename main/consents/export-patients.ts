// Which patients each FHIR consent export carried (tables consent_exports, consent_export_patients; migration 0017),
// for the accounting of disclosures: the export is audited once per call, and a patient's accounting finds it here.
import type { Db } from '../db/connection';
import { sealExportPatients } from './export-seal';

/** Patient ids as an export meets them (4 bytes each, duplicates and all): sorted and deduplicated when recorded. */
export class ExportPatientSet {
  private ids = new Int32Array(1024);
  private size = 0;

  add(patientId: number): void {
    // Rows of one patient often come together: skip a repeat at once.
    if (this.size > 0 && this.ids[this.size - 1] === patientId) return;
    if (this.size === this.ids.length) {
      const grown = new Int32Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.size++] = patientId;
  }

  /** The distinct ids, ascending. */
  distinct(): Int32Array {
    const sorted = this.ids.slice(0, this.size).sort();
    let n = 0;
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
    return sorted.subarray(0, n);
  }
}

const CHUNK = 10_000;

/**
 * Records the export's patient set, in chunks (short write transactions beside the console's), and marks it
 * written last, with its seal entry in the audit trail: only a complete set counts in an accounting. Call it before the export's file is put in place.
 */
export function recordExportPatients(db: Db, exportId: string, patients: ExportPatientSet, now: Date): number {
  const ids = patients.distinct();
  const ref = Number(
    db.prepare(`INSERT INTO consent_exports (export_id, state, patients, created_at) VALUES (?, 'writing', ?, ?)`).run(exportId, ids.length, now.toISOString()).lastInsertRowid,
  );
  const insert = db.prepare(`INSERT OR IGNORE INTO consent_export_patients (patient_id, export_ref) VALUES (?, ?)`);
  const chunk = db.transaction((from: number) => {
    for (let i = from; i < Math.min(from + CHUNK, ids.length); i++) insert.run(ids[i], ref);
  });
  for (let from = 0; from < ids.length; from += CHUNK) chunk(from);
  // Complete and sealed at once: the seal entry (digest and count, export-seal.ts) puts the set under the signed log.
  db.transaction(() => {
    db.prepare(`UPDATE consent_exports SET state = 'written' WHERE ref = ?`).run(ref);
    sealExportPatients(db, exportId, ids, now);
  }).immediate();
  return ids.length;
}

/** The ids of the complete exports that carried this patient's record. */
export function exportsOfPatient(db: Db, patientId: number): string[] {
  return db
    .prepare(
      `SELECT e.export_id FROM consent_export_patients p JOIN consent_exports e ON e.ref = p.export_ref
        WHERE p.patient_id = ? AND e.state = 'written' ORDER BY e.ref`,
    )
    .pluck()
    .all(patientId) as string[];
}
