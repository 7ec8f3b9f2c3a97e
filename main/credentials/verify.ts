// Verifies credentials against the registry: off-chain checks first, then the registry for those that pass (one
// statusesOf per chunk, issuers cached), and records each finding with its trail, and audit entry when asked.
import type { JsonRpcProvider } from 'ethers';
import type { CredentialVerdict } from '../api/credentials';
import { hasAuditTable } from '../audit/api-sink';
import type { AuditActor } from '../audit/trail';
import { systemAudit } from '../audit/system-audit';
import type { Db } from '../db/connection';
import { credentialDomain, type CredentialDomain } from './eip712';
import type { RecoverMany } from './recover-pool';
import { CredentialRegistryReader, RegistryUnavailable, type RegistryReader, type StatusReading } from './registry-client';
import { lastKnownRegistry, rememberRegistry } from './settings';
import { checkableOf, localStatusOf, saveFinding, type CheckContext, type CredentialRow } from './store';
import { offChainFinding, offlineFinding, registryFinding, withLocalStatus, type CheckableCredential, type Finding, type LocalStatus, type Recovered } from './verdict';

/** Where registry facts come from: a connected reader, or the reason the chain cannot be read right now. */
export type RegistrySource = { reader: RegistryReader } | { offline: string; expected: CredentialDomain | null };

export function expectedDomainOf(source: RegistrySource): CredentialDomain | null {
  return 'reader' in source ? credentialDomain(source.reader.chainId, source.reader.registry) : source.expected;
}

/** What the composition root's chain runtime offers (structurally: the credentials domain never starts a chain). */
export interface ChainConnectionSource {
  readonly connection: { provider: JsonRpcProvider; endpoint: { chainId: number; contracts: Record<string, string> } } | null;
  readonly current: { state: string; reason?: string };
  /** The on-demand time limit of the chain runtime (CHAIN_TIMEOUT); absent, calls wait as long as the provider does. */
  deadline?<T>(what: string, work: Promise<T>): Promise<T>;
}

/** Runs an on-demand chain call under the chain's time limit, when it has one. */
export function onDemand<T>(chain: ChainConnectionSource, what: string, work: Promise<T>): Promise<T> {
  return chain.deadline ? chain.deadline(what, work) : work;
}

/** Opens a reader on the connected chain's CredentialRegistry, or says why not (offline, no registry, wrong chain). */
export async function openRegistrySource(db: Db, chain: ChainConnectionSource): Promise<RegistrySource> {
  const conn = chain.connection;
  const expected = lastKnownRegistry(db);
  if (!conn) {
    const reason = chain.current.state === 'offline' && chain.current.reason ? `chain offline: ${chain.current.reason}` : `chain ${chain.current.state}`;
    return { offline: reason, expected };
  }
  const registry = conn.endpoint.contracts.CredentialRegistry;
  if (!registry) return { offline: 'no CredentialRegistry is configured for this chain', expected };
  try {
    const reader = await CredentialRegistryReader.connect(conn.provider, conn.endpoint.chainId, registry);
    rememberRegistry(db, credentialDomain(reader.chainId, reader.registry));
    return { reader };
  } catch (err) {
    if (err instanceof RegistryUnavailable) return { offline: err.reason, expected };
    throw err;
  }
}

export interface Judged {
  finding: Finding;
}

interface Item {
  c: CheckableCredential;
  lastVerifiedAt: string | null;
  local: LocalStatus | null;
}

interface RegistryAnswers {
  issuers: Map<string, boolean>;
  readings: (StatusReading & { issuer?: string })[];
}

/** isIssuer once per issuer (the reader caches), then the statuses of `which`, in order. */
async function readRegistry(reader: RegistryReader, items: readonly Item[], which: readonly number[], single: boolean): Promise<RegistryAnswers> {
  const issuers = new Map<string, boolean>();
  for (const i of which) {
    const issuer = items[i]!.c.fields.issuer.toLowerCase();
    if (!issuers.has(issuer)) issuers.set(issuer, await reader.isIssuer(items[i]!.c.fields.issuer));
  }
  const hashes = which.map((i) => items[i]!.c.hash);
  const readings = single ? await Promise.all(hashes.map((h) => reader.statusOf(h))) : await reader.statusesOf(hashes);
  return { issuers, readings };
}

/**
 * Judges credentials against one registry source. With `single`, each credential's status is read with statusOf
 * (which also names its recorded issuer); otherwise with statusesOf over chunks, which does not return the issuer:
 * there the hash, which commits to the issuer field, and the contract's IssuerMismatch guard stand in for that
 * comparison. A registry failure part-way turns the credentials not yet answered for into 'unverified_offline'.
 * With `recover` (bulk), the registry is read for the whole batch while its signatures are checked, and only the
 * answers for credentials that pass the off-chain checks are used: the same verdicts, the waits overlapped.
 */
