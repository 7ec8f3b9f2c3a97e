// `npm run bench [-- name-filter]`: runs every bench/*.bench.ts in turn and prints one line per figure, with its
// baseline from the same run and the ratio. Benchmarks print; they never assert a time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Bench, Figure } from './types';

const here = import.meta.dirname;
// Benchmarks that start the services (or the CLI) unwrap the database key with this passphrase.
process.env.CUSTODIAN_DB_PASSPHRASE ??= 'benchmark database passphrase';

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return abs >= 1000 ? Math.round(value).toLocaleString('en-US') : abs >= 10 ? value.toFixed(1) : value.toFixed(3);
}

export function formatFigure(bench: string, f: Figure): string {
  let line = `${bench} | ${f.name}: ${format(f.value)} ${f.unit}`;
  if (f.baseline) line += ` | baseline ${f.baseline.name}: ${format(f.baseline.value)} ${f.baseline.unit}`;
  if (f.ratio !== undefined) line += ` | ratio ${f.ratio.toFixed(2)}x`;
  if (f.note) line += ` | ${f.note}`;
  return line;
}

async function main(): Promise<void> {
  const filter = process.argv[2];
  const files = fs
    .readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => !filter || f.includes(filter))
    .sort();
  if (files.length === 0) {
    console.error(`no benchmark matches ${filter ?? '(all)'}`);
    process.exit(2);
  }
  const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
  console.log(`Custodian benchmarks on ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; rows=${rows}`);
  let failed = 0;
  for (const file of files) {
    const name = file.replace(/\.bench\.ts$/, '');
    const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), `custodian-bench-${name}-`));
    try {
      const mod = (await import(pathToFileURL(path.join(here, file)).href)) as { default: Bench };
      const figures = await mod.default({ tmpDir, rows });
      for (const f of figures) console.log(formatFigure(name, f));
    } catch (err) {
      failed++;
      console.log(`${name} | FAILED: ${(err as Error).message}`);
    } finally {
      fs.rmSync(tmpDir, { recursive: true, force: true });
    }
  }
  process.exit(failed ? 1 : 0);
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
