// Reads for the Credentials page and dashboard: the directory with filters, search and keyset pagination, a
// provider with credentials and verification trail, and credentials about to expire. Prepared SQL only.
import {
  checkStateLabel,
  CREDENTIAL_TYPE_LABELS,
  type CredentialCheckEntry,
  type CredentialType,
  type CredentialVerdict,
  type CredentialView,
  type ExpiringResult,
  type ProviderDetail,
  type ProviderStanding,
  type ProviderCredentialVerdict,
  type ProviderSummary,
  VERDICT_SEVERITY,
  worstVerdictOf,
} from '../api/credentials';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { credentialsOfProvider, providerById, providerByNpi, type CredentialRow, type ProviderRow } from './store';
import { utcDay } from './verdict';

const DAY_MS = 86_400_000;

export function daysBetween(fromDay: string, toDay: string): number {
  return Math.round((Date.parse(`${toDay}T00:00:00Z`) - Date.parse(`${fromDay}T00:00:00Z`)) / DAY_MS);
}

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

interface LocalStatusRow {
  status: 'active' | 'suspended' | 'revoked';
  reason: string;
  at: string;
  actor: string;
  outbox_state: string | null;
}

export function credentialView(db: Db, row: CredentialRow, now: Date, expiringDays: number): CredentialView {
  const today = utcDay(now);
  const daysToExpiry = daysBetween(today, row.valid_until);
  const local = db
    .prepare(
      `SELECT s.status, s.reason, s.created_at AS at, s.actor, o.state AS outbox_state FROM credential_status_changes s
       LEFT JOIN outbox o ON o.id = s.outbox_id WHERE s.credential_id = ? ORDER BY s.id DESC LIMIT 1`,
    )
    .get(row.id) as LocalStatusRow | undefined;
  const check = { verdict: row.verdict, reason: row.reason, checkedAt: row.checked_at, lastVerifiedAt: row.last_verified_at };
  return {
    id: row.id,
    providerId: row.provider_id,
    npi: row.npi,
    type: row.type,
    typeLabel: CREDENTIAL_TYPE_LABELS[row.type],
    jurisdiction: row.jurisdiction,
    number: row.number,
    validFrom: row.valid_from,
    validUntil: row.valid_until,
    issuer: row.issuer,
    credentialHash: row.credential_hash,
    chainId: row.chain_id,
    registry: row.registry,
    check: { ...check, label: checkStateLabel(check) },
    expiringSoon: daysToExpiry >= 0 && daysToExpiry <= expiringDays,
    daysToExpiry,
    localStatus: local ? { status: local.status, reason: local.reason, at: local.at, actor: local.actor, outboxState: local.outbox_state } : null,
  };
}

interface Cursor {
  name: string;
  id: number;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.name, c.id]), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const [name, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof name === 'string' && typeof id === 'number' && Number.isSafeInteger(id)) return { name, id };
  } catch {
    // fall through
  }
  throw new AppError('VALIDATION_FAILED', 'cursor: is not a cursor returned by providers.list');
}

export interface ProviderFilter {
  search?: string | undefined;
  standing?: ProviderStanding | undefined;
  verdict?: CredentialVerdict | undefined;
  type?: CredentialType | undefined;
  limit: number;
  cursor?: string | undefined;
}

interface ProviderListRow extends ProviderRow {
  credentials: number;
  verified: number;
  offline: number;
  unchecked: number;
  next_expiry: string | null;
}

export function standingOf(r: { credentials: number; verified: number; offline: number; unchecked: number }): ProviderStanding {
  if (r.credentials === 0) return 'no_credentials';
  if (r.verified > 0) return 'verified';
  if (r.offline > 0) return 'offline';
  if (r.unchecked === r.credentials) return 'unchecked';
  return 'attention';
}