export interface Judgement {
  findings: Finding[];
  /** Why the registry could not be read for some of them (their findings are then 'unverified_offline'), or null. */
  offlineReason: string | null;
  /** The registry read failed because the node did not answer in time (CHAIN_TIMEOUT), not because it refused. */
  timedOut: boolean;
}

export async function judgeCredentials(items: readonly Item[], source: RegistrySource, now: Date, opts: { single?: boolean; recover?: RecoverMany } = {}): Promise<Judgement> {
  const expected = expectedDomainOf(source);
  const all = items.map((_, i) => i);
  const early = opts.recover && !opts.single && 'reader' in source && items.length ? readRegistry(source.reader, items, all, false) : null;
  // Read or not, an early failure is looked at below only if some credential needed the registry.
  early?.catch(() => undefined);
  const recovered: (Recovered | undefined)[] = opts.recover ? await opts.recover(items.map((it) => ({ domain: it.c.domain, fields: it.c.fields, signature: it.c.signature }))) : [];
  const findings: (Finding | null)[] = items.map((it, i) => offChainFinding(it.c, expected, now, recovered[i]));
  const pending = all.filter((i) => findings[i] === null);
  let offlineReason: string | null = 'reader' in source ? null : source.offline;
  let timedOut = false;
  if (pending.length && 'reader' in source) {
    try {
      const answers = early ? await early : await readRegistry(source.reader, items, pending, opts.single ?? false);
      pending.forEach((i, k) => {
        const r = answers.readings[early ? i : k]!;
        const item = items[i]!;
        const facts = { issuerRegistered: answers.issuers.get(item.c.fields.issuer.toLowerCase())!, status: r.status, expiresAt: r.expiresAt, recordedIssuer: r.issuer ?? null };
        findings[i] = registryFinding(item.c, facts, now);
      });
    } catch (err) {
      if (!(err instanceof RegistryUnavailable)) throw err;
      offlineReason = err.reason;
      timedOut = err.timedOut;
    }
  }
  return {
    findings: items.map((it, i) => withLocalStatus(findings[i] ?? offlineFinding(offlineReason ?? 'unknown', it.lastVerifiedAt), it.local)),
    offlineReason,
    timedOut,
  };
}

export interface RecordOptions {
  now: Date;
  check: Omit<CheckContext, 'checkedAt' | 'blockNumber'>;
  /** Jobs and schedules write one audit entry per verification; API handlers leave it to the dispatcher. */
  auditActor?: AuditActor | null;
  single?: boolean;
}

export interface RecordedCheck {
  row: CredentialRow;
  finding: Finding;
}

/** Judges stored credentials (nothing written): their local status changes count, as do their last verifications. */
export async function judgeStored(db: Db, rows: readonly CredentialRow[], source: RegistrySource, now: Date, opts: { single?: boolean; recover?: RecoverMany } = {}): Promise<Judgement> {
  const items = rows.map((row) => ({ c: checkableOf(row), lastVerifiedAt: row.last_verified_at, local: localStatusOf(db, row.id) }));
  return judgeCredentials(items, source, now, opts);
}

/** Caches each finding on its credential, appends the trail and (for jobs) the audit entries, in one transaction. */
export function recordFindings(db: Db, rows: readonly CredentialRow[], findings: readonly Finding[], opts: Omit<RecordOptions, 'single'> & { blockNumber: number | null }): void {
  const checkedAt = opts.now.toISOString();
  const audit = opts.auditActor !== undefined && hasAuditTable(db);
  db.transaction(() => {
    rows.forEach((row, i) => {
      const finding = findings[i]!;
      saveFinding(db, row.id, finding, { ...opts.check, checkedAt, blockNumber: opts.blockNumber });
      if (audit) {
        systemAudit(db, {
          actor: opts.auditActor ?? null,
          action: 'credential.verify',
          subject: row.credential_hash,
          details: { credentialId: row.id, npi: row.npi, verdict: finding.verdict, trigger: opts.check.trigger, ...(opts.check.jobId ? { jobId: opts.check.jobId } : {}) },
          at: opts.now,
        });
      }
    });
  })();
}

/** Judges and records stored credentials. */
export async function verifyStoredCredentials(db: Db, rows: readonly CredentialRow[], source: RegistrySource, opts: RecordOptions): Promise<{ results: RecordedCheck[]; offlineReason: string | null }> {
  const { findings, offlineReason } = await judgeStored(db, rows, source, opts.now, opts.single ? { single: true } : {});
  const blockNumber = 'reader' in source && offlineReason === null ? source.reader.blockNumber : null;
  recordFindings(db, rows, findings, { now: opts.now, check: opts.check, ...(opts.auditActor !== undefined ? { auditActor: opts.auditActor } : {}), blockNumber });
  return { results: rows.map((row, i) => ({ row, finding: findings[i]! })), offlineReason };
}

export function countVerdicts(findings: readonly Finding[], into: Partial<Record<CredentialVerdict, number>> = {}): Partial<Record<CredentialVerdict, number>> {
  for (const f of findings) into[f.verdict] = (into[f.verdict] ?? 0) + 1;
  return into;
}
