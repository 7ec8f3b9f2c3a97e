// JSON-RPC provider set up for anvil and small chains, and a sender that signs and sends one transaction at a time.
// Used by deploy.ts, devnet.ts and the contract tests; the sync sender builds on the same rules (nonce, fees, cap).
import {
  FetchRequest,
  JsonRpcProvider,
  Network,
  type Interface,
  type Provider,
  type Signer,
  type TransactionReceipt,
  type TransactionRequest,
} from 'ethers';
import { AppError } from '../api/errors';

/** EIP-7825 caps the gas of a single transaction at 2^24. */
export const MAX_TX_GAS = 16_777_216n;

const GWEI = 1_000_000_000n;

export interface ChainStatusReading {
  chainId: number;
  blockNumber: number;
}

export interface FeeSuggestion {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/**
 * A provider with a fixed network and no request cache or batching. Measured against anvil: with ethers'
 * defaults the request cache hands out stale nonces and batched calls stall.
 */
export function createProvider(
  rpcUrl: string,
  chainId: number,
  opts: {
    pollingIntervalMs?: number;
    /**
     * destroy() also aborts the requests in flight. ethers leaves them open (a paused node holds them for its 5-minute
     * request timeout), which keeps a worker thread, and its job, alive long after the caller gave up (CHAIN_TIMEOUT).
     */
    abortOnDestroy?: boolean;
  } = {},
): JsonRpcProvider {
  const network = Network.from(chainId);
  const options = { staticNetwork: network, cacheTimeout: -1, batchMaxCount: 1, pollingInterval: opts.pollingIntervalMs ?? 250 };
  return opts.abortOnDestroy ? new AbortableProvider(rpcUrl, network, options) : new JsonRpcProvider(rpcUrl, network, options);
}

/** A JSON-RPC provider over fetch with one abort signal for every request: destroy() ends them all. */
class AbortableProvider extends JsonRpcProvider {
  private readonly inFlight: AbortController;

  constructor(rpcUrl: string, network: Network, options: ConstructorParameters<typeof JsonRpcProvider>[2]) {
    const inFlight = new AbortController();
    const request = new FetchRequest(rpcUrl);
    request.getUrlFunc = async (req) => {
      const res = await fetch(req.url, { method: req.method, headers: req.headers, ...(req.body ? { body: req.body } : {}), signal: inFlight.signal });
      return { statusCode: res.status, statusMessage: res.statusText, headers: Object.fromEntries(res.headers), body: new Uint8Array(await res.arrayBuffer()) };
    };
    super(request, network, options);
    this.inFlight = inFlight;
  }

  override destroy(): void {
    this.inFlight.abort();
    super.destroy();
  }
}

/** Chain id as reported by the node itself (not the provider's static network) and the head block. */
export async function readChainStatus(provider: JsonRpcProvider): Promise<ChainStatusReading> {
  const chainIdHex = (await provider.send('eth_chainId', [])) as string;
  const blockNumber = await provider.getBlockNumber();
  return { chainId: Number(BigInt(chainIdHex)), blockNumber };
}

/**
 * EIP-1559 fees: priority fee from the median tip of recent blocks (eth_feeHistory), falling back to the node's
 * suggestion; max fee = twice the next block's base fee plus the tip, which survives several full blocks.
 */
export async function suggestFees(provider: Provider): Promise<FeeSuggestion> {
  let nextBaseFee: bigint | null = null;
  let tip: bigint | null = null;
  if (provider instanceof JsonRpcProvider) {
    try {
      const history = (await provider.send('eth_feeHistory', ['0x5', 'latest', [50]])) as {
        baseFeePerGas?: string[];
        reward?: string[][];
      };
      const baseFees = history.baseFeePerGas ?? [];
      const last = baseFees[baseFees.length - 1];
      if (last !== undefined) nextBaseFee = BigInt(last);
      const tips = (history.reward ?? [])
        .map((r) => (r[0] === undefined ? 0n : BigInt(r[0])))
        .filter((t) => t > 0n)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const median = tips[Math.floor(tips.length / 2)];
      if (median !== undefined) tip = median;
    } catch {
      // node without eth_feeHistory: use getFeeData below
    }
  }
  if (nextBaseFee === null || tip === null) {
    const data = await provider.getFeeData();
    tip ??= data.maxPriorityFeePerGas ?? GWEI;
    if (nextBaseFee === null) {
      const block = await provider.getBlock('latest');
      nextBaseFee = block?.baseFeePerGas ?? data.gasPrice ?? GWEI;
    }
  }
  return { maxFeePerGas: nextBaseFee * 2n + tip, maxPriorityFeePerGas: tip };
}

/** Revert data (0x-prefixed) carried by an ethers error, if any. */
export function revertDataOf(err: unknown): string | null {
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (typeof cur === 'object' && cur !== null && !seen.has(cur)) {
    seen.add(cur);
    const e = cur as { data?: unknown; details?: unknown; info?: { error?: unknown }; error?: unknown };
    if (typeof e.data === 'string' && e.data.startsWith('0x') && e.data.length >= 10) return e.data;
    const detailsData = (e.details as { revertData?: unknown } | undefined)?.revertData;
    if (typeof detailsData === 'string') return detailsData;
    cur = e.info?.error ?? e.error;
  }
  return null;
}

export interface TxSenderOptions {
  /** Per-transaction gas cap; defaults to the EIP-7825 limit. */
  gasLimitCap?: bigint;
  /** Extra gas over the estimate, in percent (default 20). */
  gasBufferPercent?: number;
  /** How long to wait for a receipt before giving up (default 120 s). */
  receiptTimeoutMs?: number;
}

export interface SendOptions {
  /** Interface used to name a custom error in the message when the transaction would revert. */
  decodeErrorsWith?: Interface;
}

/**
 * Sends transactions of one signer strictly one after another: nonce tracked locally (seeded from the pending
 * count), EIP-1559 fees and a capped gas limit filled in, and the receipt awaited before the next one goes out.
 * Use one TxSender per signer; two senders for the same account would hand out the same nonce.
 */
export class TxSender {
  private readonly signer: Signer;
  private readonly provider: Provider;
  private readonly gasLimitCap: bigint;
  private readonly gasBufferPercent: bigint;
  private readonly receiptTimeoutMs: number;
  private nextNonce: number | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private addressPromise: Promise<string> | null = null;

