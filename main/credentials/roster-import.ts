// The provider roster import: the rosters' record adapter of the import framework (imports/engine.ts). Each row is
// validated (signature recovered) outside the write lock, then its provider and credential stored, or in a dry
// run only resolved against the directory and the rows before it.
import path from 'node:path';
import type { Db } from '../db/connection';
import { runImport, type EngineOptions, type ImportHooks, type RecordAdapter, type RunResultBase, type RunTable } from '../imports/engine';
import { checkImportFile } from '../imports/preview';
import { csvLine, csvRejectLine } from '../imports/rejects';
import type { FhirRecord } from '../imports/fhir-source';
import type { SourceFormat } from '../imports/adapter';
import { practitionerRoleRow, practitionerRow, RosterIndex } from './roster-fhir';
import { createRun, getRun, runTable, type ImportRunRow } from '../imports/run-table';
import { MAX_COLUMNS, type CsvRecord } from '../imports/csv-source';
import type { CredentialDomain } from './eip712';
import { describeRosterProblems, mapRosterHeader, validateRosterRow, type RosterHeader, type RosterProblem, type RosterRowResult } from './roster';
import { dryRosterWriter, storeRosterWriter, type RosterWriter } from './roster-writer';
import type { NewProvider } from './store';
import { validityFinding } from './verdict';

export const ROSTER_CHUNK_ROWS = 2_000;

export interface RosterCounts {
  rows_read: number;
  providers_added: number;
  providers_updated: number;
  credentials_added: number;
  duplicate: number;
  rejected: number;
}

export type RosterRunRow = ImportRunRow<RosterCounts>;

export interface RosterSummary extends RosterCounts, RunResultBase {
  /** Rows that added nothing: a repeat of an earlier row of this file, or already in the directory. */
  sampleDuplicates: { row: number; reason: string }[];
}

export function createRosterRun(db: Db, file: string, startedBy: string, dryRun = false, format: SourceFormat = 'csv'): RosterRunRow {
  // The same check as every import's (missing, not a regular file, empty: each by its code).
  const checked = checkImportFile(file);
  const id = createRun(db, 'providers', { filePath: checked.path, fileName: checked.name, fileSize: checked.size, format, dryRun, startedBy }, {
    rows_read: 0,
    providers_added: 0,
    providers_updated: 0,
    credentials_added: 0,
    duplicate: 0,
    rejected: 0,
  } satisfies RosterCounts);
  return getRosterRun(db, id)!;
}

export function getRosterRun(db: Db, id: number): RosterRunRow | undefined {
  return getRun<RosterCounts>(db, id, 'providers');
}

export function rosterRejectsPath(dataDir: string, runId: number): string {
  return path.join(dataDir, 'imports', `roster-${runId}-rejects.csv`);
}

const rosterTally = (c: RosterCounts) => ({ done: c.rows_read, errors: c.rejected });

/** The rosters' view of import_runs for the engine. */
export function rosterRunTable(db: Db): RunTable<RosterCounts> {
  return runTable<RosterCounts>(db, 'providers', 'roster import run', rosterTally);
}

/** What the run remembers of each NPI it saw: the row and the provider fields, to report in-file conflicts. */
interface SeenProvider {
  row: number;
  id: number;
  provider: NewProvider;
}

/** Where a FHIR roster holds each provider column (the CSV's column names otherwise). */
const FHIR_PATHS = { name: 'Practitioner.name', organization: 'PractitionerRole.organization', specialty: 'PractitionerRole.specialty' } as const;

function providerConflict(seen: SeenProvider, p: NewProvider, fhir: boolean): RosterProblem[] {
  const problems: RosterProblem[] = [];
  for (const column of ['name', 'organization', 'specialty'] as const) {
    if ((seen.provider[column] ?? '') !== (p[column] ?? '')) {
      problems.push({ column: fhir ? FHIR_PATHS[column] : column, reason: `differs from row ${seen.row} for the same NPI; the earlier row was kept` });
    }
  }
  return problems;
}

