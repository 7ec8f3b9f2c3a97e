// Preloaded (`node --import bench/max-rss-preload.ts …`) into a process the bench measures as a person runs it, such
// as `custodian import consents`: on exit, writes the process's peak RSS in bytes to the file in BENCH_MAX_RSS_FILE.
import fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const out = process.env.BENCH_MAX_RSS_FILE;
// The main thread only: a worker inherits the preload, and its exit is not the process's (the figure is per process).
if (out && isMainThread) {
  process.on('exit', () => {
    fs.writeFileSync(out, String(process.resourceUsage().maxRSS * 1024));
  });
}
