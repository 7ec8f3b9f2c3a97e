// The composition root shared by the Electron shell, browser mode and the CLI: opens and migrates the
// database, connects the chain, starts the job runner, and builds the one API dispatcher over every domain.
import path from 'node:path';
import type { Principal } from '../api/permissions';
import { createAuditSink, hasAuditTable } from '../audit/api-sink';
import { startAuditBatcher } from '../audit/batches';
import { createDisclosureHandlers } from '../disclosures/accounting';
import { createFacilitySecretHandlers } from '../consents/facility-secret-handlers';
import { createIssuerGovernanceHandlers } from '../credentials/governance-handlers';
import { SqlClaimSink } from '../claims/chain-sink';
import { createAccessHandlers } from '../access/handlers';
import { createClaimsHandlers } from '../claims/handlers';
import { createBulkRevokeHandlers } from '../consents/bulk-revoke';
import { consentReapplier, createConsentsHandlers } from '../consents/handlers';
import { consentChainAccessOf } from '../consents/proof-export';
import { checkExportPatientSets } from '../consents/export-seal';
import { installProviderDirectory } from '../consents/provider-directory';
import { credentialsDirectory } from '../credentials/directory';
import { chainAccessOf, createAuditHandlers, sealHeadNow, type AuditDeps } from '../audit/handlers';
import type { HeadSealNow } from '../audit/reanchor';
import { startHeadSealer } from '../audit/head-sealer';
import type { HeadSigner } from '../audit/heads';
import { createCredentialHandlers } from '../credentials/handlers';
import { startCredentialRechecks } from '../credentials/scheduler';
import { openDatabase, type Db, type DbKey } from '../db/connection';
import { unlockSecretFiles } from '../db/secret-files';
import { encryptDatabaseInPlace, type EncryptReport } from '../db/encrypt-in-place';
import { resolveDatabaseKey } from '../db/key-store';
import { defaultMigrationsDir, migrate, type MigrationReport } from '../db/migrate';
import { createImportsHandlers } from '../imports/handlers';
import { resolveIncoming, UploadStore, type FileDialogs, type UploadStoreOptions } from '../runtime/file-transfer';
import { releaseFinishedUploads } from '../imports/upload-cleanup';
import { createAuthHandlers, createSessionResolver } from '../staff/handlers';
import { SignInThrottle } from '../staff/throttle';
import { createSharingHandlers, sharingChainOf } from '../sharing/handlers';
import { reconcileLegacyProposals } from '../sharing/legacy-proposals';
import { ensureIdentity, loadOrCreateOrgWallet } from '../sharing/identity';
import { openTerms } from '../sharing/sealed-terms';
import { SqlSharingSink } from '../sharing/sink';
import { ConsentConflicts } from '../consents/consent-conflicts';
import { SqlConsentSink } from '../consents/consent-sink';
import { ConsentSealer } from '../consents/ledger-seal';
import { loadOrCreateFacilitySecret } from '../consents/pseudonym';
import { consentResender } from '../consents/writes';
import type { ContractAddresses } from '../sync/contracts';
import { SyncEngine } from '../sync/engine';
import type { SyncRegistry } from '../sync/plugin';
import { createSyncHandlers } from '../sync/handlers';
import { SealedSigningKey, type KeySealer } from '../sync/sealed-key';
import { loadSigner } from '../sync/signer';
import { createSignerHandlers } from '../sync/signer-handlers';
import { syncRegistry } from './sync-plugins';
import { JobRunner } from '../workers/job-runner';
import { ChainRuntime } from '../runtime/chain-runtime';
import { RETIRED_DEVNET_HEAD_SIGNER } from '../chain/devnet-keys';
import { ConnectionHealthMonitor } from '../runtime/connection-health';
import { loadConfig, type CustodianConfig } from '../runtime/config';
import { createDispatcher, type CallerContext, type Dispatch, type DispatcherOptions } from '../runtime/dispatcher';
import { EventBus } from '../runtime/event-bus';
import { makeDataDirPrivate } from '../host/file-modes';
import { createLogger, type FileLogger, type Logger } from '../runtime/log';
import { readFirstRunFacts } from './first-run-facts';
import { createSystemHandlers, outboxDepth } from '../runtime/system-handlers';
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
  /** The desktop app's OS keychain (Electron's safeStorage): seals the database key and a real network's signing key. */
  keySealer?: KeySealer;
  /** Unwraps the database key (browser mode, the CLI); default CUSTODIAN_DB_PASSPHRASE. */
  dbPassphrase?: string | null;
  /** Electron's open/save dialogs (main/app); browser mode and the CLI have none. */
  dialogs?: FileDialogs;
  /** Upload limit and retention; default 8 GiB and 24 hours (or CUSTODIAN_UPLOAD_MAX_BYTES). */
  uploads?: UploadStoreOptions;
  /** Sign-in throttling (tests pass one on a fake clock); one per process by default. */
  signInThrottle?: SignInThrottle;
}

