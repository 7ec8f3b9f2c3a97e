// Handlers of the system channels: what the status bar and dashboard show about the database, the chain,
// the outbox and background jobs.
import fs from 'node:fs';
import packageJson from '../../package.json' with { type: 'json' };
import type { HandlersFor } from '../api/channel';
import type { JobSummary, systemChannels, SystemStatus } from '../api/system';
import type { Db } from '../db/connection';
import { appliedMigrations } from '../db/migrate';
import { stateSql } from '../db/outbox-columns';
import type { ChainRuntime } from './chain-runtime';
import type { ConnectionHealthMonitor } from './connection-health';
import { firstRunChecklist, type FirstRunFacts } from './first-run';
import type { RequestContext } from './dispatcher';

const APP_VERSION: string = packageJson.version;

export interface SystemDeps {
  db: Db;
  dbPath: string;
  chain: ChainRuntime;
  health: Pick<ConnectionHealthMonitor, 'current'>;
  /** The job runner (workers/, a layer above this one), as far as jobs.list and jobs.cancel use it. */
  jobs: { list(limit: number): JobSummary[]; cancel(jobId: string): boolean };
  runtime: SystemStatus['app']['runtime'];
  /** How many consent conflicts are open (the consents domain counts them; handed in by the composition root). */
  openConflicts: () => number;
  /** The folder's set-up facts for the first-run checklist (read by the composition root from their owners). */
  firstRunFacts: () => FirstRunFacts;
}

export function outboxDepth(db: Db): Omit<SystemStatus['outbox'], 'conflicts'> {
  const rows = db.prepare(`SELECT kind, count(*) AS n FROM outbox WHERE state_code IN (${stateSql('pending')}, ${stateSql('batched')}, ${stateSql('sent')}) GROUP BY kind`).all() as { kind: string; n: number }[];
  const byKind = Object.fromEntries(rows.map((r) => [r.kind, r.n]));
  return { pending: rows.reduce((sum, r) => sum + r.n, 0), byKind };
}

export function createSystemHandlers(deps: SystemDeps): HandlersFor<typeof systemChannels, RequestContext> {
  return {
    'system.status': (_input, ctx) => {
      const applied = appliedMigrations(deps.db);
      let sizeBytes = 0;
      try {
        sizeBytes = fs.statSync(deps.dbPath).size;
      } catch {
        sizeBytes = 0;
      }
      return {
        app: { version: APP_VERSION, runtime: deps.runtime },
        database: { path: deps.dbPath, schemaVersion: applied.at(-1)?.version ?? 0, migrations: applied.length, sizeBytes },
        chain: deps.chain.current,
        health: deps.health.current,
        outbox: { ...outboxDepth(deps.db), conflicts: deps.openConflicts() },
        principal: { name: ctx.principal.name, role: ctx.principal.role },
      };
    },
    'jobs.list': ({ limit }) => deps.jobs.list(limit),
    'jobs.cancel': ({ jobId }) => ({ cancelled: deps.jobs.cancel(jobId) }),
    'system.firstRun': () => firstRunChecklist(deps.firstRunFacts()),
  };
}
