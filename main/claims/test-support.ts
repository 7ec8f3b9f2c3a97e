// Shared by the claims tests and the benchmark: a migrated database with the fixed test facility secret, patients
// with HPAYMT consents for a payer, providers with credential verdicts, and claims CSV files.
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/connection';
import type { Pseudonymizer } from '../consents/pseudonym';
import { CLAIM_COLUMNS } from './fields';
import { CATEGORY_CODE, DECISION_CODE, GRANTEE_KIND_CODE, PURPOSE_CODE, STATUS_CODE, timeColumns } from '../consents/compact-columns';
import { patientValues, PATIENT_STORED_COLUMNS } from '../consents/patient-columns';

export const PAYER = 'PAYER-ACME';
/** The address answering for PAYER: anvil's public dev account #1 (a local test chain only). */
export const PAYER_ADDRESS = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
/** Valid NPIs (check digit per CMS). */
export const NPIS = { verified: '1234567893', revoked: '1245319599', lapsed: '1003000126', unknown: '1558444216' } as const;

const now = '2026-01-01T00:00:00.000Z';

export function seedPatient(db: Db, pseudonymizer: Pseudonymizer, facility: string, mrn: string): number {
  return Number(
    db.prepare(`INSERT INTO patients (facility, mrn, name, ${PATIENT_STORED_COLUMNS}) VALUES (?, ?, 'Test, Patient', ?, ?, ?)`).run(facility, mrn, ...patientValues(pseudonymizer.pseudonym(facility, mrn), now)).lastInsertRowid,
  );
}

/** A consent row for purpose HPAYMT (payment), category general, granted to the payer organisation. */
export function seedPaymentConsent(db: Db, patientId: number, payer: string, decision: 'permit' | 'deny' = 'permit', status: 'active' | 'revoked' = 'active'): number {
  return Number(
    db
      .prepare(
        `INSERT INTO consents (external_id, patient_id, grantee, grantee_kind_code, decision_code, purpose_code, category_code, period_start, period_end, status_code, document_hash_bin, source_text, seq, created_ms, created_text, updated_ms, updated_text)
         VALUES (?, ?, ?, ${GRANTEE_KIND_CODE.org}, ?, ${PURPOSE_CODE.HPAYMT}, ${CATEGORY_CODE.general}, 0, NULL, ?, unhex(substr(?, 3)), 'test', 1, ?, ?, ?, ?)`,
      )
      .run(`C-${patientId}-${payer}`, patientId, payer, DECISION_CODE[decision], STATUS_CODE[status], `0x${'ab'.repeat(32)}`, ...timeColumns(now), ...timeColumns(now)).lastInsertRowid,
  );
}

/**
 * When seeded credentials were last verified, by default: the check time of the claims tests and benchmark
 * (2026-12-04), so the credential gate's maximum age (24 h by default) holds at their pinned clocks.
 */
export const VERIFIED_AT = '2026-12-04T00:00:00.000Z';

let credentialCounter = 0;
/** A provider with one credential carrying `verdict` (the rows verification would have written). */
export function seedProvider(db: Db, npi: string, credential: { verdict: string | null; validFrom?: string; validUntil?: string; verifiedAt?: string }): number {
  const providerId = Number(db.prepare(`INSERT INTO providers (npi, name, source, created_at, updated_at) VALUES (?, 'Dr Test', 'test', ?, ?)`).run(npi, now, now).lastInsertRowid);
  credentialCounter++;
  const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');
  db.prepare(
    `INSERT INTO credentials (provider_id, type, jurisdiction, number, valid_from, valid_until, issuer, chain_id, registry, credential_hash, signature, verdict, reason, checked_at, last_verified_at, source, created_at)
     VALUES (?, 'license', 'CA', ?, ?, ?, ?, 31337, ?, ?, ?, ?, 'test', ?, ?, 'test', ?)`,
  ).run(
    providerId,
    `A${credentialCounter}`,
    credential.validFrom ?? '2020-01-01',
    credential.validUntil ?? '2030-12-31',
    `0x${'11'.repeat(20)}`,
    `0x${'22'.repeat(20)}`,
    `0x${hex(credentialCounter, 64)}`,
    `0x${'33'.repeat(65)}`,
    credential.verdict,
    now,
    credential.verdict === 'verified' ? (credential.verifiedAt ?? VERIFIED_AT) : null,
    now,
  );
  return providerId;
}

export type ClaimRowSpec = Partial<Record<(typeof CLAIM_COLUMNS)[number], string>>;

export function claimRow(spec: ClaimRowSpec = {}): ClaimRowSpec {
  return { claim_id: 'CLM-1', facility: 'GH01', mrn: 'MRN-1', rendering_npi: NPIS.verified, payer_id: PAYER, service_date: '2026-06-01', codes: '99213;E11.9', amount: '125.00', ...spec };
}

export function writeClaimsCsv(dir: string, name: string, rows: ClaimRowSpec[], header: readonly string[] = CLAIM_COLUMNS): string {
  const file = path.join(dir, name);
  const cell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  fs.writeFileSync(file, [header.join(','), ...rows.map((r) => header.map((h) => cell(r[h as keyof ClaimRowSpec] ?? '')).join(','))].join('\n') + '\n');
  return file;
}
