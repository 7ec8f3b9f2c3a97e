// Starts a worker thread on a TypeScript module when running from source (CLI, browser mode, tests): tsx is
// registered inside the thread first. Shared by the job runner and helper pools; bundles pass a built entry instead.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { Worker, type ResourceLimits } from 'node:worker_threads';

/** The ESM build of tsx's register API, resolved through the package's own exports map. */
function tsxEsmApiUrl(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(path.join(path.dirname(manifest), pkg.exports['./esm/api']!.import.default)).href;
}

/** A worker running `entry` (a .ts module URL) through tsx, with `workerData`. */
export function startTsWorker(entry: URL, workerData: unknown, resourceLimits?: ResourceLimits): Worker {
  const boot = `import(${JSON.stringify(tsxEsmApiUrl())}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData, ...(resourceLimits ? { resourceLimits } : {}) });
}

/** Whether this code runs from source (an ES module URL is known), so startTsWorker can be used. */
export function runningFromSource(): boolean {
  return typeof (import.meta.url as string | undefined) === 'string' && import.meta.url.startsWith('file:');
}
