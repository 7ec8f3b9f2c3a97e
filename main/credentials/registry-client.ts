// Reads of CredentialRegistry: whether an issuer is registered (cached per reader), one credential's status, and
// many statuses through `statusesOf` in chunks, all pinned to one block so a bulk run sees one chain state.
import { Interface, type JsonRpcProvider } from 'ethers';
import { AppError } from '../api/errors';
import { loadArtifact } from '../chain/artifacts';
import type { ChainDeadline } from '../chain/deadline';

export interface StatusReading {
  status: number;
  expiresAt: number;
}

export interface RegistryReader {
  readonly chainId: number;
  readonly registry: string;
  /** The block the reads are pinned to. */
  readonly blockNumber: number;
  isIssuer(address: string): Promise<boolean>;
  statusOf(hash: string): Promise<StatusReading & { issuer: string }>;
  /** One `statusesOf` call per chunk of hashes, in the order given. */
  statusesOf(hashes: readonly string[]): Promise<StatusReading[]>;
  /** Calls made so far (for progress messages and the benchmark). */
  readonly calls: number;
}

/**
 * The registry could not be read: node unreachable, wrong chain, or no registry at the address. `timedOut`: the
 * node took the call and did not answer within the on-demand limit (CHAIN_TIMEOUT), e.g. paused or hung.
 */
export class RegistryUnavailable extends Error {
  constructor(
    readonly reason: string,
    readonly timedOut = false,
  ) {
    super(reason);
    this.name = 'RegistryUnavailable';
  }
}

export const DEFAULT_STATUS_CHUNK = 500;

let registryInterface: Interface | null = null;
export function credentialRegistryInterface(): Interface {
  registryInterface ??= new Interface(loadArtifact('CredentialRegistry').abi);
  return registryInterface;
}

function unavailable(err: unknown): RegistryUnavailable {
  if (err instanceof AppError && err.code === 'CHAIN_TIMEOUT') {
    const ms = (err.details as { timeoutMs?: number } | undefined)?.timeoutMs;
    return new RegistryUnavailable(`CHAIN_TIMEOUT: the chain node did not answer${ms !== undefined ? ` within ${Math.round(ms / 1000)} s` : ' in time'}`, true);
  }
  return new RegistryUnavailable(shortReason(err));
}

function shortReason(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string; code?: string };
  if (e.code === 'BAD_DATA') return 'no CredentialRegistry answers at the configured address';
  return (e.shortMessage ?? e.message ?? String(err)).split('\n')[0]!.slice(0, 200);
}

export class CredentialRegistryReader implements RegistryReader {
  private readonly iface = credentialRegistryInterface();
  private readonly issuers = new Map<string, Promise<boolean>>();
  private callCount = 0;

  private constructor(
    private readonly provider: JsonRpcProvider,
    readonly chainId: number,
    readonly registry: string,
    readonly blockNumber: number,
    private readonly chunk: number,
    private readonly bounded: ChainDeadline,
  ) {}

  /**
   * Checks the node's chain id and pins reads to its current block; throws RegistryUnavailable. With `deadline`,
   * every read (these two and each call after) is bounded by it, and a timeout is RegistryUnavailable.timedOut.
   */
  static async connect(provider: JsonRpcProvider, chainId: number, registry: string, opts: { chunk?: number; deadline?: ChainDeadline } = {}): Promise<CredentialRegistryReader> {
    const bounded: ChainDeadline = opts.deadline ?? ((_what, work) => work);
    let actual: number;
    let block: number;
    try {
      actual = Number(BigInt((await bounded('reach the credential registry', provider.send('eth_chainId', []))) as string));
      block = Number(BigInt((await bounded('reach the credential registry', provider.send('eth_blockNumber', []))) as string));
    } catch (err) {
      throw unavailable(err);
    }
    if (actual !== chainId) throw new RegistryUnavailable(`the node is on chain id ${actual}, expected ${chainId}`);
    return new CredentialRegistryReader(provider, chainId, registry, block, opts.chunk ?? DEFAULT_STATUS_CHUNK, bounded);
  }

  get calls(): number {
    return this.callCount;
  }

  private async call(method: string, args: unknown[]) {
    this.callCount++;
    try {
      const data = await this.bounded(`read the credential registry (${method})`, this.provider.call({ to: this.registry, data: this.iface.encodeFunctionData(method, args), blockTag: this.blockNumber }));
      return this.iface.decodeFunctionResult(method, data);
    } catch (err) {
      throw unavailable(err);
    }
  }

  isIssuer(address: string): Promise<boolean> {
    const key = address.toLowerCase();
    let answer = this.issuers.get(key);
    if (!answer) {
      answer = this.call('isIssuer', [address]).then((r) => Boolean(r[0]));
      // A failed read is not remembered: the next credential asks again.
      answer.catch(() => this.issuers.delete(key));
      this.issuers.set(key, answer);
    }
    return answer;
  }

  async statusOf(hash: string): Promise<StatusReading & { issuer: string }> {
    const r = await this.call('statusOf', [hash]);
    return { status: Number(r[0]), expiresAt: Number(r[1]), issuer: String(r[2]) };
  }

  async statusesOf(hashes: readonly string[]): Promise<StatusReading[]> {
    const out: StatusReading[] = [];
    for (let i = 0; i < hashes.length; i += this.chunk) {
      const r = await this.call('statusesOf', [hashes.slice(i, i + this.chunk)]);
      const statuses = r[0] as bigint[];
      const expiries = r[1] as bigint[];
      for (let j = 0; j < statuses.length; j++) out.push({ status: Number(statuses[j]), expiresAt: Number(expiries[j]) });
    }
    return out;
  }
}
