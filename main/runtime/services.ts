// The composition root shared by the Electron shell, browser mode and the CLI: opens and migrates the
// database, connects the chain, starts the job runner, and builds the one API dispatcher over every domain.
import fs from 'node:fs';
import path from 'node:path';
import type { Principal } from '../api/permissions';
import { createAuditSink, hasAuditTable } from '../audit/api-sink';
import { startAuditBatcher } from '../audit/batches';
import { createFacilitySecretHandlers } from '../consents/facility-secret-handlers';
import { SqlClaimSink } from '../claims/chain-sink';
import { createClaimsHandlers } from '../claims/handlers';
import { createConsentsHandlers } from '../consents/handlers';
import { chainAccessOf, createAuditHandlers } from '../audit/handlers';
import { createCredentialHandlers } from '../credentials/handlers';
import { startCredentialRechecks } from '../credentials/scheduler';
import { openDatabase, type Db } from '../db/connection';
import { defaultMigrationsDir, migrate, type MigrationReport } from '../db/migrate';
import { createImportsHandlers } from '../imports/handlers';
import { releaseFinishedUploads, UploadStore, type FileDialogs, type UploadStoreOptions } from '../imports/file-transfer';
import { createAuthHandlers, createSessionResolver } from '../staff/handlers';
import { createSharingHandlers } from '../sharing/handlers';
import { ensureIdentity, loadOrCreateOrgWallet } from '../sharing/identity';
import { SqlSharingSink } from '../sharing/sink';
import { SqlConsentSink } from '../sync/consent-sink';
import { ConsentSealer } from '../consents/ledger-seal';
import { loadOrCreateFacilitySecret } from '../consents/pseudonym';
import type { ContractAddresses } from '../sync/contracts';
import { SyncEngine } from '../sync/engine';
import { createSyncHandlers } from '../sync/handlers';
import { SealedSigningKey, type KeySealer } from '../sync/sealed-key';
import { loadSigner } from '../sync/signer';
import { createSignerHandlers } from '../sync/signer-handlers';
import { JobRunner } from '../workers/job-runner';
import { ChainRuntime } from './chain-runtime';
import { loadConfig, type CustodianConfig } from './config';
import { createDispatcher, type CallerContext, type Dispatch } from './dispatcher';
import { EventBus } from './event-bus';
import { createLogger, type Logger } from './log';
import { createSystemHandlers } from './system-handlers';
import { createJobsHandlers } from '../workers/handlers';

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
  /** 'auto' (default): the sync engine runs in the background; 'manual': created but started by the caller (CLI). */
  sync?: 'auto' | 'manual';
  /** The desktop app's OS keychain (Electron's safeStorage): seals the signing key of a real network. */
  keySealer?: KeySealer;
  /** Electron's open/save dialogs (main/app); browser mode and the CLI have none. */
  dialogs?: FileDialogs;
  /** Upload limit and retention; default 8 GiB and 24 hours (or CUSTODIAN_UPLOAD_MAX_BYTES). */
  uploads?: UploadStoreOptions;
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
  /** The chain sync engine, or null when no chain is configured. */
  sync: SyncEngine | null;
  log: Logger;
  /** Uploaded and picked files, by opaque id (browser mode's upload route streams into it). */
  uploads: UploadStore;
  dispatch: Dispatch;
  /**
   * Calls a channel through the dispatcher, as a session (`{ session }`) or, for trusted in-process callers such as
   * tests and jobs, directly as a principal.
   */
  call(channel: string, input: unknown, as?: Principal | Partial<CallerContext>): ReturnType<Dispatch>;
  stop(): Promise<void>;
}

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
  const sealedKey = new SealedSigningKey(dataDir, options.keySealer ?? null);
  const chainStarted = chain.start();
  if (options.waitForChain) await chainStarted;

  // The organisation's signing key for sharing agreements (secrets/org-key) and its identity row, before the
  // first pull, so a partner's proposal naming this organisation is recognised.
  const orgWallet = loadOrCreateOrgWallet(dataDir);
  ensureIdentity(db, orgWallet);
  const consentSink = new SqlConsentSink(db);
  const sharingSink = new SqlSharingSink(db);

  // Chain sync runs in the main process (it is I/O bound): outbox -> batches -> chain, and chain events -> mirror.
  const confirmations = config.chain.mode === 'external' ? config.chain.confirmations : 1;
  const sync =
    config.chain.mode === 'none'
      ? null
      : new SyncEngine({
          db,
          log,
          // Consent changes are sealed and keyed under the facility secret; another facility's (or a forged) change
          // does not open and is never applied. An imported secret takes effect at the next start.
          consentSealer: new ConsentSealer(loadOrCreateFacilitySecret(dataDir)),
          emit: (state) => events.emit('sync.state', state),
          endpoint: () => {
            const c = chain.connection;
            const startBlock = config.chain.mode === 'external' ? config.chain.startBlock : 0;
            if (c) return { rpcUrl: c.endpoint.rpcUrl, chainId: c.endpoint.chainId, contracts: c.endpoint.contracts as ContractAddresses, startBlock };
            // A node on the wrong chain: hand it over anyway, so the engine itself refuses with CHAIN_ID_MISMATCH.
            const now = chain.current;
            return now.state === 'mismatch' && config.chain.mode === 'external' ? { rpcUrl: now.rpcUrl, chainId: config.chain.chainId, contracts: config.chain.contracts, startBlock } : null;
          },
          signer: () => loadSigner(config.chain, () => chain.embeddedSignerKey, process.env, sealedKey),
          confirmations,
          sink: {
            begin: () => consentSink.begin(),
            consentChanged: (c) => consentSink.consentChanged(c),
            rollBackAbove: (chainId, forkBlock) => consentSink.rollBackAbove(chainId, forkBlock),
            prune: (chainId, belowBlock) => consentSink.prune(chainId, belowBlock),
            sharingEvent: (e) => sharingSink.sharingEvent(e),
            sharingRolledBack: (ids) => sharingSink.sharingRolledBack(ids),
          },
          claimSink: new SqlClaimSink(db),
        });
  if (sync && (options.sync ?? 'auto') === 'auto') sync.start();

  const envLimit = Number(process.env.CUSTODIAN_UPLOAD_MAX_BYTES);
  const uploads = new UploadStore(path.join(dataDir, 'uploads'), {
    ...(Number.isSafeInteger(envLimit) && envLimit > 0 ? { maxBytes: envLimit } : {}),
    ...options.uploads,
  });
  // An upload goes once its import committed (or after the retention period); dry runs keep it for the real run.
  const uploadCleanup = options.runtime !== 'cli' ? releaseFinishedUploads({ db, events, uploads, log }) : null;

  const handlers = {
    ...createSystemHandlers({ db, dbPath, chain, jobs, runtime: options.runtime }),
    ...createSyncHandlers({ db, engine: sync, chain, confirmations }),
    ...createAuthHandlers({ db }),
    ...createAuditHandlers({ db, dataDir, chain: () => chainAccessOf(chain) }),
    ...createCredentialHandlers({ db, chain, jobs }),
    ...createSignerHandlers({ chain: config.chain, sealed: sealedKey }),
    ...createJobsHandlers({ jobs }),
    ...createSharingHandlers({ db, dataDir, wallet: orgWallet, chain: config.chain.mode === 'none' ? null : chain }),
    ...createConsentsHandlers({ db, dataDir, jobs, ...(options.dialogs ? { dialogs: options.dialogs } : {}) }),
    ...createImportsHandlers({ db, jobs, uploads, dataDir, ...(options.dialogs ? { dialogs: options.dialogs } : {}) }),
    ...createFacilitySecretHandlers({ dataDir }),
    ...createClaimsHandlers({ db, dataDir, jobs, ledgerAddress: () => chain.connection?.endpoint.contracts.ClaimsLedger ?? null }),
  };
  const auditReady = hasAuditTable(db);
  const dispatch = createDispatcher(handlers, log, {
    ...(auditReady ? { audit: createAuditSink(db, config.workstationId) } : {}),
    resolveSession: createSessionResolver({ db }),
  });
  // Seals audit batches (1,000 entries, or 5 minutes) into the outbox for the sync engine; the CLI's short runs skip it.
  const auditBatcher = auditReady && options.runtime !== 'cli' ? startAuditBatcher(db, log) : null;
  // Re-checks credentials whose last verification is older than the configured interval, as a worker job.
  const credentialRechecks = options.runtime !== 'cli' ? startCredentialRechecks({ db, jobs, chain, log }) : null;

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
    sync,
    log,
    uploads,
    dispatch,
    call: (channel, input, as = {}) =>
      dispatch(channel, input, 'role' in as ? { transport: options.runtime, principal: as } : { transport: options.runtime, ...as }),
    async stop() {
      if (stopped) return;
      stopped = true;
      auditBatcher?.stop();
      uploadCleanup?.stop();
      credentialRechecks?.stop();
      await sync?.stop();
      await jobs.stopAll();
      await chainStarted.catch(() => undefined);
      await chain.stop();
      db.close();
    },
  };
}
