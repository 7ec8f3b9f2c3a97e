// The sync engine: one loop per data folder that batches the outbox, sends batches one at a time, follows them
// to finality, pulls other workstations' changes, and says what it is doing on the event bus. Offline, it
// reports "offline since …, N events queued", backs off with jitter and resumes by itself.
import { randomUUID } from 'node:crypto';
import type { BaseWallet, HDNodeWallet, JsonRpcProvider } from 'ethers';
import { AppError } from '../api/errors';
import type { SyncState } from '../api/events';
import type { Db } from '../db/connection';
import type { Logger } from '../runtime/log';
import { processAlive } from '../host/process-alive';
import { itemsPerBatch, planBatches, type BatchLimits } from './batcher';
import type { Notice, SendStep, SenderContext } from './context';
import { addressOf, type ContractAddresses } from './contracts';
import { classifyFailure, type SyncFailure } from './failures';
import { probeFinality, type Finality } from './finality';
import type { SyncRegistry } from './plugin';
import { ChainPuller, type PullReport } from './puller';
import { createSyncProvider, nodeChainId } from './rpc';
import { backoffDelay } from './rules';
import { reconcile, sendNext } from './sender';
import { SYNC_STATE_INTERVAL_MS, SyncStateThrottle } from './state-throttle';
import { SyncStore } from './store';
import { checkReorgs, progressInFlight, updateConfirmations } from './tracker';

export interface ChainEndpoint {
  rpcUrl: string;
  chainId: number;
  contracts: ContractAddresses;
  /** First block the puller reads when it has no cursor yet (the contracts' deployment block on a real network). */
  startBlock?: number;
}

export interface SyncEngineOptions {
  db: Db;
  log: Logger;
  /** The synced kinds' plug-ins, from the composition root (compose/sync-plugins.ts): the engine knows no domain. */
  registry: SyncRegistry;
  /** The endpoint to use now, or null while the chain runtime is offline. */
  endpoint: () => ChainEndpoint | null;
  /** Unlocks the signing key (devnet key or keystore); called once, lazily. Never logged. */
  signer: () => Promise<BaseWallet | HDNodeWallet>;
  emit?: (state: SyncState) => void;
  /** At most one `emit` per this many ms, the latest state trailing, failures never dropped; 0 emits every transition. */
  stateIntervalMs?: number;
  confirmations?: number;
  /**
   * 'finalized-if-supported' (external networks): a batch is final once the node's 'finalized' block reaches it,
   * when the node answers that tag; else, and by default, `confirmations` blocks deep.
   */
  finality?: 'finalized-if-supported' | 'depth';
  /** The most any transaction bids per gas, in wei (config chain.maxFeePerGasGwei); none by default. */
  maxFeePerGas?: bigint | null;
  idlePollMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  stuckAfterMs?: number;
  feeBumpPercent?: number;
  reorgDepth?: number;
  rpcTimeoutMs?: number;
  /** How long one cycle waits for a receipt before it returns (the transaction keeps its place). */
  receiptWaitMs?: number;
  limits?: Partial<Omit<BatchLimits, 'blockGasLimit'>>;
  pull?: boolean;
  failpoint?: (step: SendStep, batchId: string) => void | Promise<void>;
  onBroadcast?: (raw: string) => void;
}

export interface CycleReport {
  outcome: 'idle' | 'worked' | 'paused' | 'busy' | 'offline' | 'failed';
  sent: number;
  confirmed: number;
  failure?: SyncFailure;
  notices: Notice[];
  pull?: PullReport;
}

interface Session {
  endpoint: ChainEndpoint;
  provider: JsonRpcProvider;
  ctx: SenderContext;
  puller: ChainPuller;
  reconciled: boolean;
  blockGasLimit: number;
}

const LEASE_TTL_MS = 30_000;
/** Outbox rows read per planning step. */
const PLAN_READ = 5_000;
/** Outbox reads planned into batches per cycle; the rest waits for the next cycle. */
const MAX_PLAN_READS_PER_CYCLE = 8;

/** A batch-planning write slower than this waited for the write lock; the rest of the cycle's planning waits. */
const CONTENDED_WRITE_MS = 50;

