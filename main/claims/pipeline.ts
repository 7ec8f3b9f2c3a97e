// Bulk claims: the import (check every row, store it with its verdict, queue passing claims for the chain;
// idempotent by claim id), a record adapter of the import framework (imports/engine.ts: resume, cancel, rejects,
// dry run), and the dry check of `custodian claims check` (verdicts per row, nothing stored). They share one row rule.
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import { loadOrCreateFacilitySecret, Pseudonymizer } from '../consents/pseudonym';
import type { CsvRecord } from '../imports/csv-source';
import { runImport, type EngineOptions, type ImportHooks, type RecordAdapter } from '../imports/engine';
import { csvRejectLine, fhirRejectLine } from '../imports/rejects';
import type { FhirRecord } from '../imports/fhir-source';
import { ClaimIndex, claimOfFhir, type FhirParsedClaim } from './fhir';
import type { ParsedClaim } from './fields';
import { CachedPseudonyms, checkableOf, SqlPrecheckContext } from './context';
import { claimOfRecord, mapClaimHeader, readClaimsCsv, type ClaimCsvRow } from './csv';
import type { ClaimReason } from './model';
import { precheckClaim, type CheckableClaim } from './precheck';
import { claimRunTable, claimTally, type ClaimImportCounts } from './runs';
import { claimByClaimId, insertClaim } from './store';

export type RowOutcome =
  | { kind: 'rejected'; row: number; reason: string }
  | { kind: 'duplicate'; row: number; claimId: string }
  | { kind: 'checked'; row: number; claim: CheckableClaim; verdict: 'pass' | 'fail'; reasons: ClaimReason[] };

export type ClaimImportControl = ImportHooks;

export interface ClaimImportResult extends ClaimImportCounts {
  outcome: 'succeeded' | 'cancelled';
  dryRun: boolean;
  fileHash: string;
  sampleRejects: { row: number; reason: string }[];
  ignoredColumns: string[];
  rejectsPath: string;
}

const CHUNK_ROWS = 500;

/** What checkRow needs of a row, from a CSV record or a FHIR Claim (claimRowOfFhir). */
type ClaimRow = Pick<ClaimCsvRow, 'row'> & { parsed: ParsedClaim | FhirParsedClaim };
/** A prepared row of either format, with how its line of the rejects file reads. */
type ClaimItem = ClaimRow & { rejectLine: (reason: string) => string; context?: true };

/** A FHIR record as a claim row: a Claim mapped by claims/fhir.ts; anything else refused by name. */
function claimRowOfFhir(rec: FhirRecord, index: ClaimIndex): ClaimItem {
  const r = rec.value as { resourceType?: unknown } | null | undefined;
  const rejectLine = (reason: string) => fhirRejectLine(rec.row, reason, rec.value ?? rec.raw ?? null);
  const refuse = (column: string, reason: string): ClaimItem => ({ row: rec.row, rejectLine, parsed: { ok: false, problems: [{ column, reason }] } });
  if (rec.error) return refuse('(row)', rec.error);
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return refuse('(row)', 'is not a FHIR resource (a JSON object)');
  if (r.resourceType !== 'Claim') {
    // Resources a Claim may refer to are read by the first pass; they are no claim rows of their own.
    if (typeof r.resourceType === 'string' && CLAIM_CONTEXT.includes(r.resourceType)) return { row: rec.row, rejectLine, parsed: { ok: false, problems: [] }, context: true };
    return refuse('resourceType', `is ${String(r.resourceType).slice(0, 64)}; a claims file holds Claim resources (and the ${CLAIM_CONTEXT.join(', ')} they refer to)`);
  }
  return { row: rec.row, rejectLine, parsed: claimOfFhir(rec, index) };
}
const CLAIM_CONTEXT = ['Patient', 'Practitioner', 'PractitionerRole', 'Organization', 'Coverage'];

function problemsText(row: ClaimRow): string {
  return row.parsed.ok ? '' : row.parsed.problems.map((p) => `${p.column}: ${p.reason}`).join('; ');
}

/**
 * How a row is checked: stored (the import), resolved as the import would without storing (a dry run: `seen` holds
 * the claims it would have stored, by claim id), or checked alone (`custodian claims check`: verdicts only).
 */
export type RowMode = { kind: 'store'; runId: number; by: string; now: string } | { kind: 'dry'; seen: Map<string, { contentHash: string; row: number }> } | { kind: 'check' };

/** One row against the stored claims: rejected, an unchanged re-import, or checked (and stored when storing). */
function checkRow(db: Db, ctx: SqlPrecheckContext, pseudonymizer: CachedPseudonyms, row: ClaimRow, mode: RowMode): RowOutcome {
  if (!row.parsed.ok) return { kind: 'rejected', row: row.row, reason: `row ${row.row}: ${problemsText(row)}` };
  const claim = checkableOf(row.parsed.claim, pseudonymizer);
  if (mode.kind !== 'check') {
    const mine = mode.kind === 'dry' ? mode.seen.get(claim.claimId) : undefined;
    // The bulk context knows every stored claim id: only a known one costs a query.
    const stored = mine ? undefined : ctx.claimIdTaken(claim.claimId) ? claimByClaimId(db, claim.claimId) : undefined;
    const existing = mine ? { hash: mine.contentHash, what: `row ${mine.row} of this file` } : stored ? { hash: stored.content_hash, what: `claim #${stored.id}` } : undefined;
    if (existing) {
      if (existing.hash === claim.contentHash) return { kind: 'duplicate', row: row.row, claimId: claim.claimId };
      return { kind: 'rejected', row: row.row, reason: `row ${row.row}: claim_id: DUPLICATE_CLAIM_ID: ${claim.claimId} was already checked with different content (${existing.what}); a corrected claim needs a new claim id` };
    }
  }
  const verdict = precheckClaim(claim, ctx);
  if (mode.kind === 'store') {
    insertClaim(db, claim, verdict, { source: 'import', importRunId: mode.runId, sourceRow: row.row, checkedBy: mode.by, patientId: ctx.patientId(claim) }, mode.now);
  } else if (mode.kind === 'dry') mode.seen.set(claim.claimId, { contentHash: claim.contentHash, row: row.row });
  ctx.remember(claim, verdict);
  return { kind: 'checked', row: row.row, claim, verdict: verdict.verdict, reasons: verdict.reasons };
}

