// Helpers for the import tests: write a file into the test data folder, build CSV rows from named values, and
// run the pipeline in-process (the job kind runs the same function in a worker).
import fs from 'node:fs';
import path from 'node:path';
import { CONSENT_COLUMNS, type ConsentColumn } from '../consents/draft';
import { NPI, type TestData } from '../consents/test-support';
import { runConsentImport, type ImportHooks, type ImportSummary } from './pipeline';
import { createImportRun, type ImportFormat } from './runs';

export const HEADER = CONSENT_COLUMNS.join(',');

export const GOOD: Record<ConsentColumn, string> = {
  external_id: 'C-1',
  facility: 'GH01',
  mrn: 'MRN0001',
  patient_name: 'Roe, Jane',
  birth_date: '1980-05-17',
  grantee: NPI.a,
  grantee_kind: 'npi',
  decision: 'permit',
  purpose: 'TREAT',
  category: 'general',
  period_start: '2024-01-01',
  period_end: '2026-12-31',
  document_hash: '',
};

function cell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One CSV line of the documented columns: GOOD with overrides. */
export function line(overrides: Partial<Record<ConsentColumn, string>> = {}): string {
  const v = { ...GOOD, ...overrides };
  return CONSENT_COLUMNS.map((c) => cell(v[c])).join(',');
}

export function csvText(lines: string[], eol = '\n'): string {
  return [HEADER, ...lines].join(eol) + eol;
}

export function writeFile(t: TestData, name: string, content: string | Buffer): string {
  const file = path.join(t.dir, name);
  fs.writeFileSync(file, content);
  return file;
}

export interface RunOptions {
  format?: ImportFormat;
  dryRun?: boolean;
  chunkRows?: number;
  hooks?: Partial<ImportHooks>;
  runId?: number;
  holdMs?: number;
}

export function newRun(t: TestData, file: string, options: RunOptions = {}): number {
  return createImportRun(t.db, {
    filePath: file,
    fileName: path.basename(file),
    fileSize: fs.statSync(file).size,
    format: options.format ?? (file.endsWith('.csv') ? 'csv' : 'fhir'),
    dryRun: options.dryRun ?? false,
    startedBy: 'test',
  });
}

export async function importFile(t: TestData, file: string, options: RunOptions = {}): Promise<ImportSummary> {
  const runId = options.runId ?? newRun(t, file, options);
  const base: ImportHooks = { checkpoint: null, saveCheckpoint() {}, report() {}, cancelled: false };
  // Property descriptors, not a spread: a `cancelled` getter must stay live.
  const hooks = options.hooks ? (Object.defineProperties(Object.create(base), Object.getOwnPropertyDescriptors(options.hooks)) as ImportHooks) : base;
  return runConsentImport(t.db, runId, hooks, { chunkRows: options.chunkRows ?? 1000, dataDir: t.dir, ...(options.holdMs !== undefined ? { holdMs: options.holdMs } : {}) });
}

/** The rejects file parsed back: header and rows as cell arrays (a tiny reader for test files only). */
export function readRejects(file: string): string[][] {
  const text = fs.readFileSync(file, 'utf8');
  const rows: string[][] = [];
  let rowCells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      rowCells.push(cur);
      cur = '';
    } else if (ch === '\r') continue;
    else if (ch === '\n') {
      rowCells.push(cur);
      rows.push(rowCells);
      rowCells = [];
      cur = '';
    } else cur += ch;
  }
  return rows;
}
