// Shared by the consents and imports tests: a migrated database in a temporary data folder with a fixed
// facility secret, drafts with sensible defaults, and a checksum of the consents table for exact comparisons.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../db/connection';
import { migrate } from '../db/migrate';
import { FHIR_SYSTEMS } from './codes';
import type { ConsentDraft } from './draft';
import { facilitySecretPath, loadOrCreateFacilitySecret, Pseudonymizer } from './pseudonym';
import { ConsentStore } from './store';

export const TEST_SECRET_HEX = 'a1'.repeat(32);
/** Valid NPIs (check digit per CMS). */
export const NPI = { a: '1234567893', b: '1245319599', c: '1003000126' } as const;

export interface TestData {
  dir: string;
  dbPath: string;
  db: Db;
  store: ConsentStore;
  pseudonymizer: Pseudonymizer;
  cleanup(): void;
}

export function tempDir(prefix = 'custodian-consents-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes the fixed test secret, so pseudonyms (and document hashes) are the same in every test data folder. */
export function seedSecret(dataDir: string): void {
  const file = facilitySecretPath(dataDir);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${TEST_SECRET_HEX}\n`, { mode: 0o600 });
}

export function testData(prefix?: string): TestData {
  const dir = tempDir(prefix);
  seedSecret(dir);
  const dbPath = path.join(dir, 'custodian.sqlite');
  const db = openDatabase(dbPath);
  migrate(db);
  const pseudonymizer = new Pseudonymizer(loadOrCreateFacilitySecret(dir));
  return {
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
}

export function draft(overrides: Partial<ConsentDraft> = {}): ConsentDraft {
  return {
    externalId: null,
    facility: 'GH01',
    mrn: 'MRN0001',
    patientName: 'Roe, Jane',
    birthDate: '1980-05-17',
    grantee: NPI.a,
    granteeKind: 'npi',
    decision: 'permit',
    purpose: 'TREAT',
    category: 'general',
    periodStart: Date.UTC(2024, 0, 1) / 1000,
    periodEnd: null,
    status: 'active',
    revokedReason: null,
    documentHash: null,
    ...overrides,
  };
}

/** SHA-256 over the deterministic columns of every consent row (ids included, clocks excluded), in id order. */
export function consentsChecksum(db: Db): { rows: number; sha256: string } {
  const hash = crypto.createHash('sha256');
  let rows = 0;
  const it = db
    .prepare(
      `SELECT c.id, c.external_id, p.facility, p.mrn, p.pseudonym, c.grantee, c.grantee_kind, c.decision, c.purpose, c.category, c.period_start,
         c.period_end, c.status, c.document_hash, c.import_run_id, c.source_row, c.superseded_by, c.revoked_reason, c.seq
       FROM consents c JOIN patients p ON p.id = c.patient_id ORDER BY c.id`,
    )
    .raw()
    .iterate();
  for (const row of it) {
    hash.update(JSON.stringify(row));
    rows++;
  }
  return { rows, sha256: hash.digest('hex') };
}

/** A valid FHIR R4 Consent (contained patient, one NPI actor, TREAT), with overrides for the resource and its root provision. */
/** A provision actor with the recipient role (IRCP), the only role that makes an actor a grantee. */
export function recipient(identifier: { system?: string; value: string }): Record<string, unknown> {
  return { role: { coding: [{ system: FHIR_SYSTEMS.participationType, code: 'IRCP' }] }, reference: { identifier } };
}

export function fhirConsent(overrides: Record<string, unknown> = {}, provision: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: 'Consent',
    id: 'c1',
    status: 'active',
    scope: { coding: [{ system: FHIR_SYSTEMS.consentScope, code: 'patient-privacy' }] },
    category: [{ coding: [{ system: FHIR_SYSTEMS.loinc, code: '59284-0' }] }],
    patient: { reference: '#p' },
    contained: [{ resourceType: 'Patient', id: 'p', identifier: [{ system: 'urn:oid:1.2.3', value: 'MRN77' }], name: [{ family: 'Roe', given: ['Jane', 'Q'] }], birthDate: '1980-05-17' }],
    dateTime: '2023-12-15',
    policyRule: { coding: [{ system: FHIR_SYSTEMS.actCode, code: 'OPTIN' }] },
    provision: {
      period: { start: '2024-01-01', end: '2026-12-31' },
      actor: [recipient({ system: FHIR_SYSTEMS.npi, value: NPI.a })],
      purpose: [{ system: FHIR_SYSTEMS.actReason, code: 'TREAT' }],
      ...provision,
    },
    ...overrides,
  };
}

