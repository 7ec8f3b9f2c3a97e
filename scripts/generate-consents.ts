// Deterministic synthetic consent CSV for benchmarks and tests: `tsx scripts/generate-consents.ts --rows N
// --out FILE [--seed S]`. Seeded PRNG, valid NPIs, about four consents per patient; no real person in it.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { CONSENT_COLUMNS } from '../main/consents/draft';
import { npiFromNine } from '../main/api/npi';

/** mulberry32: small, fast and good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAMILY = ['Smith', 'Garcia', 'Nguyen', 'Okafor', 'Kowalski', 'Haddad', 'Johansson', 'Tanaka', "O'Brien", 'Silva', 'Müller', 'Dubois'];
const GIVEN = ['Ada', 'Grace', 'Alan', 'Mei', 'Chidi', 'Lena', 'Omar', 'Sofia', 'Yuki', 'Noah', 'Zoë', 'Ravi'];
const FACILITIES = ['GH01', 'GH02', 'NORTH'];
const PURPOSES = ['TREAT', 'TREAT', 'TREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH', 'HMARKT'];
const CATEGORIES = ['general', 'general', 'general', 'mental-health', 'substance-use', 'HIV', 'genetic', 'reproductive'];

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function date(rand: () => number, fromYear: number, years: number): string {
  const day = Math.floor(rand() * years * 365);
  return new Date(Date.UTC(fromYear, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
}

export interface GenerateOptions {
  rows: number;
  seed?: number;
  /** Consents per patient on average (patients = rows / this). */
  perPatient?: number;
}

/** Writes the CSV and returns its size in bytes. Memory stays flat: rows go out in ~1 MB writes. */
export function generateConsentsCsv(file: string, options: GenerateOptions): number {
  const rand = prng(options.seed ?? 42);
  const patients = Math.max(1, Math.floor(options.rows / (options.perPatient ?? 4)));
  const npis = Array.from({ length: 2000 }, (_, i) => npiFromNine(`1${pad((i * 7919 + 104_729) % 100_000_000, 8)}`));
  const fd = fs.openSync(file, 'w');
  let size = 0;
  let buffer: string[] = [`${CONSENT_COLUMNS.join(',')}\n`];
  let pending = buffer[0]!.length;
  const flush = () => {
    const text = buffer.join('');
    size += fs.writeSync(fd, text);
    buffer = [];
    pending = 0;
  };
  try {
    for (let i = 1; i <= options.rows; i++) {
      const p = Math.floor(rand() * patients);
      const name = `"${FAMILY[p % FAMILY.length]}, ${GIVEN[(p >> 4) % GIVEN.length]}"`;
      const birth = new Date(Date.UTC(1930, 0, 1) + ((p * 2654435761) % 27_000) * 86_400_000).toISOString().slice(0, 10);
      const org = rand() < 0.1;
      const grantee = org ? `ORG-${pad(Math.floor(rand() * 500), 4)}` : npis[Math.floor(rand() * npis.length)]!;
      const start = date(rand, 2019, 6);
      const end = rand() < 0.7 ? `${Number(start.slice(0, 4)) + 1 + Math.floor(rand() * 5)}${start.slice(4)}` : '';
      const endFixed = end.endsWith('-02-29') ? end.replace('-02-29', '-02-28') : end;
      const hash = rand() < 0.2 ? Array.from({ length: 4 }, () => Math.floor(rand() * 2 ** 32).toString(16).padStart(8, '0')).join('').repeat(2) : '';
      const line = [
        `SYN-${pad(i, 8)}`,
        FACILITIES[p % FACILITIES.length],
        `MRN${pad(p, 8)}`,
        name,
        birth,
        grantee,
        org ? 'org' : 'npi',
        rand() < 0.85 ? 'permit' : 'deny',
        PURPOSES[Math.floor(rand() * PURPOSES.length)],
        CATEGORIES[Math.floor(rand() * CATEGORIES.length)],
        start,
        endFixed,
        hash,
      ].join(',');
      buffer.push(line, '\n');
      pending += line.length + 1;
      if (pending > 1 << 20) flush();
    }
    flush();
  } finally {
    fs.closeSync(fd);
  }
  return size;
}

const USAGE = 'usage: tsx scripts/generate-consents.ts --rows N --out FILE [--seed S]\n  Writes N synthetic consent rows (seeded, valid NPIs, no real person) as CSV to FILE.\n';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let values: { rows?: string; out?: string; seed?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { rows: { type: 'string', default: '1000' }, out: { type: 'string' }, seed: { type: 'string', default: '42' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const rows = Number(values.rows);
  if (!values.out || !Number.isInteger(rows) || rows < 0) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  const size = generateConsentsCsv(values.out, { rows, seed: Number(values.seed) });
  process.stdout.write(`${values.out}: ${rows} rows, ${size} bytes\n`);
}
