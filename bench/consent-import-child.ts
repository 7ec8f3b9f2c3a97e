// Runs one consent import the way the console does (an import.consents job in a worker thread beside an idle
// main thread), in a process of its own so its peak RSS is the import's and not the benchmark's.
// Usage (from consent-import.bench.ts): tsx bench/consent-import-child.ts DB_PATH RUN_ID (BENCH_DB_KEY: the key, in hex, or empty;
// BENCH_OLD_GENERATION_MB: the job worker's old-generation cap, 'none' for V8's default, unset for the production cap)
import { dbKeyFromHex, openDatabase } from '../main/db/connection';
import type { ImportSummary } from '../main/imports/pipeline';
import { EventBus } from '../main/runtime/event-bus';
import { silentLogger } from '../main/runtime/log';
import { JobRunner } from '../main/workers/job-runner';

const [dbPath, runIdText] = process.argv.slice(2);
const keyHex = process.env.BENCH_DB_KEY;
const oldGeneration = process.env.BENCH_OLD_GENERATION_MB;
// With a key: the database encrypted at rest, the main thread and the job's worker each opening it with the key.
const dbKey = keyHex ? dbKeyFromHex(keyHex) : null;
const db = openDatabase(dbPath!, { key: dbKey });
const jobs = new JobRunner({
  db,
  dbPath: dbPath!,
  dbKey,
  events: new EventBus(),
  log: silentLogger,
  ...(oldGeneration ? { oldGenerationMb: oldGeneration === 'none' ? null : Number(oldGeneration) } : {}),
});
const rssBeforeMb = process.memoryUsage.rss() / 2 ** 20;
const t = process.hrtime.bigint();
const job = jobs.start('import.consents', { runId: Number(runIdText) });
const finished = await jobs.waitFor(job.id);
const seconds = Number(process.hrtime.bigint() - t) / 1e9;
if (finished.state !== 'succeeded') {
  process.stderr.write(`the import job ${finished.state}: ${finished.error ? `${finished.error.code}: ${finished.error.message}` : 'no error'}\n`);
  process.exit(1);
}
const summary = jobs.detail(job.id).result as ImportSummary;
db.close();
process.stdout.write(`${JSON.stringify({ seconds, summary, rssBeforeMb, maxRssMb: (process.resourceUsage().maxRSS * 1024) / 2 ** 20 })}\n`);
