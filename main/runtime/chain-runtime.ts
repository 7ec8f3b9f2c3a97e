// Keeps the console connected to its chain: starts (or attaches to) the embedded anvil devnet, or connects to
// the configured external network; watches chain id and block height and reports "offline since …" with backoff.
import fs from 'node:fs';
import path from 'node:path';
import type { JsonRpcProvider } from 'ethers';
import type { ChainStatus } from '../api/system';
import { CHAIN_PROBE_TIMEOUT_MS, chainDeadline, systemClock, withDeadline, type ChainClock } from '../chain/deadline';
import { startEmbeddedChain, type EmbeddedChain } from '../chain/devnet';
import { devnetKeysFile, readDevnetKeys, type DevnetKeys, type FolderSecret } from '../chain/devnet-keys';
import { createProvider } from '../chain/provider';
import type { ChainConfig } from './config';
import type { EventBus } from './event-bus';
import type { Logger } from './log';

interface Endpoint {
  rpcUrl: string;
  chainId: number;
  contracts: Record<string, string>;
}

interface EndpointRecord extends Endpoint {
  pid: number;
}

export interface ChainRuntimeOptions {
  dataDir: string;
  config: ChainConfig;
  events: EventBus;
  log: Logger;
  /**
   * The facility's consent namespace, asked only when this runtime starts the embedded chain (its signer is
   * registered for it). The consents domain derives it from the facility secret; the composition root hands it in.
   */
  embeddedFacilityId: () => string;
  /** The data folder's secret (its database key) the embedded devnet's keys are sealed under; asked when needed. */
  folderSecret: () => FolderSecret;
  pollMs?: number;
  maxBackoffMs?: number;
  /** Time and timers (tests pass a fake clock); the system clock by default. */
  clock?: ChainClock;
  /** How long the probe waits for the node before reporting it offline (CHAIN_PROBE_TIMEOUT_MS). */
  probeTimeoutMs?: number;
  /** How long an on-demand call waits (CHAIN_CALL_TIMEOUT_MS). */
  callTimeoutMs?: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The embedded chain is shared by every Custodian process on one data folder (console, CLI): the first starts it. */
function endpointFile(dataDir: string): string {
  return path.join(dataDir, 'chain', 'endpoint.json');
}

export class ChainRuntime {
  private status: ChainStatus;
  private provider: JsonRpcProvider | null = null;
  private endpoint: Endpoint | null = null;
  private owned: EmbeddedChain | null = null;
  private timer: unknown = null;
  private readonly clock: ChainClock;
  private failures = 0;
  private stopped = false;
  private readonly mode: 'embedded' | 'external';

  constructor(private readonly options: ChainRuntimeOptions) {
    this.mode = options.config.mode === 'external' ? 'external' : 'embedded';
    this.clock = options.clock ?? systemClock;
    const since = new Date(this.clock.now()).toISOString();
    this.status =
      options.config.mode === 'none'
        ? { state: 'offline', mode: 'embedded', rpcUrl: null, since, reason: 'Chain disabled (CUSTODIAN_CHAIN=none)' }
        : { state: 'connecting', mode: this.mode, rpcUrl: options.config.mode === 'external' ? options.config.rpcUrl : null, since };
  }

  get current(): ChainStatus {
    return this.status;
  }

  /** Connected provider and endpoint, or null while offline. */
  get connection(): { provider: JsonRpcProvider; endpoint: Endpoint } | null {
    return this.provider && this.endpoint && this.status.state === 'connected' ? { provider: this.provider, endpoint: this.endpoint } : null;
  }

  /**
   * The embedded devnet's operating key (the sync engine's signer: random, this data folder's own), or null for an
   * external chain or before the chain started. A console that attached to another process's devnet on the same
   * folder reads the same key file.
   */
  get embeddedSignerKey(): string | null {
    if (this.options.config.mode !== 'embedded') return null;
    return this.owned?.signerPrivateKey ?? (this.endpoint ? this.devnetKeys().operating.privateKey : null);
  }

  /** The embedded devnet's keys, unsealed with the folder's secret (DEVNET_KEYS_* when the file is not this folder's). */
  devnetKeys(): DevnetKeys {
    return readDevnetKeys(devnetKeysFile(this.options.dataDir), this.options.folderSecret());
  }

  /** Resolves once the first connection attempt has finished (connected or not). */
  async start(): Promise<void> {
    const { config, log } = this.options;
    if (config.mode === 'none') return;
    try {
      this.endpoint = config.mode === 'external' ? { rpcUrl: config.rpcUrl, chainId: config.chainId, contracts: config.contracts } : await this.embeddedEndpoint();
      this.provider = createProvider(this.endpoint.rpcUrl, this.endpoint.chainId);
    } catch (err) {
      log.error(`chain start failed: ${(err as Error).message}`);
      this.setStatus({ state: 'offline', mode: this.mode, rpcUrl: null, since: this.nowIso(), reason: (err as Error).message });
      return;
    }
    await this.poll();
  }

