// Worker-thread job kinds of the credentials domain: 'credentials.verifyAll' (bulk or scheduled re-check, one
// statusesOf per chunk, an audit entry per verification) and 'import.providers' (the roster import).
import os from 'node:os';
import type { CredentialVerdict } from '../api/credentials';
import { verifyAllParams, type JobParamsInput, type VerifyAllJobResult } from '../api/jobs';
import { AppError } from '../api/errors';
import { chainDeadline, systemClock, type ChainClock } from '../chain/deadline';
import { createProvider } from '../chain/provider';
import type { Db } from '../db/connection';
import type { JobOf } from '../workers/protocol';
import { credentialDomain } from './eip712';
import { inThreadRecover, startRecoverPool } from './recover-pool';
import { CredentialRegistryReader, RegistryUnavailable } from './registry-client';
import { runRosterImport } from './roster-import';
import type { CredentialRow } from './store';
import { countVerdicts, judgeStored, recordFindings, type RegistrySource } from './verify';

export { verifyAllParams };
export type VerifyAllParams = JobParamsInput<'credentials.verifyAll'>;

/** What the job records when it ends (the shape jobs.get shows the UI). */
export type VerifyAllResult = VerifyAllJobResult;

const ROWS_SQL = `SELECT c.id, c.provider_id, p.npi, c.type, c.jurisdiction, c.number, c.valid_from, c.valid_until, c.issuer, c.chain_id,
    c.registry, c.credential_hash, c.signature, c.verdict, c.reason, c.checked_at, c.last_verified_at, c.source, c.import_run_id,
    c.source_row, c.created_at
  FROM credentials c JOIN providers p ON p.id = c.provider_id
  WHERE c.id > @after AND (@due IS NULL OR c.checked_at IS NULL OR c.checked_at < @due)
  ORDER BY c.id LIMIT @limit`;

/** Below this many credentials due, helper threads cost more to start than they save. */
export const HELPERS_FROM = 2_000;

export function countDue(db: Db, dueBefore: string | null): number {
  return (db.prepare('SELECT count(*) AS n FROM credentials WHERE (@due IS NULL OR checked_at IS NULL OR checked_at < @due)').get({ due: dueBefore }) as { n: number }).n;
}

/** What the run counted so far (kept in its checkpoint, so a resumed run's summary covers the whole run). */
interface VerifyAllCheckpoint {
  after?: number;
  done?: number;
  byVerdict?: Partial<Record<CredentialVerdict, number>>;
  verified?: number;
  answeredFromCache?: number;
  notVerified?: number;
  chainTimeout?: boolean;
}

/** The run's outcome for a person: the three counts, why the chain was not asked, and what to do about it. */
export function verifyAllSummary(r: Pick<VerifyAllResult, 'checked' | 'verified' | 'answeredFromCache' | 'notVerified' | 'chainTimeout' | 'offlineReason' | 'blockNumber'>): string {
  const counts = `${r.checked} credential(s) checked: ${r.verified} verified against the registry${r.blockNumber !== null && r.verified ? ` (block ${r.blockNumber})` : ''}, ${r.answeredFromCache} answered from their last verification on record, ${r.notVerified} not verified.`;
  if (r.chainTimeout) {
    return `${counts} The chain node stopped answering (CHAIN_TIMEOUT), so the rest of the run did not ask it; the credentials answered from cache read "Unverified (offline)" with the time of their last verification. Check that the node runs, then start Verify all again: it asks the chain for every credential.`;
  }
  if (r.offlineReason !== null) return `${counts} The registry could not be read (${r.offlineReason}); start Verify all again once the chain is connected.`;
  return counts;
}

/**
 * The bulk verification on `clock` (tests pass a fake one). Every chain read is bounded by the on-demand limit
 * (chainDeadline, as in the console and the CLI); after the first timeout the run asks the chain no more and
 * answers the remaining credentials from their last verification on record ('unverified_offline', as the console
 * does offline), and its result counts verified / answered from cache / not verified.
 */
export function createVerifyAllJob(options: { clock?: ChainClock } = {}): JobOf<'credentials.verifyAll'> {
  return (ctx) => runVerifyAll(ctx, options.clock ?? systemClock);
}

export const verifyAllJob: JobOf<'credentials.verifyAll'> = createVerifyAllJob();

