// The credentials domain's writes and the row loading verification needs: providers (upsert by NPI), signed
// credentials (idempotent by hash), the cached verdict with its trail, and local status changes. Prepared SQL only.
import type { CredentialStatusChange, CredentialType, CredentialVerdict } from '../api/credentials';
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { Db } from '../db/connection';
import { credentialDomain, type CredentialFields } from './eip712';
import type { CheckableCredential, Finding, LocalStatus } from './verdict';

export interface ProviderRow {
  id: number;
  npi: string;
  name: string;
  organization: string | null;
  specialty: string | null;
  source: string;
  created_at: string;
  updated_at: string;
}

export interface CredentialRow {
  id: number;
  provider_id: number;
  npi: string;
  type: CredentialType;
  jurisdiction: string;
  number: string;
  valid_from: string;
  valid_until: string;
  issuer: string;
  chain_id: number;
  registry: string;
  credential_hash: string;
  signature: string;
  verdict: CredentialVerdict | null;
  reason: string | null;
  checked_at: string | null;
  last_verified_at: string | null;
  source: string;
  import_run_id: number | null;
  source_row: number | null;
  created_at: string;
}

export type CheckTrigger = 'on-demand' | 'bulk' | 'schedule' | 'cli';

export interface CheckContext {
  checkedAt: string;
  trigger: CheckTrigger;
  actor: string | null;
  jobId?: string | null;
  blockNumber?: number | null;
}

export interface NewProvider {
  npi: string;
  name: string;
  organization: string | null;
  specialty: string | null;
}

export interface NewCredential {
  providerId: number;
  fields: CredentialFields;
  chainId: number;
  registry: string;
  hash: string;
  signature: string;
  source: string;
  importRunId: number | null;
  sourceRow: number | null;
}

const CREDENTIAL_COLUMNS = `c.id, c.provider_id, p.npi, c.type, c.jurisdiction, c.number, c.valid_from, c.valid_until, c.issuer, c.chain_id,
  c.registry, c.credential_hash, c.signature, c.verdict, c.reason, c.checked_at, c.last_verified_at, c.source, c.import_run_id,
  c.source_row, c.created_at`;

function statementsOf(db: Db) {
  return {
    providerByNpi: db.prepare<[string], ProviderRow>('SELECT * FROM providers WHERE npi = ?'),
    providerById: db.prepare<[number], ProviderRow>('SELECT * FROM providers WHERE id = ?'),
    insertProvider: db.prepare<[string, string, string | null, string | null, string, string, string]>(
      'INSERT INTO providers (npi, name, organization, specialty, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    updateProvider: db.prepare<[string, string | null, string | null, string, number]>(
      'UPDATE providers SET name = ?, organization = ?, specialty = ?, updated_at = ? WHERE id = ?',
    ),
    credentialByHash: db.prepare<[string], CredentialRow>(`SELECT ${CREDENTIAL_COLUMNS} FROM credentials c JOIN providers p ON p.id = c.provider_id WHERE c.credential_hash = ?`),
    credentialById: db.prepare<[number], CredentialRow>(`SELECT ${CREDENTIAL_COLUMNS} FROM credentials c JOIN providers p ON p.id = c.provider_id WHERE c.id = ?`),
    credentialsOfProvider: db.prepare<[number], CredentialRow>(
      `SELECT ${CREDENTIAL_COLUMNS} FROM credentials c JOIN providers p ON p.id = c.provider_id WHERE c.provider_id = ? ORDER BY c.valid_until DESC, c.id`,
    ),
    insertCredential: db.prepare(
      `INSERT INTO credentials (provider_id, type, jurisdiction, number, valid_from, valid_until, issuer, chain_id, registry, credential_hash,
         signature, source, import_run_id, source_row, created_at)
       VALUES (@providerId, @type, @jurisdiction, @number, @validFrom, @validUntil, @issuer, @chainId, @registry, @hash, @signature, @source,
         @importRunId, @sourceRow, @createdAt)`,
    ),
    saveVerdict: db.prepare<[CredentialVerdict, string, string, CredentialVerdict, string, number]>(
      `UPDATE credentials SET verdict = ?, reason = ?, checked_at = ?,
         last_verified_at = CASE WHEN ? = 'verified' THEN ? ELSE last_verified_at END WHERE id = ?`,
    ),
    insertCheck: db.prepare(
      `INSERT INTO credential_checks (credential_id, verdict, reason, checked_at, trigger, actor, job_id, block_number)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    localStatus: db.prepare<[number], LocalStatus>(
      'SELECT status, reason, created_at AS at FROM credential_status_changes WHERE credential_id = ? ORDER BY id DESC LIMIT 1',
    ),
    insertStatusChange: db.prepare<[number, CredentialStatusChange, string, string, number, string]>(
      'INSERT INTO credential_status_changes (credential_id, status, reason, actor, outbox_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
  };
}

type Statements = ReturnType<typeof statementsOf>;
const cache = new WeakMap<Db, Statements>();

export function credentialStatements(db: Db): Statements {
  let s = cache.get(db);
  if (!s) {
    s = statementsOf(db);
    cache.set(db, s);
  }
  return s;
}

export function hasCredentialTables(db: Db): boolean {
  return Boolean(db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'credentials'`).get());
}

