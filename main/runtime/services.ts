// The composition root shared by the Electron shell, browser mode and the CLI: opens and migrates the
// database, connects the chain, starts the job runner, and builds the one API dispatcher over every domain.
import fs from 'node:fs';
import path from 'node:path';
import type { Principal } from '../api/permissions';
import { createAuditSink, hasAuditTable } from '../audit/api-sink';
import { openDatabase, type Db } from '../db/connection';
import { defaultMigrationsDir, migrate, type MigrationReport } from '../db/migrate';
import { JobRunner } from '../workers/job-runner';
import { ChainRuntime } from './chain-runtime';
import { loadConfig, type CustodianConfig } from './config';
import { createDispatcher, type Dispatch, type RequestContext } from './dispatcher';
import { EventBus } from './event-bus';
import { createLogger, type Logger } from './log';
import { createSystemHandlers } from './system-handlers';

export type RuntimeKind = 'electron' | 'browser' | 'cli';

export interface StartOptions {
  dataDir: string;
  runtime: RuntimeKind;
  nativeBinding?: string;
  migrationsDir?: string;
  /** Bundled worker entry under Electron; tsx-loaded source otherwise. */
  workerEntry?: string;
  /** Wait for the first chain connection attempt before resolving (CLI status); the UI does not wait. */
  waitForChain?: boolean;
  logger?: Logger;
  config?: CustodianConfig;
}

export interface Services {
  dataDir: string;
  dbPath: string;
  db: Db;
  config: CustodianConfig;
  migration: MigrationReport;
  events: EventBus;
  chain: ChainRuntime;
  jobs: JobRunner;
  log: Logger;
  dispatch: Dispatch;
  /** Calls a channel as the given principal; the same path every transport takes. */
  call(channel: string, input: unknown, principal?: Principal): ReturnType<Dispatch>;
  stop(): Promise<void>;
}

/**
 * Until staff sign-in lands (the audit and access-control issue), each process acts as one local operator with
 * the IT-admin role. Permissions are already checked per channel against this principal.
 */
export const LOCAL_OPERATOR: Principal = { id: 'local-operator', name: 'Local operator', role: 'it_admin' };

export async function startServices(options: StartOptions): Promise<Services> {
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const log = options.logger ?? createLogger({ file: path.join(dataDir, 'custodian.log') });
  const config = options.config ?? loadConfig(dataDir);
  const dbPath = path.join(dataDir, 'custodian.sqlite');

  const db = openDatabase(dbPath, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  let migration: MigrationReport;
  try {
    migration = migrate(db, { migrationsDir: options.migrationsDir ?? defaultMigrationsDir(), backupDir: path.join(dataDir, 'backups') });
  } catch (err) {
    db.close();
    throw err;
  }
  if (migration.applied.length) log.info(`database migrated from v${migration.fromVersion} to v${migration.toVersion}`);

  const events = new EventBus();
  const jobs = new JobRunner({
    db,
    dbPath,
    events,
    log,
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    ...(options.workerEntry ? { workerEntry: options.workerEntry } : {}),
  });
  const interrupted = jobs.markInterrupted();
  if (interrupted) log.warn(`${interrupted} job(s) were interrupted by the last shutdown and can be resumed`);

  const chain = new ChainRuntime({ dataDir, config: config.chain, events, log });
  const chainStarted = chain.start();
  if (options.waitForChain) await chainStarted;

  const handlers = {
    ...createSystemHandlers({ db, dbPath, chain, jobs, runtime: options.runtime }),
  };
  const dispatch = createDispatcher(handlers, log, hasAuditTable(db) ? createAuditSink(db, config.workstationId) : undefined);

  let stopped = false;
  return {
    dataDir,
    dbPath,
    db,
    config,
    migration,
    events,
    chain,
    jobs,
    log,
    dispatch,
    call: (channel, input, principal = LOCAL_OPERATOR) => dispatch(channel, input, { principal, transport: options.runtime } satisfies RequestContext),
    async stop() {
      if (stopped) return;
      stopped = true;
      await jobs.stopAll();
      await chainStarted.catch(() => undefined);
      await chain.stop();
      db.close();
    },
  };
}
