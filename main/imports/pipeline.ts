// The consent import: stream a file (CSV, FHIR NDJSON or Bundle), validate each record, and commit chunks of
// rows with their counts, rejects and the job checkpoint in one transaction, so a killed run resumes exactly.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';
import { describeProblems, validateConsentFields, type ConsentDraft, type ConsentFieldValues, type DraftResult, type FieldProblem } from '../consents/draft';
import { consentToDrafts } from '../consents/fhir';
import { loadOrCreateFacilitySecret, Pseudonymizer } from '../consents/pseudonym';
import { ConsentStore, type ConsentWriter } from '../consents/store';
import type { Db } from '../db/connection';
import { applyDraft, type ApplyContext, type ApplyOutcome } from './apply';
import { mapHeader, type HeaderMapping } from './csv-header';
import { MAX_COLUMNS, readCsvBatches, type CsvPosition, type CsvRecord } from './csv-source';
import { DryRunStore } from './dry-run-store';
import { detectFhirLayout, readBundleBatches, readNdjsonBatches, readSingleResource, type FhirPosition, type FhirRecord } from './fhir-source';
import { csvRejectLine, csvRejectsHeader, fhirRejectLine, RejectsFile, rejectsPathFor } from './rejects';
import { finishImportRun, getImportRun, saveImportCounts, startImportRun, type ImportCounts } from './runs';

// A chunk holds SQLite's single write lock while it commits; the console's own writes (audit entries of every
// call, the sync engine) wait for it on the main thread. Small chunks and a pause longer than SQLite's longest
// busy-handler sleep (100 ms) keep those waits short, so the window stays responsive during a long import.
export const DEFAULT_CHUNK_ROWS = 4_000;
const READ_BATCH = 1000;
const WRITER_PAUSE_MS = 110;
/** Page cache for the import's connection, in KiB as a negative cache_size. */
const IMPORT_CACHE_KIB = -64 * 1024;

/** What the pipeline needs from its host: the job context in a worker, or a plain object in tests and benches. */
export interface ImportHooks {
  checkpoint: unknown;
  /** Called inside the chunk's transaction. */
  saveCheckpoint(checkpoint: unknown, done: number, errors: number): void;
  report(done: number, total: number | null, errors: number, message?: string): void;
  readonly cancelled: boolean;
}

export interface ImportTimings {
  parseMs: number;
  validateMs: number;
  writeMs: number;
}

export interface ImportSummary extends ImportCounts {
  runId: number;
  format: 'csv' | 'fhir';
  dryRun: boolean;
  outcome: 'succeeded' | 'cancelled';
  rejectsPath: string;
  fileHash: string;
  ignoredColumns: string[];
  sampleRejects: { row: number; reason: string }[];
  timings: ImportTimings;
}

interface ImportCheckpoint {
  v: 1;
  size: number;
  mtimeMs: number;
  position: CsvPosition | FhirPosition;
  rejectsBytes: number;
  header?: string[];
}

function readCheckpoint(value: unknown): ImportCheckpoint | null {
  const cp = value as Partial<ImportCheckpoint> | null;
  return cp && cp.v === 1 && typeof cp.rejectsBytes === 'number' && cp.position ? (cp as ImportCheckpoint) : null;
}

async function hashPrefix(file: string, end: number, hash: crypto.Hash): Promise<void> {
  if (end <= 0) return;
  for await (const chunk of fs.createReadStream(file, { start: 0, end: end - 1 })) hash.update(chunk as Buffer);
}

/** Cells of a CSV record as named values, or why the row's shape is wrong. */
export function csvValues(rec: CsvRecord, mapping: HeaderMapping): ConsentFieldValues | FieldProblem[] {
  const width = mapping.names.length;
  const n = rec.fields.length;
  if (n > MAX_COLUMNS) return [{ column: '(row)', reason: `has ${n} columns; at most ${MAX_COLUMNS} are allowed and the header has ${width}` }];
  if (n !== width) {
    let extraFilled = n < width;
    for (let i = width; i < n; i++) if (rec.fields[i]!.trim() !== '') extraFilled = true;
    if (extraFilled) return [{ column: '(row)', reason: `has ${n} columns but the header has ${width}` }];
  }
  const values: ConsentFieldValues = {};
  for (const column in mapping.index) {
    values[column as keyof ConsentFieldValues] = rec.fields[mapping.index[column as keyof ConsentFieldValues]!];
  }
  return values;
}

