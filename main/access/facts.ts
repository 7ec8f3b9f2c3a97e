// The access policy's reads: every fact policy.ts decides on (consents of a key, the grantee's directory entry and
// credentials, the gate's maximum age) comes from here, through prepared statements. Agreements with a partner are
// read by their owner (sharing/store.ts) and handed to decideReleaseRequest: sharing stands above access.
// Reads only; each table's writes stay with its owner (consents, credentials).
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import { categoryCode, purposeCode } from '../consents/compact-columns';
import type { Db } from '../db/connection';
import { credentialSettings } from '../credentials/settings';
import { credentialsOfProvider, hasCredentialTables, providerByNpi } from '../credentials/store';
import type { ConsentInForce, ConsentOnFile, ConsentKey, CredentialFacts, GranteeFacts } from './policy';

interface Statements {
  inForce: Statement;
  onFile: Statement;
  patient: Statement<[number], { n: number }>;
}
const statements = new WeakMap<Db, Statements>();

/**
 * The consent reads, prepared once per connection; `inForce` is answered from the consents_decide index alone. The key's
 * purpose and category are compared as their stored codes (migration 0028), which is what that index holds.
 */
export function consentStatements(db: Db): Statements {
  let s = statements.get(db);
  if (!s) {
    s = {
      inForce: db.prepare(
        `SELECT id, external_id, decision, period_start, period_end FROM consents
         WHERE patient_id = ? AND grantee = ? AND purpose_code = ? AND category_code = ? AND status = 'active'
           AND period_start <= ? AND (period_end IS NULL OR period_end > ?)`,
      ),
      onFile: db.prepare(
        `SELECT id, external_id, decision, period_start, period_end, status, revoked_reason FROM consents
         WHERE patient_id = ? AND grantee = ? AND purpose_code = ? AND category_code = ?`,
      ),
      patient: db.prepare('SELECT 1 AS n FROM patients WHERE id = ?'),
    };
    statements.set(db, s);
  }
  return s;
}

/** Consents of this key in force at `at` (unix seconds). */
export function consentsInForce(db: Db, q: ConsentKey, at: number): ConsentInForce[] {
  return consentStatements(db).inForce.all(q.patientId, q.grantee, purposeCode(q.purpose), categoryCode(q.category), at, at) as ConsentInForce[];
}

/** Every consent of this key, any status (read only when none is in force, to explain the deny). */
export function consentsOnFile(db: Db, q: ConsentKey): ConsentOnFile[] {
  return consentStatements(db).onFile.all(q.patientId, q.grantee, purposeCode(q.purpose), categoryCode(q.category)) as ConsentOnFile[];
}

export function patientExists(db: Db, patientId: number): boolean {
  return consentStatements(db).patient.get(patientId) !== undefined;
}

/** Ten digits are taken for an NPI (as consent imports do) unless the caller knows the kind. */
export function granteeKindOf(grantee: string, known?: 'npi' | 'org'): 'npi' | 'org' {
  return known ?? (/^\d{10}$/.test(grantee) ? 'npi' : 'org');
}

/** The credential gate's maximum age of a verification (settings: credentials.gate_max_age_hours). */
export function gateMaxAgeHours(db: Db): number {
  return credentialSettings(db).gateMaxAgeHours;
}

/** What the directory holds for an NPI: no directory at all, not listed, or the provider and its credentials. */
export function credentialFacts(db: Db, npi: string): CredentialFacts {
  if (!hasCredentialTables(db)) return { directory: 'missing' };
  const provider = providerByNpi(db, npi);
  if (!provider) return { directory: 'unlisted' };
  return { directory: 'listed', providerName: provider.name, credentials: credentialsOfProvider(db, provider.id) };
}

/** The grantee's facts for the gate: nothing is read for an organisation (it is not gated). */
export function granteeFacts(db: Db, grantee: string, options: { granteeKind?: 'npi' | 'org'; maxAgeHours?: number } = {}): GranteeFacts {
  const kind = granteeKindOf(grantee, options.granteeKind);
  if (kind === 'org') return { kind, grantee };
  return { kind, grantee, credentials: credentialFacts(db, grantee), maxAgeHours: options.maxAgeHours ?? gateMaxAgeHours(db) };
}