// Fixed SQL fragments, chosen by which filters are present (values are always bound): a prepared statement per
// combination lets SQLite use providers_by_name for the name prefix and the npi index for an NPI prefix.
const FILTERS = {
  name: 'p.name LIKE @name',
  npi: 'p.npi GLOB @npi',
  verdict: 'EXISTS (SELECT 1 FROM credentials c WHERE c.provider_id = p.id AND c.verdict = @verdict)',
  type: 'EXISTS (SELECT 1 FROM credentials c WHERE c.provider_id = p.id AND c.type = @type)',
  after: '(p.name, p.id) > (@afterName, @afterId)',
} as const;

// Counts over each listed provider's credentials (credentials_by_provider index). "verified" means verified and
// not past valid_until today; a credential never checked counts as unchecked.
function listSql(filters: (keyof typeof FILTERS)[]): string {
  const where = filters.length ? `WHERE ${filters.map((f) => FILTERS[f]).join(' AND ')}` : '';
  return `
  WITH page AS (SELECT p.* FROM providers p ${where} ORDER BY p.name, p.id LIMIT @limit)
  SELECT page.*,
    (SELECT count(*) FROM credentials c WHERE c.provider_id = page.id) AS credentials,
    (SELECT count(*) FROM credentials c WHERE c.provider_id = page.id AND c.verdict = 'verified' AND c.valid_until >= @today) AS verified,
    (SELECT count(*) FROM credentials c WHERE c.provider_id = page.id AND c.verdict = 'unverified_offline' AND c.valid_until >= @today) AS offline,
    (SELECT count(*) FROM credentials c WHERE c.provider_id = page.id AND c.verdict IS NULL) AS unchecked,
    (SELECT min(c.valid_until) FROM credentials c WHERE c.provider_id = page.id AND c.valid_until >= @today) AS next_expiry
  FROM page ORDER BY page.name, page.id`;
}

/**
 * The directory, in name order with keyset pagination. A search of digits is an NPI prefix, anything else a name
 * prefix (case-insensitive; % and _ are taken literally by being dropped). The standing filter is applied to
 * each page as it is read, so a filtered page may hold fewer rows than `limit` while more pages follow.
 */
export function listProviders(db: Db, f: ProviderFilter, now: Date): { providers: ProviderSummary[]; nextCursor: string | null } {
  const search = f.search?.trim() ?? '';
  const digits = /^\d+$/.test(search);
  const after = f.cursor ? decodeCursor(f.cursor) : null;
  const params = {
    name: search && !digits ? `${search.replace(/[%_]/g, '')}%` : null,
    npi: search && digits ? `${search.slice(0, 10)}*` : null,
    verdict: f.verdict ?? null,
    type: f.type ?? null,
    afterName: after?.name ?? null,
    afterId: after?.id ?? 0,
    today: utcDay(now),
    limit: f.limit + 1,
  };
  const used = (['name', 'npi', 'verdict', 'type'] as const).filter((k) => params[k] !== null);
  // better-sqlite3 ignores named values a statement does not use.
  const rows = db.prepare(listSql(after ? [...used, 'after'] : used)).all(params) as ProviderListRow[];
  const more = rows.length > f.limit;
  const pageRows = more ? rows.slice(0, f.limit) : rows;
  const last = pageRows[pageRows.length - 1];
  const verdicts = credentialVerdictsOf(db, pageRows.map((r) => r.id));
  const providers = pageRows
    .map((r) => ({
      id: r.id,
      npi: r.npi,
      name: r.name,
      organization: r.organization,
      specialty: r.specialty,
      credentials: r.credentials,
      verified: r.verified,
      standing: standingOf(r),
      nextExpiry: r.next_expiry,
      worstVerdict: worstVerdictOf((verdicts.get(r.id) ?? []).map((v) => v.verdict)),
      credentialVerdicts: (verdicts.get(r.id) ?? []).slice(0, PER_PROVIDER_VERDICTS),
    }))
    .filter((p) => !f.standing || p.standing === f.standing);
  return { providers, nextCursor: more && last ? encodeCursor({ name: last.name, id: last.id }) : null };
}