export class SyncEngine {
  readonly store: SyncStore;
  private readonly holder = randomUUID();
  private session: Session | null = null;
  private wallet: BaseWallet | HDNodeWallet | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<CycleReport> | null = null;
  private stopped = false;
  private started = false;
  private failures = 0;
  private paused = false;
  private offlineSince: string | null = null;
  private lastState: SyncState = { state: 'idle', pending: 0 };
  private lastFailure: SyncFailure | null = null;
  private lastNotice: Notice | null = null;
  private readonly itemCaps: Partial<Record<string, number>> = {};
  private readonly announcer: SyncStateThrottle;
  signerAddress: string | null = null;
  blockHeight: number | null = null;
  /** Contracts that queued events need but the configuration lacks (their events wait). */
  notConfigured: string[] = [];

  constructor(private readonly options: SyncEngineOptions) {
    this.store = new SyncStore(options.db, options.registry.kinds);
    this.store.origin();
    this.announcer = new SyncStateThrottle((s) => this.options.emit?.(s), options.stateIntervalMs ?? SYNC_STATE_INTERVAL_MS);
  }

  get state(): SyncState {
    return this.lastState;
  }
  get isPaused(): boolean {
    return this.paused;
  }
  get offline(): { since: string; failure: SyncFailure | null } | null {
    return this.offlineSince ? { since: this.offlineSince, failure: this.lastFailure } : null;
  }
  get failure(): SyncFailure | null {
    return this.lastFailure;
  }
  get notice(): Notice | null {
    return this.lastNotice;
  }
  /** The provider of the current session (status reads), or null while offline. */
  get provider(): JsonRpcProvider | null {
    return this.session?.provider ?? null;
  }

  /** Starts the background loop. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    this.announcer.flush();
    this.store.releaseLease(this.holder);
    this.session?.provider.destroy();
    this.session = null;
  }

  pause(): void {
    this.paused = true;
    this.emit({ state: 'paused', pending: this.pendingCount() });
  }

  resume(): void {
    this.paused = false;
    this.emit({ state: 'queued', pending: this.pendingCount() });
    if (this.started) this.schedule(0);
  }

  /** Runs a cycle now (after the one in progress, if any). */
  async syncNow(): Promise<CycleReport> {
    if (this.running) await this.running.catch(() => undefined);
    return this.runCycle();
  }

