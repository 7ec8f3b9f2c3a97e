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
  /** The live helper threads, one per slot (a replacement takes its slot). */
  helperThreads(): readonly Worker[];
  /** Helpers replaced after they ended. */
  readonly replaced: number;
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

type Items = Parameters<RecoverMany>[0];
interface Task {
  items: Items;
  resolve: (out: Recovered[]) => void;
  reject: (err: Error) => void;
  /** Helpers that ended while holding this task; it is given to one replacement, never to a second. */
  lost: number;
}
interface Helper {
  worker: Worker;
  tasks: Map<number, Task>;
}

/**
 * Starts `size` helper threads (default: one per core), or returns null when helpers cannot be used here. A helper
 * that ends for any reason (an error, a crash, terminate) is replaced, and its unanswered batches go to the
 * replacement once; a batch whose second helper ends too fails with the reason instead of going round for ever.
 */
export function startRecoverPool(size = os.availableParallelism(), options: RecoverPoolOptions = {}): RecoverPool | null {
  // From a bundle there is no TypeScript entry to start: the job checks in its own thread.
  if (!runningFromSource() || size < 2) return null;
  const local = options.shareCaller ? inThreadRecover() : null;
  let nextId = 0;
  let closing = false;
  let replaced = 0;

  const send = (helper: Helper, task: Task): void => {
    const id = nextId++;
    helper.tasks.set(id, task);
    helper.worker.postMessage({ id, items: task.items });
  };

  const startHelper = (slot: number): Helper => {
    const helper: Helper = { worker: startTsWorker(new URL('./recover-helper.ts', import.meta.url), null), tasks: new Map() };
    let failure: Error | null = null;
    helper.worker.on('message', (m: { id: number; out: Recovered[] }) => {
      helper.tasks.get(m.id)?.resolve(m.out);
      helper.tasks.delete(m.id);
    });
    // 'exit' follows 'error'; the error only names the reason.
    helper.worker.on('error', (err) => {
      failure = err;
    });
    helper.worker.on('exit', (code) => {
      const orphans = [...helper.tasks.values()];
      helper.tasks.clear();
      const reason = failure ?? new Error(`signature helper thread ended (exit code ${code})`);
      if (closing) {
        for (const t of orphans) t.reject(reason);
        return;
      }
      const next = startHelper(slot);
      helpers[slot] = next;
      replaced++;
      for (const t of orphans) {
        if (++t.lost > 1) t.reject(reason);
        else send(next, t);
      }
    });
    // Kept referenced: an awaited answer must keep the thread alive. close() ends them.
    return helper;
  };
  const helpers: Helper[] = Array.from({ length: size }, (_, slot) => startHelper(slot));

  const ask = (slot: number, items: Items) =>
    new Promise<Recovered[]>((resolve, reject) => {
      send(helpers[slot]!, { items, resolve, reject, lost: 0 });
    });
  return {
    size,
    async recover(items) {
      const shares = size + (local ? 1 : 0);
      const per = Math.ceil(items.length / shares);
      const asked = helpers.map((_, i) => (i * per < items.length ? ask(i, items.slice(i * per, (i + 1) * per)) : Promise.resolve([])));
      // The caller's share is the last slice, worked on while the helpers answer.
      const mine = local ? await local(items.slice(size * per)) : [];
      return [...(await Promise.all(asked)).flat(), ...mine];
    },
    helperThreads: () => helpers.map((h) => h.worker),
    get replaced() {
      return replaced;
    },
    async close() {
      closing = true;
      await Promise.all(helpers.map((h) => h.worker.terminate()));
    },
  };
}