  /**
   * Runs `work` (a call to the node) with the on-demand time limit. A node that does not answer in time is taken
   * for offline at once (every health display follows), and the caller gets CHAIN_TIMEOUT naming `what`.
   */
  deadline<T>(what: string, work: Promise<T>): Promise<T> {
    return chainDeadline({
      rpcUrl: this.endpoint?.rpcUrl ?? null,
      clock: this.clock,
      ...(this.options.callTimeoutMs !== undefined ? { ms: this.options.callTimeoutMs } : {}),
      onTimeout: (call, ms) => this.markUnanswered(`no answer to ${call} within ${Math.round(ms / 1000)} s`),
    })(what, work);
  }

  /** Probes the node now (tests, and a caller that wants a fresh reading) and returns the new status. */
  async probe(): Promise<ChainStatus> {
    await this.poll();
    return this.status;
  }

  private markUnanswered(reason: string): void {
    if (this.stopped || !this.endpoint || this.status.state === 'offline') return;
    this.failures += 1;
    this.setStatus({ state: 'offline', mode: this.mode, rpcUrl: this.endpoint.rpcUrl, since: this.nowIso(), reason });
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private async embeddedEndpoint(): Promise<Endpoint> {
    const file = endpointFile(this.options.dataDir);
    if (fs.existsSync(file)) {
      try {
        const record = JSON.parse(fs.readFileSync(file, 'utf8')) as EndpointRecord;
        if (isAlive(record.pid) && (await answersChainId(record.rpcUrl))) {
          this.options.log.info(`attached to the embedded chain of process ${record.pid} at ${record.rpcUrl}`);
          return record;
        }
      } catch {
        // A stale or torn record: start our own below.
      }
    }
    // The workstation's signer is registered for its facility's consent namespace (derived from the facility secret).
    const chain = await startEmbeddedChain(this.options.dataDir, this.options.folderSecret(), this.options.embeddedFacilityId());
    this.owned = chain;
    const record: EndpointRecord = { rpcUrl: chain.rpcUrl, chainId: chain.chainId, contracts: { ...chain.contracts }, pid: chain.node.pid };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2));
    fs.renameSync(`${file}.tmp`, file);
    this.options.log.info(`embedded chain started at ${chain.rpcUrl} (pid ${chain.node.pid})`);
    return record;
  }

  private async poll(): Promise<void> {
    if (this.stopped || !this.provider || !this.endpoint) return;
    const { rpcUrl, chainId, contracts } = this.endpoint;
    const provider = this.provider;
    const ms = this.options.probeTimeoutMs ?? CHAIN_PROBE_TIMEOUT_MS;
    try {
      // A paused node accepts the connection and never answers: without a limit the probe waited minutes and the
      // status stayed "Connected" meanwhile.
      const read = async (): Promise<[number, number]> => [Number(await provider.send('eth_chainId', [])), Number(await provider.send('eth_blockNumber', []))];
      const [actual, blockNumber] = await withDeadline(read(), ms, this.clock, () => new Error(`no answer within ${Math.round(ms / 1000)} s`));
      this.failures = 0;
      if (actual !== chainId) {
        this.setStatus({ state: 'mismatch', mode: this.mode, rpcUrl, expectedChainId: chainId, actualChainId: actual });
      } else {
        this.setStatus({ state: 'connected', mode: this.mode, rpcUrl, chainId, blockNumber, contracts });
      }
    } catch (err) {
      this.failures += 1;
      const since = this.status.state === 'offline' ? this.status.since : this.nowIso();
      this.setStatus({ state: 'offline', mode: this.mode, rpcUrl, since, reason: shortReason(err) });
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    const base = this.options.pollMs ?? 2000;
    // Exponential backoff with jitter while offline, so many workstations do not hammer a node coming back.
    const delay =
      this.failures === 0 ? base : Math.min(this.options.maxBackoffMs ?? 30_000, base * 2 ** Math.min(this.failures, 5)) * (0.5 + Math.random() / 2);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.poll();
    }, delay);
  }

  private setStatus(next: ChainStatus): void {
    const prev = this.status;
    this.status = next;
    if (JSON.stringify(prev) !== JSON.stringify(next)) this.options.events.emit('chain.connection', next);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.provider?.destroy();
    if (this.owned) {
      const file = endpointFile(this.options.dataDir);
      await this.owned.stop();
      fs.rmSync(file, { force: true });
      this.owned = null;
    }
  }
}

function shortReason(err: unknown): string {
  const e = err as { code?: string; shortMessage?: string; message?: string };
  return (e.shortMessage ?? e.message ?? String(err)).split('\n')[0]!.slice(0, 200);
}

async function answersChainId(rpcUrl: string): Promise<boolean> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(2000),
    });
    return res.ok;
  } catch {
    return false;
  }
}