/** Validates a record, refusing first a row wider than the header (short rows just have empty cells). */
function checkRecord(rec: CsvRecord, header: RosterHeader, domain: CredentialDomain | null): RosterRowResult {
  const width = header.names.length;
  const n = rec.fields.length;
  if (n > MAX_COLUMNS) return { ok: false, problems: [{ column: '(row)', reason: `has ${n} columns; at most ${MAX_COLUMNS} are allowed` }] };
  if (n > width && rec.fields.slice(width).some((f) => f.trim() !== '')) return { ok: false, problems: [{ column: '(row)', reason: `has ${n} columns but the header has ${width}` }] };
  return validateRosterRow(rec.fields, header, domain);
}

export interface RosterImportOptions extends EngineOptions {
  /** This workstation's registry domain, when known (a row without chain_id/registry is taken to be signed for it). */
  domain: CredentialDomain | null;
}

/** A prepared record: its row, how its rejects line reads, and what it says (`carried`: a Practitioner stored through its roles). */
type RosterItem = { row: number; rejectLine: (reason: string) => string; result: RosterRowResult | { ok: 'carried' } };

const ROSTER_RESOURCES = ['Practitioner', 'PractitionerRole', 'Organization'];

/** A FHIR roster's rejects file is a CSV like the CSV roster's (the same reader shows it): the resource, then the row. */
export const FHIR_ROSTER_REJECTS_HEADER = csvLine(['resource', 'reject_row', 'reject_line', 'reject_reason']);

function prepareFhir(rec: FhirRecord, index: RosterIndex, now: Date): RosterItem {
  const r = rec.value as { resourceType?: unknown; id?: unknown } | null | undefined;
  const name = typeof r === 'object' && r !== null && typeof r.resourceType === 'string' ? `${r.resourceType}${typeof r.id === 'string' ? `/${r.id}` : ''}` : (rec.fullUrl ?? '');
  const rejectLine = (reason: string) => csvLine([name.slice(0, 200), String(rec.row), String(rec.row), reason]);
  const refuse = (column: string, reason: string): RosterItem => ({ row: rec.row, rejectLine, result: { ok: false, problems: [{ column, reason }] } });
  if (rec.error) return refuse('(row)', rec.error);
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return refuse('(row)', 'is not a FHIR resource (a JSON object)');
  if (typeof r.resourceType !== 'string') return refuse('resourceType', 'is missing');
  if (!ROSTER_RESOURCES.includes(r.resourceType)) return refuse('resourceType', `is ${r.resourceType.slice(0, 64)}; a roster holds ${ROSTER_RESOURCES.join(', ')}`);
  if (r.resourceType === 'Organization') return { row: rec.row, rejectLine, result: { ok: 'carried' } };
  if (r.resourceType === 'PractitionerRole') {
    const role = practitionerRoleRow(rec, index, now);
    return { row: rec.row, rejectLine, result: role.ok ? { ok: true, provider: role.provider, credential: null } : role };
  }
  const p = practitionerRow(rec);
  if (p.ok && index.hasRoles(rec, p.provider.npi)) return { row: rec.row, rejectLine, result: { ok: 'carried' } };
  return { row: rec.row, rejectLine, result: p.ok ? { ok: true, provider: p.provider, credential: null } : p };
}

