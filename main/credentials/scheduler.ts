// Scheduled re-checks in the main process: every minute, if credentials are due (never checked, or last checked
// longer ago than the recheck interval) and no bulk verification runs, start one as a worker job.
import type { JobSummary } from '../api/system';
import type { Db } from '../db/connection';
import type { Logger } from '../runtime/log';
import { countDue, type VerifyAllParams } from './jobs';
import { credentialSettings, lastKnownRegistry } from './settings';
import { hasCredentialTables } from './store';

export const VERIFY_ALL_KIND = 'credentials.verifyAll';

/** The chain runtime as the scheduler needs it (structural: this domain never starts a chain). */
export interface ChainEndpointSource {
  readonly connection: { endpoint: { rpcUrl: string; chainId: number; contracts: Record<string, string> } } | null;
  readonly current: { state: string; reason?: string };
}

export interface JobStarter {
  start(kind: string, params: unknown): JobSummary;
}

/** Params of a verifyAll job: the endpoint the worker reads from, or why the chain is not usable now. */
export function verifyAllJobParams(
  db: Db,
  chain: ChainEndpointSource,
  trigger: 'bulk' | 'schedule',
  actor: { id: string; name: string; role: string } | null,
  dueBefore: string | null,
): VerifyAllParams {
  const known = lastKnownRegistry(db);
  const expected = known ? { chainId: known.chainId, registry: known.verifyingContract } : null;
  const conn = chain.connection;
  const registry = conn?.endpoint.contracts.CredentialRegistry;
  if (conn && registry) return { endpoint: { rpcUrl: conn.endpoint.rpcUrl, chainId: conn.endpoint.chainId, registry }, expected, dueBefore, trigger, actor };
  const offlineReason = !conn
    ? chain.current.state === 'offline' && chain.current.reason
      ? `chain offline: ${chain.current.reason}`
      : `chain ${chain.current.state}`
    : 'no CredentialRegistry is configured for this chain';
  return { endpoint: null, offlineReason, expected, dueBefore, trigger, actor };
}

export function verifyAllRunning(db: Db): boolean {
  return Boolean(db.prepare(`SELECT 1 FROM jobs WHERE kind = ? AND state IN ('queued', 'running') LIMIT 1`).get(VERIFY_ALL_KIND));
}

export interface RecheckDeps {
  db: Db;
  jobs: JobStarter;
  chain: ChainEndpointSource;
  log: Logger;
  now?: () => Date;
  /** How often to look for due credentials (default 60 s); the interval itself is the recheck_minutes setting. */
  tickMs?: number;
  /** Delay of the first look, so the chain runtime has connected (default 5 s). */
  firstTickMs?: number;
}

export interface RecheckSchedule {
  /** Looks now; returns the job started, or null when nothing was due or a run is under way. */
  tick(): JobSummary | null;
  stop(): void;
}

export function startCredentialRechecks(deps: RecheckDeps): RecheckSchedule {
  const now = deps.now ?? (() => new Date());
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const tick = (): JobSummary | null => {
    if (!hasCredentialTables(deps.db) || verifyAllRunning(deps.db)) return null;
    const { recheckMinutes } = credentialSettings(deps.db);
    const dueBefore = new Date(now().getTime() - recheckMinutes * 60_000).toISOString();
    const due = countDue(deps.db, dueBefore);
    if (due === 0) return null;
    const job = deps.jobs.start(VERIFY_ALL_KIND, verifyAllJobParams(deps.db, deps.chain, 'schedule', null, dueBefore));
    deps.log.info(`credential re-check started for ${due} credential(s) (job ${job.id})`);
    return job;
  };
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      try {
        tick();
      } catch (err) {
        deps.log.warn(`credential re-check could not start: ${(err as Error).message}`);
      }
      schedule(deps.tickMs ?? 60_000);
    }, ms);
    timer.unref();
  };
  schedule(deps.firstTickMs ?? 5_000);
  return {
    tick,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