export interface ImportOptions {
  chunkRows?: number;
  /** Where secrets/ and imports/ live; the database's folder by default. */
  dataDir?: string;
}

export async function runConsentImport(db: Db, runId: number, hooks: ImportHooks, options: ImportOptions = {}): Promise<ImportSummary> {
  const run = getImportRun(db, runId);
  if (!run) throw new AppError('NOT_FOUND', `There is no import run ${runId}.`);
  const dataDir = options.dataDir ?? path.dirname(db.name);
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  // Records come from the reader in small batches; a chunk (transaction) spans as many as it takes.
  const readBatch = Math.min(READ_BATCH, chunkRows);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(run.file_path);
  } catch {
    throw new AppError('IMPORT_FILE_NOT_FOUND', `The file ${run.file_name} is no longer at ${run.file_path}.`);
  }
  if (stat.size === 0) throw new AppError('IMPORT_FILE_EMPTY', `The file ${run.file_name} is empty.`);

  // A dry run keeps its scratch rows in this connection's temporary tables, which die with the process: it
  // restarts from the top instead of resuming.
  const cp = run.dry_run ? null : readCheckpoint(hooks.checkpoint);
  if (cp && (cp.size !== stat.size || cp.mtimeMs !== stat.mtimeMs)) {
    throw new AppError('IMPORT_FILE_CHANGED', `${run.file_name} changed since this import started; start a new import of the file instead of resuming.`);
  }
  // Random-order key lookups over a million-row table: a larger page cache than SQLite's 2 MB default keeps
  // the hot index pages in memory (64 MB: most of the speed of 128 MB, within the memory budget). Restored after.
  const cacheSize = db.pragma('cache_size', { simple: true }) as number;
  db.pragma(`cache_size = ${IMPORT_CACHE_KIB}`);
  // Fewer, larger WAL checkpoints: a page dirtied by many chunks is copied back once per 64 MB, not per 4 MB.
  const autoCheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  db.pragma('wal_autocheckpoint = 16384');
  const fileHash = crypto.createHash('sha256');
  if (cp) await hashPrefix(run.file_path, cp.position.offset, fileHash);
  const rejectsPath = rejectsPathFor(dataDir, runId, run.format);
  startImportRun(db, runId, null, rejectsPath, cp === null);
  const counts: ImportCounts = cp
    ? { rows_read: run.rows_read, accepted: run.accepted, updated: run.updated, rejected: run.rejected, duplicate: run.duplicate, consents_written: run.consents_written }
    : { rows_read: 0, accepted: 0, updated: 0, rejected: 0, duplicate: 0, consents_written: 0 };
  const pseudonymizer = new Pseudonymizer(loadOrCreateFacilitySecret(dataDir));
  const writer: ConsentWriter = run.dry_run ? new DryRunStore(db, pseudonymizer) : new ConsentStore(db, pseudonymizer);
  const rejects = new RejectsFile(rejectsPath, cp ? cp.rejectsBytes : null, null);
  const timings: ImportTimings = { parseMs: 0, validateMs: 0, writeMs: 0 };
  const sampleRejects: { row: number; reason: string }[] = [];
  const today = new Date().toISOString().slice(0, 10);
  const source = `import:${runId}`;
  let mapping: HeaderMapping | null = cp?.header ? mapHeader(cp.header) : null;

  const reject = (row: number, reason: string, line: string) => {
    counts.rejected++;
    rejects.add(line);
    if (sampleRejects.length < 20) sampleRejects.push({ row, reason });
  };
  const count = (o: ApplyOutcome) => {
    if (o.kind === 'inserted') counts.accepted++;
    else if (o.kind === 'updated') counts.updated++;
    else if (o.kind === 'duplicate') counts.duplicate++;
    if (o.kind === 'inserted' || o.kind === 'updated') counts.consents_written++;
  };
  const write = { now: new Date().toISOString(), actor: source };
  const applyContext = (row: number): ApplyContext => ({ runId, rowNumber: row, source, write });

  // One transaction per chunk of rows, opened on the first batch and committed with the run's counts, the
  // rejects written so far and the job checkpoint once the chunk is full. The reader hands over small batches
  // processed at once, so rows die young in the JavaScript heap (a whole chunk held at once was promoted to the
  // old generation: measured ~50 MB more peak RSS). A dry run writes only temporary tables until the commit,
  // so it starts deferred.
  let open = false;
  let sinceCommit = 0;
  const begin = () => {
    db.exec(run.dry_run ? 'BEGIN' : 'BEGIN IMMEDIATE');
    open = true;
    write.now = new Date().toISOString();
  };
  const commit = (position: CsvPosition | FhirPosition) => {
    const checkpoint: ImportCheckpoint = { v: 1, size: stat.size, mtimeMs: stat.mtimeMs, position, rejectsBytes: rejects.flush(), ...(mapping ? { header: mapping.names } : {}) };
    saveImportCounts(db, runId, counts);
    hooks.saveCheckpoint(checkpoint, counts.rows_read, counts.rejected);
    db.exec('COMMIT');
    open = false;
    sinceCommit = 0;
  };
  const progress = (offset: number) => {
    const total = offset > 0 ? Math.max(counts.rows_read, Math.round((counts.rows_read * stat.size) / offset)) : null;
    hooks.report(counts.rows_read, total, counts.rejected);
  };

  let batches: AsyncGenerator<{ records: (CsvRecord | FhirRecord)[]; position: CsvPosition | FhirPosition }>;
  const onBytes = (chunk: Buffer) => fileHash.update(chunk);
  if (run.format === 'csv') {
    batches = readCsvBatches({
      file: run.file_path,
      ...(cp ? { from: cp.position as CsvPosition } : {}),
      batchRecords: readBatch,
      onBytes,
      onHeader: (fields) => {
        mapping = mapHeader(fields);
        rejects.add(csvRejectsHeader(fields));
      },
    });
  } else {
    const from = cp ? (cp.position as FhirPosition) : undefined;
    const layout = from?.layout ?? (await detectFhirLayout(run.file_path));
    batches =
      layout === 'ndjson'
        ? readNdjsonBatches(run.file_path, from, readBatch, onBytes)
        : layout === 'bundle'
          ? readBundleBatches(run.file_path, from, readBatch, onBytes)
          : readSingleResource(run.file_path, from, onBytes);
  }

  let outcome: 'succeeded' | 'cancelled' = 'succeeded';
  let last: CsvPosition | FhirPosition | null = null;
  try {
    hooks.report(counts.rows_read, null, counts.rejected, cp ? 'resuming' : 'starting');
    for (;;) {
      let t = performance.now();
      let next: IteratorResult<{ records: (CsvRecord | FhirRecord)[]; position: CsvPosition | FhirPosition }>;
      try {
        next = await batches.next();
      } catch (err) {
        // The file is unreadable from here on (e.g. an unclosed quote): keep what was read before the bad spot.
        if (err instanceof AppError && open && last) commit(last);
        throw err;
      }
      timings.parseMs += performance.now() - t;
      if (next.done) break;
      const { records, position } = next.value;
      last = position;
      if (!open) begin();
      let validateMs = 0;
      t = performance.now();
      if (run.format === 'csv') {
        const m = mapping;
        if (!m) throw new AppError('IMPORT_FILE_EMPTY', `The file ${run.file_name} has no header line.`);
        for (const rec of records as CsvRecord[]) {
          counts.rows_read++;
          const v0 = performance.now();
          const values = csvValues(rec, m);
          const result: DraftResult = Array.isArray(values) ? { ok: false, problems: values } : validateConsentFields(values, today);
          validateMs += performance.now() - v0;
          const o: ApplyOutcome = result.ok ? applyDraft(writer, result.draft, applyContext(rec.row)) : { kind: 'rejected', problems: result.problems };
          if (o.kind === 'rejected') {
            const reason = describeProblems(o.problems);
            reject(rec.row, reason, csvRejectLine(m.names.length, rec.fields, rec.row, rec.line, reason));
          } else count(o);
        }
      } else {
        for (const rec of records as FhirRecord[]) {
          counts.rows_read++;
          const v0 = performance.now();
          const m = rec.error ? ({ ok: false, reason: rec.error } as const) : consentToDrafts(rec.value);
          validateMs += performance.now() - v0;
          const result = m.ok ? applyResource(db, writer, m.drafts, applyContext(rec.row)) : { problems: [{ column: 'resource', reason: m.reason }] };
          if ('problems' in result) {
            const reason = describeProblems(result.problems);
            reject(rec.row, reason, fhirRejectLine(rec.row, reason, rec.value ?? rec.raw ?? null));
          } else {
            count(result.outcome);
            counts.consents_written += result.written - (result.outcome.kind === 'duplicate' ? 0 : 1);
          }
        }
      }
      sinceCommit += records.length;
      if (sinceCommit >= chunkRows) {
        commit(position);
        progress(position.offset);
        // Pausing before the next BEGIN IMMEDIATE lets writers waiting on the main thread through.
        await new Promise((resolve) => setTimeout(resolve, WRITER_PAUSE_MS));
        if (hooks.cancelled) {
          outcome = 'cancelled';
          break;
        }
      }
      timings.validateMs += validateMs;
      timings.writeMs += performance.now() - t - validateMs;
    }
    if (open) {
      commit(last!);
      progress(last!.offset);
    }
  } catch (err) {
    if (open) db.exec('ROLLBACK');
    finishImportRun(db, runId, 'failed', err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    await batches.return(undefined);
    db.pragma(`cache_size = ${Math.trunc(cacheSize)}`);
    db.pragma(`wal_autocheckpoint = ${Math.trunc(autoCheckpoint)}`);
  }
  const hash = `0x${fileHash.digest('hex')}`;
  if (outcome === 'succeeded') db.prepare('UPDATE import_runs SET file_hash = ? WHERE id = ?').run(hash, runId);
  finishImportRun(db, runId, outcome, null);
  hooks.report(counts.rows_read, outcome === 'succeeded' ? counts.rows_read : null, counts.rejected, outcome);
  return {
    runId,
    format: run.format,
    dryRun: run.dry_run === 1,
    outcome,
    ...counts,
    rejectsPath,
    fileHash: outcome === 'succeeded' ? hash : '',
    ignoredColumns: mapping ? (mapping as HeaderMapping).ignored : [],
    sampleRejects,
    timings,
  };
}

