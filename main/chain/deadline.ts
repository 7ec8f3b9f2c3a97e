// A time limit for one call to the chain node, on an injectable clock: a node that accepts the connection but never
// answers (paused, overloaded) becomes a named CHAIN_TIMEOUT instead of a request that spins for minutes.
import { AppError } from '../api/errors';

/** Time and timers, so tests drive timeouts with a fake clock instead of waiting on the wall clock. */
export interface ChainClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: ChainClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** How long an on-demand call (verify a credential, check a document, …) waits for the node. */
export const CHAIN_CALL_TIMEOUT_MS = 8_000;
/** How long the background probe waits for eth_chainId / eth_blockNumber before calling the node offline. */
export const CHAIN_PROBE_TIMEOUT_MS = 5_000;

/** The error an unanswered call becomes; `what` names the call for a person ("verify a credential"). */
export function chainTimeoutError(what: string, ms: number, rpcUrl: string | null): AppError {
  const where = rpcUrl ? ` at ${rpcUrl}` : '';
  return new AppError(
    'CHAIN_TIMEOUT',
    `The chain node${where} did not answer within ${Math.round(ms / 1000)} s, so this workstation could not ${what}. The node may be stopped or paused: check that it runs, then try again once the chain shows connected (the status bar, or \`custodian status\`). Records are still saved here and wait in the outbox.`,
    { timeoutMs: ms },
  );
}

/** Resolves or rejects as `work` does, or rejects with `onTimeout()` after `ms` on `clock`, whichever comes first. */
export function withDeadline<T>(work: Promise<T>, ms: number, clock: ChainClock, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = clock.setTimeout(() => {
      if (settled) return;
      settled = true;
      reject(onTimeout());
    }, ms);
    work.then(
      (value) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** An on-demand call under the time limit: `what` names the call for a person ("verify a credential"). */
export type ChainDeadline = <T>(what: string, work: Promise<T>) => Promise<T>;

export interface ChainDeadlineOptions {
  /** The node the calls go to (named in the message), or null when unknown. */
  rpcUrl: string | null;
  /** CHAIN_CALL_TIMEOUT_MS unless told otherwise. */
  ms?: number;
  /** The system clock unless a test passes a fake one. */
  clock?: ChainClock;
  /** Told of each timeout before the caller gets CHAIN_TIMEOUT (the chain runtime marks the node offline). */
  onTimeout?: (what: string, ms: number) => void;
}

/**
 * The one time limit of every on-demand chain call: the console's chain runtime, the CLI (through the same runtime)
 * and the bulk verification job in its worker thread all bound their reads with it, so each fails the same way.
 */
export function chainDeadline(options: ChainDeadlineOptions): ChainDeadline {
  const ms = options.ms ?? CHAIN_CALL_TIMEOUT_MS;
  const clock = options.clock ?? systemClock;
  return (what, work) =>
    withDeadline(work, ms, clock, () => {
      const error = chainTimeoutError(what, ms, options.rpcUrl);
      options.onTimeout?.(what, ms);
      return error;
    });
}
