// The signed cover of a FHIR export's patient set (consent_export_patients): a digest and count written into an
// audit entry together with the set, so the signed, hash-chained log covers a table the accounting of disclosures
// reads. The accounting and `audit verify` recompute it; a set that no longer matches fails closed, by export id.
import crypto from 'node:crypto';
import { AppError } from '../api/errors';
import type { AuditVerifyReport } from '../api/audit';
import type { Db } from '../db/connection';
import type { AuditEntry } from '../audit/trail';
import { entryHash } from '../audit/entry-hash';
import { systemAudit } from '../audit/system-audit';

/** The audit action of the seal: subject 'export:<export id>', details {patients, patientsDigest, digestScheme}. */
export const EXPORT_SEAL_ACTION = 'consents.exportPatients' as const;
/** Names the encoding below; a verifier refuses a scheme it does not know rather than guess. */
export const EXPORT_DIGEST_SCHEME = 'sha256/custodian-consent-export-patients/v1';
const DOMAIN = Buffer.from(`${EXPORT_DIGEST_SCHEME}\0`, 'utf8');
const IDS_PER_UPDATE = 4096;

/**
 * SHA-256 over: the scheme name and a NUL (domain separation: no other digest of the console can collide with it),
 * the export id (u32 big-endian byte length, then UTF-8: a set cannot be moved to another export), each patient id
 * as a signed 64-bit big-endian integer in strictly ascending order, then the count (u64 big-endian). Fixed-width
 * fields and the trailing count make the encoding unambiguous. Fed one id at a time, so a whole table can be
 * digested in one scan, several exports at once.
 */
export class ExportPatientsDigest {
  private readonly hash = crypto.createHash('sha256').update(DOMAIN);
  private readonly chunk = Buffer.alloc(8 * IDS_PER_UPDATE);
  private inChunk = 0;
  private previous: number | null = null;
  count = 0;