async function runVerifyAll(ctx: Parameters<JobOf<'credentials.verifyAll'>>[0], clock: ChainClock): Promise<VerifyAllResult> {
  const p = ctx.params;
  const started = performance.now();
  const expected = p.expected ? credentialDomain(p.expected.chainId, p.expected.registry) : null;
  const provider = p.endpoint ? createProvider(p.endpoint.rpcUrl, p.endpoint.chainId, { abortOnDestroy: true }) : null;
  const deadline = p.endpoint ? chainDeadline({ rpcUrl: p.endpoint.rpcUrl, clock, ...(p.callTimeoutMs !== undefined ? { ms: p.callTimeoutMs } : {}) }) : undefined;
  let source: RegistrySource = { offline: p.offlineReason ?? 'the chain was not connected', expected };
  let reader: CredentialRegistryReader | null = null;
  const cp = (ctx.checkpoint ?? {}) as VerifyAllCheckpoint;
  let chainTimeout = cp.chainTimeout ?? false;
  const total = countDue(ctx.db, p.dueBefore);
  // Signature checks on every core for a big run (the job thread mostly waits on the registry and SQLite then); a
  // small one is done before helper threads would have started.
  const helpers = p.helpers ?? (total >= HELPERS_FROM ? os.availableParallelism() : 0);
  const pool = helpers >= 2 ? startRecoverPool(helpers) : null;
  try {
    if (provider && p.endpoint) {
      try {
        reader = await CredentialRegistryReader.connect(provider, p.endpoint.chainId, p.endpoint.registry, { chunk: p.chunk, ...(deadline ? { deadline } : {}) });
        source = { reader };
      } catch (err) {
        if (!(err instanceof RegistryUnavailable)) throw err;
        source = { offline: err.reason, expected };
        chainTimeout ||= err.timedOut;
      }
    }
    const select = ctx.db.prepare(ROWS_SQL);
    let after = cp.after ?? 0;
    let done = cp.done ?? 0;
    const byVerdict: Partial<Record<CredentialVerdict, number>> = { ...cp.byVerdict };
    const tally = { verified: cp.verified ?? 0, answeredFromCache: cp.answeredFromCache ?? 0, notVerified: cp.notVerified ?? 0 };
    const recover = pool ? pool.recover : inThreadRecover();
    ctx.report(done, total, 0, 'verifying');
    // One chunk is judged (signatures on the helpers, statuses from the node) while the one before is written.
    const judge = (rows: CredentialRow[], from: RegistrySource) => {
      const now = new Date();
      const judged = judgeStored(ctx.db, rows, from, now, { recover }).then((j) => ({ ...j, now }));
      judged.catch(() => undefined);
      return judged;
    };
    let rows = ctx.cancelled ? [] : (select.all({ after, due: p.dueBefore, limit: p.chunk }) as CredentialRow[]);
    let judging = rows.length ? judge(rows, source) : null;
    while (judging && rows.length) {
      const judged = await judging;
      // Once the registry fails, the rest of the run is judged offline rather than waiting on each chunk (the next
      // chunk is started only now, with the source this one leaves).
      if (judged.offlineReason !== null && 'reader' in source) {
        source = { offline: judged.offlineReason, expected: credentialDomain(source.reader.chainId, source.reader.registry) };
        chainTimeout ||= judged.timedOut;
      }
      const { findings, now } = judged;
      const blockNumber = 'reader' in source ? source.reader.blockNumber : null;
      after = rows[rows.length - 1]!.id;
      const next = ctx.cancelled ? [] : (select.all({ after, due: p.dueBefore, limit: p.chunk }) as CredentialRow[]);
      judging = next.length ? judge(next, source) : null;
      done += rows.length;
      countVerdicts(findings, byVerdict);
      findings.forEach((f, i) => {
        if (f.verdict === 'verified') tally.verified += 1;
        else if (f.verdict === 'unverified_offline' && rows[i]!.last_verified_at !== null) tally.answeredFromCache += 1;
        else tally.notVerified += 1;
      });
      ctx.db.transaction(() => {
        recordFindings(ctx.db, rows, findings, { now, check: { trigger: p.trigger, actor: p.actor?.id ?? 'system', jobId: ctx.jobId }, auditActor: p.actor, blockNumber });
        ctx.saveCheckpoint({ after, done, byVerdict, ...tally, chainTimeout } satisfies VerifyAllCheckpoint, done);
      })();
      ctx.report(done, Math.max(total, done), 0, chainTimeout ? 'the chain node stopped answering: answering from the last verification on record' : undefined);
      rows = ctx.cancelled ? [] : next;
    }
    const outcome = { checked: done, ...tally, chainTimeout, offlineReason: 'offline' in source ? source.offline : null, blockNumber: reader?.blockNumber ?? null };
    return { ...outcome, byVerdict, registryCalls: reader?.calls ?? 0, durationMs: Math.round(performance.now() - started), message: verifyAllSummary(outcome) };
  } finally {
    // Aborts a read the node never answered: a socket left open would keep the worker thread, and the job, alive.
    provider?.destroy();
    await pool?.close();
  }
}

export type RosterImportParams = JobParamsInput<'import.providers'>;

export const rosterImportJob: JobOf<'import.providers'> = async (ctx) => {
  const { runId, domain, chunkRows } = ctx.params;
  // The job context is the import's hooks as it is (checkpoint, progress, cancellation, the main thread's heartbeat).
  return runRosterImport(ctx.db, runId, ctx, { domain: domain ? credentialDomain(domain.chainId, domain.registry) : null, ...(chunkRows ? { chunkRows } : {}) });
};
