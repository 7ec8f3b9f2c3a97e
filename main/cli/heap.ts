// Gives the main thread's idle JavaScript heap back to the OS at the two moments the CLI's peak RSS is made (issue
// #14): just before the database key's scrypt (128 MiB on top of whatever the process holds then), and before the
// main thread waits out a long job (an import's worker thread allocates beside it for minutes).
//
// Loading the command table's modules grows this thread's young generation to its maximum (new space 64 MB, about
// 32 MB of it resident) and nothing shrinks it again while the thread idles: V8 gives it back only in a collection
// that reduces memory, which a thread that no longer allocates never runs. Measured on `custodian import consents`
// (encrypted, 200,000 rows): this thread's heap held 71 MB resident of which 43 MB was live before, 32 MB after.
import v8 from 'node:v8';
import vm from 'node:vm';

/** V8's gc extension (`--expose-gc`): 'last-resort' runs full collections until nothing more is freed, then shrinks. */
type GcExtension = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async'; flavor?: 'regular' | 'last-resort' }) => void;

let gcExtension: GcExtension | null = null;

/**
 * The gc extension without starting node with --expose-gc: the flag is set just long enough for a new context to be
 * made with it (the way Jest's --logHeapUsage gets it), then cleared, so no later context or worker thread gets `gc`.
 */
function gcFunction(): GcExtension {
  if (gcExtension) return gcExtension;
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return (gcExtension = exposed as GcExtension);
  v8.setFlagsFromString('--expose-gc');
  try {
    gcExtension = vm.runInNewContext('gc') as GcExtension;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
  return gcExtension;
}

/**
 * A memory-reducing full collection of this thread's heap, now (synchronous: tens to a few hundred milliseconds for
 * the CLI's heap). For a thread about to be idle or about to make room for something large; never in a loop.
 */
export function releaseIdleHeap(): void {
  gcFunction()({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}