class ResourceRejected extends Error {
  constructor(readonly problems: FieldProblem[]) {
    super('rejected');
  }
}

/**
 * All rows of one FHIR Consent land together or not at all: a nested transaction (a savepoint) per resource.
 * The resource counts as accepted if it added a row, updated if it only changed rows, else duplicate.
 */
function applyResource(db: Db, writer: ConsentWriter, drafts: ConsentDraft[], a: ApplyContext): { outcome: ApplyOutcome; written: number } | { problems: FieldProblem[] } {
  try {
    return db.transaction(() => {
      let inserted: ApplyOutcome | null = null;
      let updated: ApplyOutcome | null = null;
      let duplicate: ApplyOutcome | null = null;
      let written = 0;
      for (const [i, d] of drafts.entries()) {
        const o = applyDraft(writer, d, a);
        if (o.kind === 'rejected') {
          throw new ResourceRejected(o.problems.map((p) => ({ column: drafts.length > 1 ? `rule ${i + 1} ${p.column}` : p.column, reason: p.reason })));
        }
        if (o.kind === 'inserted') inserted ??= o;
        else if (o.kind === 'updated') updated ??= o;
        else duplicate ??= o;
        if (o.kind !== 'duplicate') written++;
      }
      return { outcome: (inserted ?? updated ?? duplicate)!, written };
    })();
  } catch (err) {
    if (err instanceof ResourceRejected) {
      writer.discardCache?.();
      return { problems: err.problems };
    }
    throw err;
  }
}
