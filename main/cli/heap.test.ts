// releaseIdleHeap (heap.ts): the CLI's main thread gives its grown heap back before the key's scrypt and before it
// waits out an import. Run in a worker thread of its own, so the heap measured is one this test grew, not the runner's.
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { startTsWorker } from '../workers/ts-worker';

interface Report {
  newSpaceBefore: number;
  newSpaceAfter: number;
  physicalBefore: number;
  physicalAfter: number;
  gcInNewContext: string;
  gcOnGlobal: string;
}

function runInWorker(): Promise<Report> {
  const worker: Worker = startTsWorker(new URL('./fixtures/heap-worker.ts', import.meta.url), null);
  return new Promise((resolve, reject) => {
    worker.once('message', (m: Report) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited ${code} without a report`)));
  });
}

describe('releaseIdleHeap', () => {
  it('shrinks a young generation that allocation grew, and leaves no gc behind', async () => {
    const r = await runInWorker();
    // The worker grew its new space well past its initial size by allocating objects that survive a few scavenges.
    expect(r.newSpaceBefore).toBeGreaterThanOrEqual(8 * 2 ** 20);
    // A memory-reducing collection shrinks it back, and the heap's resident size with it.
    expect(r.newSpaceAfter).toBeLessThanOrEqual(r.newSpaceBefore / 4);
    expect(r.physicalAfter).toBeLessThan(r.physicalBefore);
    // --expose-gc is set only while the extension is fetched: later contexts (and worker threads) do not get gc.
    expect(r.gcInNewContext).toBe('undefined');
    expect(r.gcOnGlobal).toBe('undefined');
  });
});