  constructor(signer: Signer, opts: TxSenderOptions = {}) {
    if (!signer.provider) throw new AppError('CHAIN_UNAVAILABLE', 'The signer has no provider.');
    this.signer = signer;
    this.provider = signer.provider;
    this.gasLimitCap = opts.gasLimitCap ?? MAX_TX_GAS;
    this.gasBufferPercent = BigInt(opts.gasBufferPercent ?? 20);
    this.receiptTimeoutMs = opts.receiptTimeoutMs ?? 120_000;
  }

  address(): Promise<string> {
    this.addressPromise ??= this.signer.getAddress();
    return this.addressPromise;
  }

  /** Forget the tracked nonce; the next send asks the node again. */
  resetNonce(): void {
    this.nextNonce = null;
  }

  /** Queues `tx` behind earlier sends, sends it and resolves with its successful receipt. */
  send(tx: TransactionRequest, opts: SendOptions = {}): Promise<TransactionReceipt> {
    const run = this.tail.then(
      () => this.sendNow(tx, opts),
      () => this.sendNow(tx, opts),
    );
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async sendNow(tx: TransactionRequest, opts: SendOptions): Promise<TransactionReceipt> {
    const from = await this.address();
    const { chainId } = await this.provider.getNetwork();

    let estimate: bigint;
    try {
      estimate = await this.provider.estimateGas({ ...tx, from });
    } catch (err) {
      throw revertError(err, opts.decodeErrorsWith);
    }
    if (estimate > this.gasLimitCap) {
      throw new AppError(
        'CHAIN_TX_TOO_LARGE',
        `Transaction needs ${estimate} gas, over the per-transaction cap of ${this.gasLimitCap}; split the batch.`,
        { estimate: estimate.toString(), cap: this.gasLimitCap.toString() },
      );
    }
    const buffered = (estimate * (100n + this.gasBufferPercent)) / 100n;
    const gasLimit = buffered > this.gasLimitCap ? this.gasLimitCap : buffered;
    const fees = await suggestFees(this.provider);

    this.nextNonce ??= await this.provider.getTransactionCount(from, 'pending');
    const nonce = this.nextNonce;
    let hash: string;
    try {
      const signed = await this.signer.signTransaction({
        ...tx,
        from,
        chainId,
        nonce,
        gasLimit,
        type: 2,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      });
      hash = (await this.provider.broadcastTransaction(signed)).hash;
    } catch (err) {
      // The node may or may not have taken the nonce: ask again next time.
      this.nextNonce = null;
      throw err;
    }
    this.nextNonce = nonce + 1;

    const receipt = await this.waitForReceipt(hash);
    if (receipt.status !== 1) {
      throw new AppError('CHAIN_TX_REVERTED', `Transaction ${hash} was mined but reverted.`, {
        hash,
        blockNumber: receipt.blockNumber,
      });
    }
    return receipt;
  }

  /** Polls for the receipt, quickly at first (anvil mines at once), then backing off to once a second. */
  private async waitForReceipt(hash: string): Promise<TransactionReceipt> {
    const deadline = Date.now() + this.receiptTimeoutMs;
    let wait = 20;
    for (;;) {
      const receipt = await this.provider.getTransactionReceipt(hash);
      if (receipt) return receipt;
      if (Date.now() > deadline) {
        throw new AppError(
          'CHAIN_TX_TIMEOUT',
          `No receipt for ${hash} after ${Math.round(this.receiptTimeoutMs / 1000)} s.`,
          { hash },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 1_000);
    }
  }
}

/** Sends `txs` in order with one TxSender; stops at the first failure. */
export async function sendSequential(signer: Signer, txs: TransactionRequest[]): Promise<TransactionReceipt[]> {
  const sender = new TxSender(signer);
  const receipts: TransactionReceipt[] = [];
  for (const tx of txs) receipts.push(await sender.send(tx));
  return receipts;
}

function revertError(err: unknown, iface: Interface | undefined): unknown {
  const data = revertDataOf(err);
  if (data === null) return err; // not a revert (network down, bad params): let the caller see the original
  let errorName: string | null = null;
  let errorArgs: string[] | null = null;
  if (iface) {
    try {
      const parsed = iface.parseError(data);
      if (parsed) {
        errorName = parsed.name;
        errorArgs = parsed.args.map((a: unknown) => String(a));
      }
    } catch {
      // unknown selector: report the raw data
    }
  }
  const what = errorName ? `${errorName}(${(errorArgs ?? []).join(', ')})` : `revert data ${data.slice(0, 74)}`;
  return new AppError('CHAIN_TX_REVERTED', `The transaction would revert: ${what}.`, { revertData: data, errorName });
}