export function providerByNpi(db: Db, npi: string): ProviderRow | undefined {
  return credentialStatements(db).providerByNpi.get(npi);
}

const providerSearch = new WeakMap<Db, Statement>();

/**
 * NPIs of the directory's providers whose NPI starts with `text` or whose name or organisation contains it, matched
 * literally (LIKE with %, _ and \ escaped); at most `limit`.
 */
export function providerNpisMatching(db: Db, text: string, limit: number): string[] {
  let stmt = providerSearch.get(db);
  if (!stmt) {
    stmt = db.prepare(`SELECT npi FROM providers WHERE npi LIKE :prefix ESCAPE '\\' OR name LIKE :contains ESCAPE '\\' OR organization LIKE :contains ESCAPE '\\' LIMIT :limit`);
    providerSearch.set(db, stmt);
  }
  const escaped = text.replace(/[\\%_]/g, (c) => `\\${c}`);
  return (stmt.all({ prefix: `${escaped}%`, contains: `%${escaped}%`, limit }) as { npi: string }[]).map((r) => r.npi);
}

export function providerById(db: Db, id: number): ProviderRow | undefined {
  return credentialStatements(db).providerById.get(id);
}

/** Adds the provider, or updates name, organization and specialty when they differ. */
export function upsertProvider(db: Db, p: NewProvider, source: string, now: string): { id: number; outcome: 'inserted' | 'updated' | 'unchanged' } {
  const s = credentialStatements(db);
  const found = s.providerByNpi.get(p.npi);
  if (!found) return { id: Number(s.insertProvider.run(p.npi, p.name, p.organization, p.specialty, source, now, now).lastInsertRowid), outcome: 'inserted' };
  if (found.name === p.name && found.organization === p.organization && found.specialty === p.specialty) return { id: found.id, outcome: 'unchanged' };
  s.updateProvider.run(p.name, p.organization, p.specialty, now, found.id);
  return { id: found.id, outcome: 'updated' };
}

export function credentialByHash(db: Db, hash: string): CredentialRow | undefined {
  return credentialStatements(db).credentialByHash.get(hash);
}

export function credentialById(db: Db, id: number): CredentialRow | undefined {
  return credentialStatements(db).credentialById.get(id);
}

export function credentialsOfProvider(db: Db, providerId: number): CredentialRow[] {
  return credentialStatements(db).credentialsOfProvider.all(providerId);
}

/** Inserts a credential unless one with the same hash exists; returns the row id either way. */
export function insertCredential(db: Db, c: NewCredential, now: string): { id: number; inserted: boolean } {
  const s = credentialStatements(db);
  const found = s.credentialByHash.get(c.hash);
  if (found) return { id: found.id, inserted: false };
  const f = c.fields;
  const info = s.insertCredential.run({
    providerId: c.providerId,
    type: f.credentialType,
    jurisdiction: f.jurisdiction,
    number: f.number,
    validFrom: f.validFrom,
    validUntil: f.validUntil,
    issuer: f.issuer,
    chainId: c.chainId,
    registry: c.registry,
    hash: c.hash,
    signature: c.signature,
    source: c.source,
    importRunId: c.importRunId,
    sourceRow: c.sourceRow,
    createdAt: now,
  });
  return { id: Number(info.lastInsertRowid), inserted: true };
}

/** The stored credential as the verifier sees it: the signed fields, its declared domain, signature and hash. */
export function checkableOf(row: CredentialRow): CheckableCredential {
  return {
    fields: {
      npi: row.npi,
      credentialType: row.type,
      jurisdiction: row.jurisdiction,
      number: row.number,
      validFrom: row.valid_from,
      validUntil: row.valid_until,
      issuer: row.issuer,
    },
    domain: credentialDomain(row.chain_id, row.registry),
    signature: row.signature,
    hash: row.credential_hash,
  };
}

/** Caches the finding on the credential and appends it to its trail. Call inside the caller's transaction. */
export function saveFinding(db: Db, credentialId: number, f: Finding, ctx: CheckContext): void {
  const s = credentialStatements(db);
  s.saveVerdict.run(f.verdict, f.reason, ctx.checkedAt, f.verdict, ctx.checkedAt, credentialId);
  s.insertCheck.run(credentialId, f.verdict, f.reason, ctx.checkedAt, ctx.trigger, ctx.actor, ctx.jobId ?? null, ctx.blockNumber ?? null);
}

export function localStatusOf(db: Db, credentialId: number): LocalStatus | null {
  return credentialStatements(db).localStatus.get(credentialId) ?? null;
}

/** A status change sent again under a new outbox event (a torn node state's repair): its chain state follows the new one. */
export function relinkStatusChange(db: Db, oldOutboxId: number, newOutboxId: number): void {
  db.prepare(`UPDATE credential_status_changes SET outbox_id = ? WHERE outbox_id = ?`).run(newOutboxId, oldOutboxId);
}

export function insertStatusChange(db: Db, credentialId: number, status: CredentialStatusChange, reason: string, actor: string, outboxId: number, now: string): void {
  credentialStatements(db).insertStatusChange.run(credentialId, status, reason, actor, outboxId, now);
}

