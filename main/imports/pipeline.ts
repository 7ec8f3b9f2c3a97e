// The consent import: the consents' record adapter of the import framework (engine.ts). CSV rows and FHIR
// resources are validated outside the write lock (chunk-reader.ts) and stored by the rules of apply.ts.
import { describeProblems, type ConsentDraft, type FieldProblem } from '../consents/draft';
import { loadOrCreateFacilitySecret, Pseudonymizer } from '../consents/pseudonym';
import { ConsentStore, type ConsentWriter } from '../consents/store';
import type { Db } from '../db/connection';
import { applyDraft, type ApplyContext, type ApplyOutcome } from './apply';
import { BulkConsentStore } from './bulk-store';
import { prepareConsentRecords, type ConsentItem, type CsvItem, type FhirItem } from './chunk-reader';
import { mapHeader, type HeaderMapping } from './csv-header';
import { DryRunStore } from './dry-run-store';
import { runImport, type EngineOptions, type ImportHooks, type ImportTimings, type RecordAdapter, type RunResultBase } from './engine';
import { csvRejectLine, fhirRejectLine, rejectsPathFor } from './rejects';
import { consentRunTable, consentTally, type ImportCounts } from './runs';

export { READ_BATCH, type ImportHooks, type ImportTimings } from './engine';
export { csvValues } from './chunk-reader';

export const DEFAULT_CHUNK_ROWS = 100_000;
/**
 * Page cache of the import's connection. 1,000,000-row benchmark, importing process measured on its own (idle
 * main thread + job worker): 48 MB ran in 79 s at 319 MB peak RSS, 32 MB in 84 s at 302 MB, 24 MB in 86-88 s at
 * 284-287 MB. The target is a peak under 300 MB. Measured again 2026-12-07 on an encrypted database (as the console
 * runs), 1,000,000 rows, console path: 24 MB 213 / 256 s at 243 MB, 40 MB 168 / 189 s at 260 MB (two alternating
 * rounds), 32 MB 203 s at 269 MB; the full bench with 32 MB put `custodian import consents` at 279 MB (264 MB with
 * 24 the same morning). Faster, but too close to the target for a machine under load (the CLI has peaked 271-288
 * MB with 24 under load): kept at 24.
 */
export const IMPORT_CACHE_MB = 24;
const IMPORT_CACHE_KIB = -IMPORT_CACHE_MB * 1024;

export interface ImportSummary extends ImportCounts, RunResultBase {
  format: 'csv' | 'fhir';
  timings: ImportTimings;
}

export type ImportOptions = EngineOptions;

/** The consents' record adapter over a connection. */
export function consentAdapter(db: Db): RecordAdapter<ImportCounts, ConsentItem, { ignoredColumns: string[] }> {
  return {
    kind: 'consents',
    runs: consentRunTable(db),
    chunkRows: DEFAULT_CHUNK_ROWS,
    zero: () => ({ rows_read: 0, accepted: 0, updated: 0, rejected: 0, duplicate: 0, consents_written: 0 }),
    tally: consentTally,
    rejectsPath: rejectsPathFor,
    tune(conn) {
      // Random-order key lookups over a million-row table: a larger page cache than SQLite's 2 MB default keeps
      // the hot index pages in memory (IMPORT_CACHE_MB). Fewer, larger WAL checkpoints: a page dirtied by many
      // chunks is copied back once per 64 MB, not per 4 MB. Both restored after.
      const cacheSize = conn.pragma('cache_size', { simple: true }) as number;
      const autoCheckpoint = conn.pragma('wal_autocheckpoint', { simple: true }) as number;
      conn.pragma(`cache_size = ${IMPORT_CACHE_KIB}`);
      conn.pragma('wal_autocheckpoint = 16384');
      return () => {
        conn.pragma(`cache_size = ${Math.trunc(cacheSize)}`);
        conn.pragma(`wal_autocheckpoint = ${Math.trunc(autoCheckpoint)}`);
      };
    },
    open({ runId, run, counts, dataDir, rejects, timings }) {
      const pseudonymizer = new Pseudonymizer(loadOrCreateFacilitySecret(dataDir));
      // A CSV import buffers its appends per chunk (bulk store); a FHIR resource needs a savepoint per resource, and
      // so writes row by row.
      const bulk = !run.dryRun && run.format === 'csv' ? new BulkConsentStore(db, pseudonymizer) : null;
      const writer: ConsentWriter = run.dryRun ? new DryRunStore(db, pseudonymizer) : (bulk ?? new ConsentStore(db, pseudonymizer));
      const today = new Date().toISOString().slice(0, 10);
      const source = `import:${runId}`;
      const write = { now: new Date().toISOString(), actor: source };
      const applyContext = (row: number): ApplyContext => ({ runId, rowNumber: row, source, write });
      let mapping: HeaderMapping | null = null;
      const count = (o: ApplyOutcome) => {
        if (o.kind === 'inserted') counts.accepted++;
        else if (o.kind === 'updated') counts.updated++;
        else if (o.kind === 'duplicate') counts.duplicate++;
        if (o.kind === 'inserted' || o.kind === 'updated') counts.consents_written++;
      };
      const reject = (row: number, reason: string, line: string) => {
        counts.rejected++;
        rejects.reject(row, reason, line);
      };
      return {
        header(fields) {
          mapping = mapHeader(fields);
        },
        prepare: (records) => prepareConsentRecords(records, { format: run.format, today, pseudonymizer, mapping: () => mapping }, timings),
        store(items) {
          if (run.format === 'csv') {
            for (const item of items as CsvItem[]) {
              counts.rows_read++;
              const o: ApplyOutcome = item.draft ? applyDraft(writer, item.draft, applyContext(item.rec.row)) : { kind: 'rejected', problems: item.problems };
              if (o.kind === 'rejected') {
                const reason = describeProblems(o.problems);
                reject(item.rec.row, reason, csvRejectLine(mapping!.names.length, item.rec.fields, item.rec.row, item.rec.line, reason));
              } else count(o);
            }
            return;
          }
          for (const item of items as FhirItem[]) {
            counts.rows_read++;
            const result = item.drafts ? applyResource(db, writer, item.drafts, applyContext(item.rec.row)) : { problems: [{ column: 'resource', reason: item.reason }] };
            if ('problems' in result) {
              const reason = describeProblems(result.problems);
              reject(item.rec.row, reason, fhirRejectLine(item.rec.row, reason, item.rec.value ?? item.rec.raw ?? null));
            } else {
              count(result.outcome);
              counts.consents_written += result.written - (result.outcome.kind === 'duplicate' ? 0 : 1);
            }
          }
        },
        begin() {
          write.now = new Date().toISOString();
          bulk?.begin();
        },
        flush: () => bulk?.flush(),
        discard: () => writer.discardCache?.(),
        result: () => ({ ignoredColumns: mapping ? (mapping as HeaderMapping).ignored : [] }),
      };
    },
  };
}

export async function runConsentImport(db: Db, runId: number, hooks: ImportHooks, options: ImportOptions = {}): Promise<ImportSummary> {
  const { counts, ...summary } = await runImport(db, consentAdapter(db), runId, hooks, options);
  return { ...summary, ...counts };
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