/** The rosters' record adapter: CSV, or FHIR R4 Practitioner/PractitionerRole (roster-fhir.ts); one provider (and optionally one signed credential) per row. */
export function rosterAdapter(db: Db, domain: CredentialDomain | null): RecordAdapter<RosterCounts, RosterItem, { ignoredColumns: string[]; sampleDuplicates: RosterSummary['sampleDuplicates'] }> {
  return {
    kind: 'providers',
    runs: rosterRunTable(db),
    chunkRows: ROSTER_CHUNK_ROWS,
    zero: () => ({ rows_read: 0, providers_added: 0, providers_updated: 0, credentials_added: 0, duplicate: 0, rejected: 0 }),
    tally: rosterTally,
    rejectsPath: (dataDir, runId) => rosterRejectsPath(dataDir, runId),
    open({ runId, run, counts, rejects }) {
      const fhir = run.format === 'fhir';
      const index = new RosterIndex();
      const startedAt = new Date();
      // The rejects file's header goes out with the first chunk (a run resumed before it committed starts over).
      if (fhir && counts.rows_read === 0) rejects.header(FHIR_ROSTER_REJECTS_HEADER);
      const writer: RosterWriter = run.dryRun ? dryRosterWriter(db, runId) : storeRosterWriter(db);
      let header: RosterHeader | null = null;
      const seen = new Map<string, SeenProvider>();
      const sampleDuplicates: RosterSummary['sampleDuplicates'] = [];
      const source = `roster:${runId}`;
      let now = new Date().toISOString();

      const reject = (item: RosterItem, problems: RosterProblem[]) => {
        const reason = describeRosterProblems(problems);
        counts.rejected++;
        rejects.reject(item.row, reason, item.rejectLine(reason));
      };
      const duplicate = (row: number, reason: string) => {
        counts.duplicate++;
        if (sampleDuplicates.length < 20) sampleDuplicates.push({ row, reason });
      };
      const apply = (item: RosterItem) => {
        const { result } = item;
        const rec = { row: item.row };
        counts.rows_read++;
        // An Organization, or a Practitioner whose PractitionerRoles carry it: read, stored through the roles.
        if (result.ok === 'carried') return;
        if (!result.ok) return reject(item, result.problems);
        const earlier = seen.get(result.provider.npi);
        if (earlier) {
          const conflict = providerConflict(earlier, result.provider, fhir);
          if (conflict.length) return reject(item, conflict);
        }
        // The provider first (so its credential has a row to belong to), then the credential, idempotent by hash.
        const p = earlier ? { id: earlier.id, outcome: 'unchanged' as const } : writer.upsertProvider(result.provider, source, now);
        if (!earlier) seen.set(result.provider.npi, { row: rec.row, id: p.id, provider: result.provider });
        let added = p.outcome !== 'unchanged';
        if (p.outcome === 'inserted') counts.providers_added++;
        if (p.outcome === 'updated') counts.providers_updated++;
        const c = result.credential;
        let dupReason = earlier ? `repeats provider NPI ${result.provider.npi} of row ${earlier.row} and adds no credential` : `provider NPI ${result.provider.npi} is already in the directory as given`;
        if (c) {
          const existing = writer.credentialByHash(c.hash);
          if (existing && existing.provider_id !== p.id) return reject(item, [{ column: 'npi', reason: 'the signed credential belongs to another provider in the directory' }]);
          const r = writer.insertCredential({ providerId: p.id, fields: c.fields, chainId: c.domain.chainId, registry: c.domain.verifyingContract, hash: c.hash, signature: c.signature, source, importRunId: runId, sourceRow: rec.row }, now);
          if (r.inserted) {
            counts.credentials_added++;
            added = true;
            // The row's signature was checked above; its own dates need no chain either, so an expired (or not yet
            // valid) credential says so from the moment it is in the directory instead of "not checked yet".
            const dated = validityFinding(c.fields, new Date(now));
            if (dated) writer.saveFinding(r.id, dated, { checkedAt: now, trigger: 'bulk', actor: run.startedBy });
          } else {
            dupReason = existing?.import_run_id === runId && existing.source_row !== null ? `repeats the credential of row ${existing.source_row}` : 'the credential is already in the directory';
          }
        }
        if (!added) duplicate(rec.row, dupReason);
      };
      return {
        header(fields) {
          header = mapRosterHeader(fields);
        },
        index(records) {
          for (const rec of records as FhirRecord[]) index.add(rec);
        },
        // Signature checks happen here, outside the write transaction, so the write lock is held only briefly.
        prepare: (records) =>
          fhir
            ? (records as FhirRecord[]).map((rec) => prepareFhir(rec, index, startedAt))
            : (records as CsvRecord[]).map((rec) => ({
                row: rec.row,
                rejectLine: (reason: string) => csvRejectLine(header!.names.length, rec.fields, rec.row, rec.line, reason),
                result: checkRecord(rec, header!, domain),
              })),
        store(items) {
          for (const item of items) apply(item);
        },
        begin() {
          now = new Date().toISOString();
        },
        result: () => ({ ignoredColumns: header ? header.ignored : [], sampleDuplicates }),
      };
    },
  };
}

export async function runRosterImport(db: Db, runId: number, hooks: ImportHooks, options: RosterImportOptions): Promise<RosterSummary> {
  const { domain, ...engine } = options;
  const s = await runImport(db, rosterAdapter(db, domain), runId, hooks, engine);
  return { runId, dryRun: s.dryRun, outcome: s.outcome, ...s.counts, rejectsPath: s.rejectsPath, fileHash: s.fileHash, ignoredColumns: s.ignoredColumns, sampleRejects: s.sampleRejects, sampleDuplicates: s.sampleDuplicates };
}