  constructor(private readonly exportId: string) {
    const idBytes = Buffer.from(exportId, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(idBytes.length);
    this.hash.update(len).update(idBytes);
  }

  /** Throws on an id out of order or repeated: the encoding is of a sorted set. */
  add(id: number): void {
    if (!Number.isSafeInteger(id) || (this.previous !== null && id <= this.previous)) throw new Error(`patient ids of export ${this.exportId} are not strictly ascending integers`);
    this.previous = id;
    this.chunk.writeBigInt64BE(BigInt(id), 8 * this.inChunk++);
    this.count++;
    if (this.inChunk === IDS_PER_UPDATE) {
      this.hash.update(this.chunk);
      this.inChunk = 0;
    }
  }

  digest(): string {
    this.hash.update(this.chunk.subarray(0, 8 * this.inChunk));
    const tail = Buffer.alloc(8);
    tail.writeBigUInt64BE(BigInt(this.count));
    return this.hash.update(tail).digest('hex');
  }
}

export function exportPatientsDigest(exportId: string, ascendingIds: Iterable<number>): { digest: string; count: number } {
  const d = new ExportPatientsDigest(exportId);
  for (const id of ascendingIds) d.add(id);
  return { count: d.count, digest: d.digest() };
}

/** Writes the seal entry (by the system: the export job has no signed-in caller). Call it inside the set's transaction. */
export function sealExportPatients(db: Db, exportId: string, ascendingIds: Iterable<number>, now: Date): { entryId: number } {
  const { digest, count } = exportPatientsDigest(exportId, ascendingIds);
  const { id } = systemAudit(db, {
    action: EXPORT_SEAL_ACTION,
    subject: `export:${exportId}`,
    details: { patients: count, patientsDigest: digest, digestScheme: EXPORT_DIGEST_SCHEME },
    at: now,
  });
  return { entryId: id };
}

export type ExportSetCheck =
  /** The set matches its seal entry. */
  | { state: 'verified'; exportId: string; entryId: number; patients: number }
  /** A complete set without a seal entry: recorded before sets were sealed; nothing protects it. */
  | { state: 'not-covered'; exportId: string }
  /** Neither a complete set nor a seal: the export never finished (failed, cancelled), so it carried nobody. */
  | { state: 'none'; exportId: string }
  | { state: 'tampered'; exportId: string; entryId: number; reason: string };

type SealRow = AuditEntry;

function sealOf(row: SealRow): { patients: number; digest: string } | null {
  try {
    const d = JSON.parse(row.details) as Record<string, unknown>;
    if (d.digestScheme !== EXPORT_DIGEST_SCHEME || typeof d.patientsDigest !== 'string' || !Number.isSafeInteger(d.patients)) return null;
    return { patients: d.patients as number, digest: d.patientsDigest };
  } catch {
    return null;
  }
}

/**
 * Recomputes the patient set digest of each export from the tables and compares it with every seal entry of the
 * export. The sets are read in one scan of consent_export_patients in primary-key order (patient id first, so each
 * export's ids arrive ascending) in one statement: one snapshot, no index beyond the table's own.
 */
export function checkExportSets(db: Db, exportIds: readonly string[]): ExportSetCheck[] {
  if (exportIds.length === 0) return [];
  const wanted = new Set(exportIds);
  const seals = new Map<string, SealRow[]>();
  for (const row of db.prepare(`SELECT * FROM audit_log WHERE action = ? ORDER BY id`).iterate(EXPORT_SEAL_ACTION) as IterableIterator<SealRow>) {
    const exportId = row.subject?.startsWith('export:') ? row.subject.slice('export:'.length) : null;
    if (exportId !== null && wanted.has(exportId)) seals.set(exportId, [...(seals.get(exportId) ?? []), row]);
  }
  const sets = new Map<string, { ref: number; state: string }>();
  for (const row of db.prepare(`SELECT ref, export_id, state FROM consent_exports`).iterate() as IterableIterator<{ ref: number; export_id: string; state: string }>) {
    if (wanted.has(row.export_id)) sets.set(row.export_id, row);
  }
  const results = new Map<string, ExportSetCheck>();
  const digests = new Map<number, { exportId: string; digest: ExportPatientsDigest }>();
  for (const exportId of wanted) {
    const sealRows = seals.get(exportId) ?? [];
    const set = sets.get(exportId);
    const tampered = (reason: string): ExportSetCheck => ({ state: 'tampered', exportId, entryId: sealRows[0]!.id, reason });
    if (sealRows.length === 0) results.set(exportId, set?.state === 'written' ? { state: 'not-covered', exportId } : { state: 'none', exportId });
    else if (!set) results.set(exportId, tampered('its patient set is gone from the database'));
    else if (set.state !== 'written') results.set(exportId, tampered('its patient set is marked incomplete although it was sealed complete'));
    else digests.set(set.ref, { exportId, digest: new ExportPatientsDigest(exportId) });
  }
  if (digests.size > 0) {
    const scan = db.prepare(`SELECT patient_id, export_ref FROM consent_export_patients ORDER BY patient_id, export_ref`).raw().iterate() as IterableIterator<[number, number]>;
    for (const [patientId, ref] of scan) digests.get(ref)?.digest.add(patientId);
  }
  for (const { exportId, digest } of digests.values()) {
    const sealRows = seals.get(exportId)!;
    const actual = { count: digest.count, digest: digest.digest() };
    let result: ExportSetCheck = { state: 'verified', exportId, entryId: sealRows[0]!.id, patients: actual.count };
    for (const row of sealRows) {
      const seal = sealOf(row);
      // An entry edited in place no longer gives its own hash; one edited with every later hash recomputed is
      // caught only by the signed heads (`audit verify`).
      const { hash, ...fields } = row;
      const reason = entryHash(fields) !== hash
        ? 'its seal entry was edited (the entry no longer gives its own hash)'
        : !seal
        ? 'its seal entry does not hold a digest this version can check'
        : seal.patients !== actual.count
          ? `the set holds ${actual.count} patient(s), the signed entry says ${seal.patients}`
          : seal.digest !== actual.digest
            ? 'its patient ids are not the ones the signed digest covers'
            : null;
      if (reason) {
        result = { state: 'tampered', exportId, entryId: row.id, reason };
        break;
      }
    }
    results.set(exportId, result);
  }
  return [...wanted].map((id) => results.get(id)!);
}

/** The named error of a tampered set: the export and entry, never a patient id. */
export function exportSetTampered(check: Extract<ExportSetCheck, { state: 'tampered' }>): AppError {
  return new AppError(
    'AUDIT_EXPORT_SET_TAMPERED',
    `The patient set of FHIR export ${check.exportId} no longer matches its signed audit entry ${check.entryId}: ${check.reason}. The database was altered outside the console; an accounting from it could omit this export.`,
    { exportId: check.exportId, entryId: check.entryId },
  );
}

/** Every export the log seals or the tables hold a complete set for (for `audit verify`). */
export function allExportIds(db: Db): string[] {
  const sealed = db.prepare(`SELECT DISTINCT substr(subject, 8) FROM audit_log WHERE action = ? AND subject LIKE 'export:%'`).pluck().all(EXPORT_SEAL_ACTION) as string[];
  const written = db.prepare(`SELECT export_id FROM consent_exports WHERE state = 'written'`).pluck().all() as string[];
  return [...new Set([...sealed, ...written])].sort();
}

/** Every FHIR export's patient set against the digest of its seal entry, in one scan: audit verify's exportSets (AuditDeps). */
export function checkExportPatientSets(db: Db): AuditVerifyReport['exportSets'] {
  const result: AuditVerifyReport['exportSets'] = { verified: 0, notCovered: 0, tampered: [] };
  for (const check of checkExportSets(db, allExportIds(db))) {
    if (check.state === 'verified') result.verified++;
    else if (check.state === 'not-covered') result.notCovered++;
    else if (check.state === 'tampered') {
      result.tampered.push({ exportId: check.exportId, entryId: check.entryId, message: `AUDIT_EXPORT_SET_TAMPERED: the patient set of FHIR export ${check.exportId} no longer matches its signed entry ${check.entryId}: ${check.reason}.` });
    }
  }
  return result;
}