  /** Cycles until nothing is queued or in flight, a failure parks the work, or `timeoutMs` passes (CLI --once, tests). */
  async runUntilDrained(timeoutMs = 600_000): Promise<CycleReport> {
    const deadline = Date.now() + timeoutMs;
    let report = await this.syncNow();
    while (Date.now() < deadline && !this.stopped) {
      if (report.outcome === 'paused' || report.outcome === 'busy') return report;
      if (report.outcome === 'idle' && this.pendingCount() === 0) return report;
      if (report.outcome === 'idle' && this.store.nextSendable() === undefined && this.store.inFlight().length === 0 && this.store.awaitingConfirmations().length === 0) return report;
      const wait = report.outcome === 'offline' || report.outcome === 'failed' ? backoffDelay(this.failures, this.options.backoffBaseMs ?? 1000, this.options.backoffMaxMs ?? 30_000) : 0;
      if (wait) await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(0, deadline - Date.now()))));
      report = await this.syncNow();
    }
    return report;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.running) return this.schedule(50);
      void this.runCycle().then((r) => {
        if (this.stopped) return;
        const next =
          r.outcome === 'worked'
            ? 0
            : r.outcome === 'offline' || r.outcome === 'failed'
              ? backoffDelay(this.failures, this.options.backoffBaseMs ?? 1000, this.options.backoffMaxMs ?? 30_000)
              : (this.options.idlePollMs ?? 2000);
        this.schedule(next);
      });
    }, ms);
    this.timer.unref?.();
  }

  private runCycle(): Promise<CycleReport> {
    const run = this.cycle().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }

  private async cycle(): Promise<CycleReport> {
    const notices: Notice[] = [];
    if (this.paused) {
      this.emit({ state: 'paused', pending: this.pendingCount() });
      return { outcome: 'paused', sent: 0, confirmed: 0, notices };
    }
    if (!this.store.acquireLease(this.holder, process.pid, LEASE_TTL_MS, processAlive)) {
      const other = this.store.leaseHolder();
      this.lastNotice = { kind: 'foreign', message: `Another Custodian process (pid ${other?.pid ?? '?'}) is syncing this data folder; this one waits.` };
      return { outcome: 'busy', sent: 0, confirmed: 0, notices };
    }
    let sent = 0;
    let confirmed = 0;
    try {
      const session = await this.connect();
      // Before anything is signed: a block that held a confirmed batch of ours may have left the chain (a reorg, or
      // a node restarted from an older state). Its nonce is free again on the node while its row still holds it, so
      // requeue it first and take the nonce from the node again; signing first broke the rule that two live batches
      // never share a nonce, and every later cycle failed the same way (reorg-nonce.test.ts).
      const requeued = await checkReorgs(session.ctx, this.options.reorgDepth ?? 64);
      if (!session.reconciled || requeued.length > 0) {
        notices.push(...(await reconcile(session.ctx)));
        session.reconciled = true;
      }
      await this.batchPending(session);
      const before = this.countConfirmed();
      for (let i = 0; i < 50 && !this.stopped && !this.paused; i++) {
        if (!(await progressInFlight(session.ctx, this.options.receiptWaitMs ?? 2_000))) break;
        const outcome = await sendNext(session.ctx);
        if (outcome.kind === 'none') break;
        if (outcome.kind === 'sent') sent++;
        if (outcome.kind === 'split') this.halveItems(outcome.batchId, outcome.eventKind);
        this.store.acquireLease(this.holder, process.pid, LEASE_TTL_MS, processAlive);
      }
      await progressInFlight(session.ctx, 0);
      await updateConfirmations(session.ctx);
      await checkReorgs(session.ctx, this.options.reorgDepth ?? 64);
      const pull = this.options.pull === false ? undefined : await session.puller.pull();
      if (pull && pull.rolledBackTo !== null) {
        this.emit({ state: 'failed', batchId: null, reason: 'reorg', message: `A reorg removed pulled blocks above ${pull.rolledBackTo}${pull.rollbackNotes.join('')}.` });
      }
      confirmed = this.countConfirmed() - before;
      this.failures = 0;
      this.offlineSince = null;
      this.lastFailure = null;
      notices.push(...(session.ctx.notices?.splice(0) ?? []));
      if (notices.length) this.lastNotice = notices[notices.length - 1]!;
      const pending = this.pendingCount();
      if (sent === 0) this.emit(pending ? { state: 'queued', pending } : { state: 'idle', pending: 0 });
      return { outcome: sent > 0 || confirmed > 0 ? 'worked' : 'idle', sent, confirmed, notices, ...(pull ? { pull } : {}) };
    } catch (err) {
      return this.failed(err, sent, confirmed, notices);
    }
  }

  private failed(err: unknown, sent: number, confirmed: number, notices: Notice[]): CycleReport {
    const failure = classifyFailure(err, this.session ? { rpcUrl: this.session.endpoint.rpcUrl } : {});
    this.failures++;
    this.lastFailure = failure;
    // After any connection-level failure, reconcile again before sending: the node may have restarted.
    if (this.session) this.session.reconciled = false;
    const pending = this.pendingCount();
    let message = failure.message;
    if (failure.subtype === 'offline' || failure.subtype === 'rpc') {
      this.offlineSince ??= new Date().toISOString();
      message = `Offline since ${this.offlineSince}, ${pending} event(s) queued: ${failure.message}`;
    }
    this.options.log.warn(`sync: ${failure.code}: ${message}`);
    this.emit({ state: 'failed', batchId: null, reason: failure.subtype, message });
    return { outcome: failure.subtype === 'offline' ? 'offline' : 'failed', sent, confirmed, failure: { ...failure, message }, notices };
  }

  private async connect(): Promise<Session> {
    const endpoint = this.options.endpoint();
    if (!endpoint) throw new AppError('SYNC_OFFLINE', 'The chain is not connected.');
    if (this.session && this.session.endpoint.rpcUrl !== endpoint.rpcUrl) {
      this.session.provider.destroy();
      this.session = null;
    }
    if (!this.session) {
      const provider = createSyncProvider(endpoint.rpcUrl, endpoint.chainId, this.options.rpcTimeoutMs ?? 10_000);
      this.wallet ??= await this.unlock();
      const address = await this.wallet.getAddress();
      this.signerAddress = address;
      const ctx: SenderContext = {
        provider,
        store: this.store,
        chainId: endpoint.chainId,
        contracts: endpoint.contracts,
        registry: this.options.registry,
        wallet: this.wallet,
        address,
        confirmations: this.options.confirmations ?? 1,
        maxFeePerGas: this.options.maxFeePerGas ?? null,
        stuckAfterMs: this.options.stuckAfterMs ?? 60_000,
        feeBumpPercent: this.options.feeBumpPercent ?? 12.5,
        rpcUrl: endpoint.rpcUrl,
        log: this.options.log,
        emit: (s) => this.emit(s),
        notices: [],
        ...(this.options.failpoint ? { failpoint: this.options.failpoint } : {}),
        ...(this.options.onBroadcast ? { onBroadcast: this.options.onBroadcast } : {}),
      };
      const puller = new ChainPuller(this.options.db, provider, endpoint.chainId, endpoint.contracts, this.options.registry, endpoint.startBlock ?? 0);
      // Readers compare pulled changes with this workstation's own by writer (the consent sink): tell them who we are.
      puller.signerKnown(address);
      this.session = { endpoint, provider, ctx, puller, reconciled: false, blockGasLimit: 0 };
    }
    const session = this.session;
    const actual = await nodeChainId(session.provider);
    if (actual !== endpoint.chainId) {
      throw new AppError('CHAIN_ID_MISMATCH', `The node at ${endpoint.rpcUrl} reports chain id ${actual}, but this workstation is configured for ${endpoint.chainId}; nothing is sent.`);
    }
    const latest = await session.provider.getBlock('latest');
    if (!latest) throw new AppError('SYNC_RPC_GARBAGE', 'The node has no latest block.');
    session.blockGasLimit = Number(latest.gasLimit);
    // Once per connection: does this node have a 'finalized' block? (Sync status says which rule applies.)
    session.ctx.finality ??= await probeFinality(session.provider, this.options.finality === 'finalized-if-supported', this.options.confirmations ?? 1);
    this.blockHeight = latest.number;
    return session;
  }

  /** How batches count as final on the current connection (null before the first connection). */
  get finality(): Finality | null {
    return this.session?.ctx.finality ?? null;
  }

  /** The signing address, unlocking the key on first use (for status before the first cycle); null when unavailable. */
  async signer(): Promise<string | null> {
    if (this.signerAddress) return this.signerAddress;
    try {
      this.wallet ??= await this.unlock();
      this.signerAddress = await this.wallet.getAddress();
    } catch {
      return null;
    }
    return this.signerAddress;
  }

  private async unlock(): Promise<BaseWallet | HDNodeWallet> {
    try {
      return await this.options.signer();
    } catch (err) {
      // Keep the message (it names the missing setting), never the key material.
      throw new AppError('SYNC_SIGNER_UNAVAILABLE', err instanceof Error ? err.message : 'The signing key could not be loaded.');
    }
  }

  /** Validates and batches every pending event; invalid payloads are failed with the reason, never sent. */
  /** Names the contracts whose events wait for an address; clears the notice once none wait. */
  private noteUnconfigured(kinds: readonly string[]): void {
    const depth = kinds.length ? this.store.queueDepth() : {};
    const waiting = kinds.filter((k) => (depth[k] ?? 0) > 0);
    if (waiting.length > 0) {
      const names = [...new Set(waiting.map((k) => this.options.registry.contractOf(k)))];
      this.lastNotice = { kind: 'foreign', message: `Not configured: no ${names.join(', ')} address in the chain configuration; ${waiting.join(', ')} events stay queued.` };
      this.notConfigured = names;
    } else if (this.notConfigured.length > 0) {
      this.notConfigured = [];
      if (this.lastNotice?.message.startsWith('Not configured:')) this.lastNotice = null;
    }
  }

  private async batchPending(session: Session): Promise<void> {
    const origin = this.store.origin();
    // Bounded, and yielding between reads: while a bulk import keeps filling the outbox, an unbounded synchronous
    // loop here held the main thread for tens of seconds and the console stopped answering.
    for (let read = 0; read < MAX_PLAN_READS_PER_CYCLE && !this.stopped; read++) {
      if (read > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      // A kind whose contract has no configured address (SharingAgreements or ClaimsLedger on an external network
      // configured before they existed) stays queued, with a notice: not read, so it cannot crowd out the others.
      const registry = this.options.registry;
      const configured = registry.kinds.filter((k) => addressOf(session.endpoint.contracts, registry.contractOf(k)));
      if (read === 0) this.noteUnconfigured(registry.kinds.filter((k) => !configured.includes(k)));
      const events = this.store.pendingEvents(PLAN_READ, configured);
      if (events.length === 0) return;
      const rejected: string[] = [];
      const valid = events.filter((e) => {
        const parsed = registry.parse(e.kind, e.payload);
        if (!parsed.ok) {
          this.store.rejectEvent(e.id, parsed.reason);
          rejected.push(`outbox event ${e.id} (${e.kind}): ${parsed.reason}`);
        }
        return parsed.ok;
      });
      const sendable = valid;
      if (rejected.length) {
        // The reasons name fields, never values (parsePayload), so the message may go to the renderer and the log.
        const message = `${rejected.length} outbox event(s) failed the chain payload check and will not be sent; first: ${clip(rejected[0]!, 240)}.`;
        this.options.log.warn(`sync: ${message}`);
        this.emit({ state: 'failed', batchId: null, reason: 'payload', message });
      }
      const limits = {
        ...this.options.limits,
        blockGasLimit: session.blockGasLimit,
        models: { ...registry.gasModels(), ...this.options.limits?.models },
        maxItems: { ...this.options.limits?.maxItems, ...this.itemCaps },
      };
      let plans = planBatches(origin, sendable, limits);
      // A full read may cut a kind mid-batch: keep its partial tail pending for the next read, so batches stay full.
      const full = plans.filter((p) => p.eventIds.length >= itemsPerBatch(p.kind, limits));
      if (events.length === PLAN_READ && full.length > 0) plans = full;
      const writeStarted = performance.now();
      this.store.insertBatches(plans, (k) => registry.contractOf(k));
      if (events.length < PLAN_READ) return;
      // That write waited for another writer (a bulk import holds the lock chunk by chunk): better-sqlite3 waits
      // synchronously, so stop planning for this cycle rather than stall the console once per read.
      if (performance.now() - writeStarted > CONTENDED_WRITE_MS) return;
    }
  }

  private halveItems(batchId: string, kind: string): void {
    this.itemCaps[kind] = Math.max(1, Math.floor((this.itemCaps[kind] ?? this.options.registry.gasOf(kind).maxItems) / 2));
    this.options.log.warn(`sync: batch ${batchId.slice(0, 10)}… was split; ${kind} batches now hold at most ${this.itemCaps[kind]} events`);
    // Re-plan with the smaller cap on the next cycle.
  }

  private countConfirmed(): number {
    return (this.options.db.prepare(`SELECT count(*) AS n FROM sync_batches WHERE state = 'confirmed'`).get() as { n: number }).n;
  }

  pendingCount(): number {
    return Object.values(this.store.queueDepth()).reduce((a, b) => a + b, 0);
  }

  /**
   * Announces a state: an idle or queued state equal to the last one is not repeated every poll, and the rest is
   * paced (state-throttle.ts) so a fast run of batches does not flood the renderer.
   */
  private emit(state: SyncState): void {
    const repeat = (state.state === 'idle' || state.state === 'queued' || state.state === 'paused') && JSON.stringify(state) === JSON.stringify(this.lastState);
    this.lastState = state;
    if (!repeat) this.announcer.push(state);
  }
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