const PER_PROVIDER_VERDICTS = 20;
// Never-checked credentials sort after every verdict but before verified ones: they still need a look.
const RANK = (v: CredentialVerdict | null): number => (v === null ? VERDICT_SEVERITY.indexOf('verified') - 0.5 : VERDICT_SEVERITY.indexOf(v));

/** Each listed provider's credentials with their last verdict, worst first (one query per page, by provider index). */
function credentialVerdictsOf(db: Db, providerIds: readonly number[]): Map<number, ProviderCredentialVerdict[]> {
  const out = new Map<number, ProviderCredentialVerdict[]>();
  if (providerIds.length === 0) return out;
  const rows = db
    .prepare(
      `SELECT c.provider_id AS providerId, c.id AS credentialId, c.type, c.number, c.verdict, c.reason, c.checked_at AS checkedAt
       FROM credentials c WHERE c.provider_id IN (SELECT value FROM json_each(?)) ORDER BY c.provider_id, c.id`,
    )
    .all(JSON.stringify(providerIds)) as (ProviderCredentialVerdict & { providerId: number })[];
  for (const { providerId, ...v } of rows) {
    let list = out.get(providerId);
    if (!list) out.set(providerId, (list = []));
    list.push(v);
  }
  for (const list of out.values()) list.sort((a, b) => RANK(a.verdict) - RANK(b.verdict) || a.credentialId - b.credentialId);
  return out;
}

export function providerDetail(db: Db, key: { providerId: number } | { npi: string }, now: Date, expiringDays: number): ProviderDetail {
  const p = 'providerId' in key ? providerById(db, key.providerId) : providerByNpi(db, key.npi);
  if (!p) throw new AppError('PROVIDER_NOT_FOUND', 'providerId' in key ? `There is no provider with id ${key.providerId}.` : `There is no provider with NPI ${key.npi}.`);
  const credentials = credentialsOfProvider(db, p.id).map((row) => credentialView(db, row, now, expiringDays));
  const trail = db
    .prepare(
      `SELECT k.id, k.credential_id AS credentialId, k.verdict, k.reason, k.checked_at AS checkedAt, k.trigger, k.actor, k.block_number AS blockNumber
       FROM credential_checks k JOIN credentials c ON c.id = k.credential_id WHERE c.provider_id = ? ORDER BY k.id DESC LIMIT 200`,
    )
    .all(p.id) as CredentialCheckEntry[];
  return {
    provider: { id: p.id, npi: p.npi, name: p.name, organization: p.organization, specialty: p.specialty, createdAt: p.created_at, updatedAt: p.updated_at, source: p.source },
    credentials,
    trail,
  };
}

/** Credentials whose last valid day falls between today and today + days, soonest first (dashboard flag). */
export function expiringCredentials(db: Db, days: number, limit: number, now: Date): ExpiringResult {
  const today = utcDay(now);
  const until = addDays(today, days);
  const rows = db
    .prepare(
      `SELECT c.id AS credentialId, c.provider_id AS providerId, p.name AS providerName, p.npi, c.type, c.jurisdiction, c.number,
         c.valid_until AS validUntil, c.verdict
       FROM credentials c JOIN providers p ON p.id = c.provider_id
       WHERE c.valid_until >= ? AND c.valid_until <= ? AND (c.verdict IS NULL OR c.verdict NOT IN ('revoked', 'expired'))
       ORDER BY c.valid_until, c.id LIMIT ?`,
    )
    .all(today, until, limit) as Omit<ExpiringResult['credentials'][number], 'daysToExpiry'>[];
  const total = (
    db
      .prepare(`SELECT count(*) AS n FROM credentials WHERE valid_until >= ? AND valid_until <= ? AND (verdict IS NULL OR verdict NOT IN ('revoked', 'expired'))`)
      .get(today, until) as { n: number }
  ).n;
  return { days, asOf: today, credentials: rows.map((r) => ({ ...r, daysToExpiry: daysBetween(today, r.validUntil) })), total };
}