/** The claims' record adapter of the import framework: CSV or FHIR R4 Claim (claims/fhir.ts); a dry run checks every row and stores nothing. */
export function claimAdapter(db: Db, clock: () => Date): RecordAdapter<ClaimImportCounts, ClaimItem, { ignoredColumns: string[] }> {
  return {
    kind: 'claims',
    runs: claimRunTable(db),
    chunkRows: CHUNK_ROWS,
    zero: () => ({ rowsRead: 0, passed: 0, failed: 0, rejected: 0, duplicate: 0 }),
    tally: claimTally,
    rejectsPath: (dataDir, runId, format) => path.join(dataDir, 'imports', `claims-run-${runId}-rejects.${format === 'fhir' ? 'ndjson' : 'csv'}`),
    open({ runId, run, counts, dataDir, rejects }) {
      const pseudonymizer = new CachedPseudonyms(new Pseudonymizer(loadOrCreateFacilitySecret(dataDir)));
      const ctx = new SqlPrecheckContext(db, { now: clock(), bulk: true });
      let mapping: ReturnType<typeof mapClaimHeader> | null = null;
      const index = new ClaimIndex();
      // A dry run remembers the claims it would store, so a later row of the file is checked against them.
      const store: RowMode = run.dryRun ? { kind: 'dry', seen: new Map() } : { kind: 'store', runId, by: run.startedBy, now: clock().toISOString() };
      return {
        header(fields) {
          mapping = mapClaimHeader(fields);
        },
        index(records) {
          for (const rec of records as FhirRecord[]) index.add(rec);
        },
        prepare: (records) =>
          run.format === 'fhir'
            ? (records as FhirRecord[]).map((rec) => claimRowOfFhir(rec, index))
            : (records as CsvRecord[]).map((rec) => {
                const row = claimOfRecord(rec, mapping!);
                return { ...row, rejectLine: (reason: string) => csvRejectLine(mapping!.width, row.fields, row.row, row.line, reason) };
              }),
        store(rows) {
          for (const row of rows) {
            counts.rowsRead++;
            // A resource a Claim refers to (read by the first pass): counted as read, nothing else.
            if (row.context) continue;
            const outcome = checkRow(db, ctx, pseudonymizer, row, store);
            if (outcome.kind === 'rejected') {
              counts.rejected++;
              rejects.reject(row.row, outcome.reason, row.rejectLine(outcome.reason));
            } else if (outcome.kind === 'duplicate') counts.duplicate++;
            else if (outcome.verdict === 'pass') counts.passed++;
            else counts.failed++;
          }
        },
        begin() {
          if (store.kind === 'store') store.now = clock().toISOString();
        },
        result: () => ({ ignoredColumns: mapping ? mapping.ignored : [] }),
      };
    },
  };
}

/** The 'import.claims' job body: runs in a worker thread with its own connection. */
export async function runClaimImport(db: Db, runId: number, control: ClaimImportControl, options: EngineOptions & { now?: () => Date } = {}): Promise<ClaimImportResult> {
  const { now, ...engine } = options;
  const s = await runImport(db, claimAdapter(db, now ?? (() => new Date())), runId, control, engine);
  return { ...s.counts, outcome: s.outcome, dryRun: s.dryRun, fileHash: s.fileHash, sampleRejects: s.sampleRejects, ignoredColumns: s.ignoredColumns, rejectsPath: s.rejectsPath };
}

/** `custodian claims check FILE`: the verdict of every row, in file order, nothing stored. */
export async function checkClaimsFile(db: Db, file: string, dataDir: string, onRow: (outcome: RowOutcome) => void, now: Date = new Date()): Promise<ClaimImportCounts> {
  if (!fs.existsSync(file)) throw new AppError('IMPORT_FILE_NOT_FOUND', `There is no file at ${file}.`);
  const pseudonymizer = new CachedPseudonyms(new Pseudonymizer(loadOrCreateFacilitySecret(dataDir)));
  const ctx = new SqlPrecheckContext(db, { now, rememberSeen: true, bulk: true });
  const counts: ClaimImportCounts = { rowsRead: 0, passed: 0, failed: 0, rejected: 0, duplicate: 0 };
  for await (const row of readClaimsCsv(file, () => undefined)) {
    const outcome = checkRow(db, ctx, pseudonymizer, row, { kind: 'check' });
    counts.rowsRead++;
    if (outcome.kind === 'rejected') counts.rejected++;
    else if (outcome.kind === 'checked') counts[outcome.verdict === 'pass' ? 'passed' : 'failed']++;
    onRow(outcome);
  }
  return counts;
}