export interface Services {
  dataDir: string;
  dbPath: string;
  /** The at-rest key, for in-process tools that open another connection (never logged or sent anywhere). */
  dbKey: DbKey;
  db: Db;
  config: CustodianConfig;
  migration: MigrationReport;
  /** Whether this start encrypted a plain database left by an earlier version (and where its backup went). */
  encryption: EncryptReport;
  events: EventBus;
  chain: ChainRuntime;
  /** The one connection health every display shows (node probe + sender + queue depth). */
  health: ConnectionHealthMonitor;
  jobs: JobRunner;
  /** The chain sync engine, or null when no chain is configured. */
  sync: SyncEngine | null;
  /** The synced kinds' plug-ins (sync-plugins.ts), for tools that plan without the engine (sync --dry-run). */
  syncRegistry: SyncRegistry;
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

/**
 * The dispatcher's transaction on this connection: an audited call (`write`) begins IMMEDIATE, taking the write lock
 * at its start and waiting (busy timeout) while another connection, e.g. an import worker, holds it. Begun DEFERRED,
 * its read would pin a snapshot that the other connection's commit makes stale, and its audit entry would then fail
 * at once with SQLITE_BUSY_SNAPSHOT, which no busy wait cures (immediate-transaction.test.ts pins both).
 */
export function callTransaction(db: Db): NonNullable<DispatcherOptions['transaction']> {
  return (fn, write) => (write ? db.transaction(fn).immediate() : db.transaction(fn)());
}

export async function startServices(options: StartOptions): Promise<Services> {
  const dataDir = path.resolve(options.dataDir);
  // Consents find providers (search, bulk revoke preview) through this port: the directory is the credentials domain's.
  installProviderDirectory(credentialsDirectory);
  // 0600 files in 0700 folders, for everything written from here on and everything already there.
  const { tightened } = makeDataDirPrivate(dataDir);
  const log = options.logger ?? createLogger({ file: path.join(dataDir, 'custodian.log') });
  if (tightened) log.warn(`tightened the permissions of ${tightened} file(s) and folder(s) in the data folder to owner-only`);
  const config = options.config ?? loadConfig(dataDir);
  const dbPath = path.join(dataDir, 'custodian.sqlite');

  // Encrypted at rest: the key from the keychain or the passphrase (fail closed), a plain database from an
  // earlier version encrypted in place (backup first) before anything reads it.
  const dbKey: DbKey = resolveDatabaseKey({ dataDir, dbPath, sealer: options.keySealer ?? null, passphrase: options.dbPassphrase ?? process.env.CUSTODIAN_DB_PASSPHRASE ?? null });
  const nativeBinding = options.nativeBinding ? { nativeBinding: options.nativeBinding } : {};
  const encryption = encryptDatabaseInPlace(dbPath, dbKey, { backupDir: path.join(dataDir, 'backups'), ...nativeBinding });
  if (encryption.encrypted) log.info(`database encrypted at rest; the plain copy taken first was encrypted too (${encryption.backupsEncrypted} backup(s))`);
  const db = openDatabase(dbPath, { ...nativeBinding, key: dbKey });
  // Whoever opened the database with its key may open the folder's sealed secret files (org key, facility secret).
  unlockSecretFiles(dataDir, Buffer.from(dbKey.hex, 'hex'));
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
    dbKey,
    events,
    log,
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    ...(options.workerEntry ? { workerEntry: options.workerEntry } : {}),
  });
  const interrupted = jobs.markInterrupted();
  if (interrupted) log.warn(`${interrupted} job(s) were interrupted by the last shutdown and can be resumed (imports: the Imports page, or custodian import runs / import resume RUN)`);

  const chain = new ChainRuntime({ dataDir, config: config.chain, events, log, folderSecret: () => Buffer.from(dbKey.hex, 'hex'), embeddedFacilityId: () => new ConsentSealer(loadOrCreateFacilitySecret(dataDir)).facilityId });
  const sealedKey = new SealedSigningKey(dataDir, options.keySealer ?? null);
  const chainStarted = chain.start();
  if (options.waitForChain) await chainStarted;

  // The organisation's signing key for sharing agreements (secrets/org-key) and its identity row, before the
  // first pull, so a partner's proposal naming this organisation is recognised.
  const orgWallet = loadOrCreateOrgWallet(dataDir);
  ensureIdentity(db, orgWallet);
  // Sharing proposals queued before proposals were sealed: converted when lossless, else held by name (never sent).
  void chainStarted
    .then(() => reconcileLegacyProposals({ db, wallet: orgWallet, chain: () => sharingChainOf(config.chain.mode === 'none' ? null : chain) }))
    .then((r) => {
      if (r.converted.length || r.held.length) log.warn(`sharing: ${r.converted.length} proposal(s) queued before sealing converted, ${r.held.length} held (SHARING_PROPOSAL_LEGACY)`);
    })
    .catch((err: unknown) => log.warn(`sharing: queued proposals were not checked: ${err instanceof Error ? err.message : String(err)}`));
  // Consent changes are sealed and keyed under the facility secret; another facility's (or a forged) change does not
  // open and is never applied. An imported secret takes effect at the next start. Without a chain nothing is sealed.
  // A torn audit anchor is carried on by a head sealed now (audit/reanchor.ts); the head deps are built below.
  let sealAuditHead: HeadSealNow | null = null;
  const registry = syncRegistry({
    sealAuditHead: async (target) => (sealAuditHead ? sealAuditHead(target) : null),
    consentSealer: config.chain.mode === 'none' ? null : new ConsentSealer(loadOrCreateFacilitySecret(dataDir)),
    consentSink: new SqlConsentSink(db),
    consentResender: consentResender(() => loadOrCreateFacilitySecret(dataDir)),
    sharingSink: new SqlSharingSink(db, (sealed, id) => openTerms(sealed, id, orgWallet.privateKey)),
    claimSink: new SqlClaimSink(db),
  });

  // Chain sync runs in the main process (it is I/O bound): outbox -> batches -> chain, and chain events -> mirror.
  const confirmations = config.chain.mode === 'external' ? config.chain.confirmations : 1;
  const sync =
    config.chain.mode === 'none'
      ? null
      : new SyncEngine({
          db,
          log,
          registry,
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
          ...(config.chain.mode === 'external'
            ? {
                finality: config.chain.finality === 'finalized-if-supported' ? ('finalized-if-supported' as const) : ('depth' as const),
                maxFeePerGas: config.chain.maxFeePerGasGwei === undefined ? null : BigInt(Math.round(config.chain.maxFeePerGasGwei * 1e9)),
              }
            : {}),
        });
  if (sync && (options.sync ?? 'auto') === 'auto') sync.start();

  // One source of truth for connection health: the probe's readings and the sender's states, folded together.
  const health = new ConnectionHealthMonitor({
    mode: config.chain.mode === 'external' ? 'external' : 'embedded',
    disabled: config.chain.mode === 'none',
    queued: () => outboxDepth(db).pending,
    now: () => new Date(),
    emit: (h) => events.emit('connection.health', h),
  });
  health.nodeStatus(chain.current);
  const stopHealth = events.subscribe((m) => {
    if (m.event === 'chain.connection') {
      const wasDown = health.current.state === 'offline';
      health.nodeStatus(m.payload);
      // The node answers again but the sender is still backing off: let it try now, so the displays do not say
      // "offline" for up to 30 s after the node is back.
      if (wasDown && m.payload.state === 'connected' && sync && !sync.isPaused && (options.sync ?? 'auto') === 'auto') void sync.syncNow().catch(() => undefined);
    } else if (m.event === 'sync.state') health.senderState(m.payload);
  });

  const envLimit = Number(process.env.CUSTODIAN_UPLOAD_MAX_BYTES);
  const envTotal = Number(process.env.CUSTODIAN_UPLOAD_MAX_TOTAL_BYTES);
  const uploads = new UploadStore(path.join(dataDir, 'uploads'), {
    ...(Number.isSafeInteger(envLimit) && envLimit > 0 ? { maxBytes: envLimit } : {}),
    ...(Number.isSafeInteger(envTotal) && envTotal > 0 ? { maxTotalBytes: envTotal } : {}),
    ...options.uploads,
  });
  // An upload goes once its import committed (or after the retention period); dry runs keep it for the real run.
  const uploadCleanup = options.runtime !== 'cli' ? releaseFinishedUploads({ db, events, uploads, log }) : null;

  // Tree heads are signed with the sync key (the chain binds the audit trail to it); without a chain, with the
  // organisation's key, and then never anchored.
  const headSigner = async (): Promise<HeadSigner | { unavailable: string }> => {
    if (config.chain.mode === 'none') return orgWallet;
    try {
      return await loadSigner(config.chain, () => chain.embeddedSignerKey, process.env, sealedKey);
    } catch (err) {
      return { unavailable: err instanceof Error ? err.message : String(err) };
    }
  };
  let signerAddress: string | null = config.chain.mode === 'none' ? orgWallet.address : null;
  const auditDeps: AuditDeps = {
    db,
    dataDir,
    ...(options.dialogs ? { dialogs: options.dialogs } : {}),
    chain: () => chainAccessOf(chain),
    headSigner: async () => {
      const s = await headSigner();
      if (!('unavailable' in s)) signerAddress = s.address;
      return s;
    },
    signerAddress: () => signerAddress,
    exportSets: checkExportPatientSets,
    anchorHeads: config.chain.mode !== 'none',
    // The embedded devnet's heads were signed by anvil's public dev key #0 before each folder had its own operating
    // key; the migration (chain/devnet.ts, 'dev-key') retires it, and the first head by the new key rotates from it.
    retiredSigner: () => (config.chain.mode === 'embedded' ? RETIRED_DEVNET_HEAD_SIGNER : null),
  };
  sealAuditHead = async (target) => (await sealHeadNow({ ...auditDeps, db: target })).head;

  const incoming = (uploadId: string, owner: string) => resolveIncoming(uploads, uploadId, owner);
  const handlers = {
    ...createSystemHandlers({ db, dbPath, chain, health, jobs, runtime: options.runtime, openConflicts: () => new ConsentConflicts(db).openCount(), firstRunFacts: () => readFirstRunFacts(db, chain.current) }),
    ...createSyncHandlers({ db, engine: sync, chain, health, confirmations, registry, conflicts: new ConsentConflicts(db), reapplyConsentChange: consentReapplier({ db, dataDir }) }),
    ...createAuthHandlers({ db, throttle: options.signInThrottle ?? new SignInThrottle() }),
    ...createAuditHandlers(auditDeps),
    ...createDisclosureHandlers({ db }),
    ...createCredentialHandlers({ db, chain, jobs, incoming }),
    ...createSignerHandlers({ chain: config.chain, sealed: sealedKey }),
    ...createJobsHandlers({ jobs }),
    ...createSharingHandlers({ db, dataDir, wallet: orgWallet, chain: config.chain.mode === 'none' ? null : chain }),
    ...createBulkRevokeHandlers({ db, dataDir }),
    ...createAccessHandlers({ db }),
    ...createConsentsHandlers({ db, dataDir, jobs, chain: () => consentChainAccessOf(chain, config.chain.mode === 'external' ? config.chain.startBlock : 0), ...(options.dialogs ? { dialogs: options.dialogs } : {}) }),
    ...createImportsHandlers({
      db,
      jobs,
      uploads,
      dataDir,
      ...(options.dialogs ? { dialogs: options.dialogs } : {}),
    }),
    ...createFacilitySecretHandlers({ dataDir, db, log, incoming, saveTarget: (targetId, owner) => uploads.resolveSaveTarget(targetId, owner) }),
    ...createIssuerGovernanceHandlers({ chain, chainConfig: config.chain }),
    ...createClaimsHandlers({ db, dataDir, jobs, incoming, ledgerAddress: () => chain.connection?.endpoint.contracts.ClaimsLedger ?? null }),
  };
  const auditReady = hasAuditTable(db);
  const dispatch = createDispatcher(handlers, log, {
    ...(auditReady ? { audit: createAuditSink(db, config.workstationId) } : {}),
    resolveSession: createSessionResolver({ db }),
    transaction: callTransaction(db),
  });
  // Seals local audit batches (1,000 entries, or 5 minutes); the CLI's short runs skip it.
  const auditBatcher = auditReady && options.runtime !== 'cli' ? startAuditBatcher(db, log) : null;
  // Signs a tree head within 30 s of activity (queued for AuditAnchor); the CLI signs one when it stops instead.
  const headInterval = Number(process.env.CUSTODIAN_AUDIT_HEAD_INTERVAL_MS);
  const headSealer =
    auditReady && options.runtime !== 'cli'
      ? startHeadSealer(auditDeps, log, Number.isSafeInteger(headInterval) && headInterval >= 1_000 && headInterval <= 86_400_000 ? { intervalMs: headInterval } : {})
      : null;
  // Re-checks credentials whose last verification is older than the configured interval, as a worker job.
  const credentialRechecks = options.runtime !== 'cli' ? startCredentialRechecks({ db, jobs, chain, log }) : null;

  let stopped = false;
  return {
    dataDir,
    dbPath,
    dbKey,
    db,
    config,
    migration,
    encryption,
    events,
    chain,
    health,
    jobs,
    sync,
    syncRegistry: registry,
    log,
    uploads,
    dispatch,
    call: (channel, input, as = {}) =>
      dispatch(channel, input, 'role' in as ? { transport: options.runtime, principal: as } : { transport: options.runtime, ...as }),
    async stop() {
      if (stopped) return;
      stopped = true;
      auditBatcher?.stop();
      headSealer?.stop();
      // A CLI command that wrote audit entries ends with a signed head over them, like the console's sealer.
      if (auditReady && options.runtime === 'cli') {
        const sealed = await sealHeadNow(auditDeps).catch((err: unknown) => ({ head: null, unsignedReason: err instanceof Error ? err.message : String(err) }));
        if (sealed.unsignedReason) log.warn(`audit: no tree head signed for this command's entries: ${sealed.unsignedReason}`);
      }
      uploadCleanup?.stop();
      credentialRechecks?.stop();
      stopHealth();
      await sync?.stop();
      await jobs.stopAll();
      await chainStarted.catch(() => undefined);
      await chain.stop();
      db.close();
      // The log file is written asynchronously: what is buffered goes out before the process ends.
      await (log as Partial<FileLogger>).flush?.();
    },
  };
}
