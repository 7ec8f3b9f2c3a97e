// EIP-712 digests and signature recovery spread over helper threads for bulk verification: they are most of a
// credential check's CPU, and a bulk job would otherwise use one core. Null (check in-thread) where it cannot start.
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { runningFromSource, startTsWorker } from '../workers/ts-worker';
import type { CredentialDomain, CredentialFields } from './eip712';
import { createSignatureChecker } from './fast-recover';
import type { Recovered } from './verdict';

/** Computes each credential's EIP-712 digest and recovers its signer (null where the signature is not valid). */
export type RecoverMany = (items: readonly { domain: CredentialDomain; fields: CredentialFields; signature: string }[]) => Promise<Recovered[]>;

export interface RecoverPool {
  readonly size: number;
  recover: RecoverMany;
  close(): Promise<void>;
}

/** Recovery in the calling thread, with one checker for the caller's lifetime (a job): the fallback of the pool. */
export function inThreadRecover(): RecoverMany {
  const checker = createSignatureChecker();
  return async (items) => items.map((it) => checker.recover(it.domain, it.fields, it.signature));
}

export interface RecoverPoolOptions {
  /** The calling thread takes a share of each batch too, while the helpers work on theirs. */
  shareCaller?: boolean;
}

/** Starts `size` helper threads (default: one per core), or returns null when helpers cannot be used here. */
export function startRecoverPool(size = os.availableParallelism(), options: RecoverPoolOptions = {}): RecoverPool | null {
  // From a bundle there is no TypeScript entry to start: the job checks in its own thread.
  if (!runningFromSource() || size < 2) return null;
  const workers: Worker[] = Array.from({ length: size }, () => startTsWorker(new URL('./recover-helper.ts', import.meta.url), null));
  const local = options.shareCaller ? inThreadRecover() : null;
  const pending = new Map<number, { resolve: (out: Recovered[]) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  for (const w of workers) {
    w.on('message', (m: { id: number; out: Recovered[] }) => {
      pending.get(m.id)?.resolve(m.out);
      pending.delete(m.id);
    });
    w.on('error', (err) => {
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    });
    // Kept referenced: an awaited answer must keep the thread alive. close() ends them.
  }
  const ask = (w: Worker, items: Parameters<RecoverMany>[0]) =>
    new Promise<Recovered[]>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      w.postMessage({ id, items });
    });
  return {
    size,
    async recover(items) {
      const shares = size + (local ? 1 : 0);
      const per = Math.ceil(items.length / shares);
      const asked = workers.map((w, i) => (i * per < items.length ? ask(w, items.slice(i * per, (i + 1) * per)) : Promise.resolve([])));
      // The caller's share is the last slice, worked on while the helpers answer.
      const mine = local ? await local(items.slice(size * per)) : [];
      return [...(await Promise.all(asked)).flat(), ...mine];
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
