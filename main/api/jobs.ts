// The job kinds, one table like the channel table: per kind the params its worker accepts (zod, checked in main
// before a row is written and again in the worker), the result the UI may see (zod: undeclared fields such as file
// paths are stripped at the boundary), the permission to read a job of that kind, and what its progress counts.
import { z } from 'zod';
import { channel } from './channel';
import { exportSelection } from './consents';
import { CREDENTIAL_VERDICTS } from './credentials';
import type { Permission } from './permissions';
import type { JobSummary } from './system';

export type { JobError } from './system';

/** What `done` and `total` count in a job's progress. */
export type JobProgressUnit = 'rows' | 'credentials' | 'consents' | 'pages';

export interface JobKindDef<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly params: P;
  /** The recorded result as the UI sees it (jobs.get); a worker may record more (paths, timings) for main's own use. */
  readonly result: R;
  /** Needed to read a job of this kind (beyond status.read for the channel): what the kind's own screen needs. */
  readonly permission: Permission;
  readonly progress: JobProgressUnit;
}

export function jobKind<P extends z.ZodType, R extends z.ZodType>(def: JobKindDef<P, R>): JobKindDef<P, R> {
  return def;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobKindTable = Record<string, JobKindDef<any, any>>;

const runId = z.number().int().positive();
const chunkRows = z.number().int().min(1).max(100_000).optional();
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const domainParam = z.object({ chainId: z.number().int().positive(), registry: address }).strict();
const count = z.number().int().min(0);
const sampleRejects = z.array(z.object({ row: z.number().int(), reason: z.string() }));

export const verifyAllParams = z
  .object({
    /** Where the worker reads the registry; null when the chain was offline at start (offlineReason says why). */
    endpoint: z.object({ rpcUrl: z.string().url(), chainId: z.number().int().positive(), registry: address }).strict().nullable(),
    offlineReason: z.string().nullable().default(null),
    /** The last registry verified against, to refuse another domain while offline. */
    expected: domainParam.nullable().default(null),
    /** Only credentials never checked or last checked before dueBefore (the schedule). */
    dueBefore: z.string().nullable().default(null),
    trigger: z.enum(['bulk', 'schedule']),
    actor: z.object({ id: z.string(), name: z.string(), role: z.string() }).strict().nullable(),
    chunk: z.number().int().min(1).max(5_000).default(500),
    /** Helper threads for signature checks: 0 checks in the job's own thread; default one per core for big runs. */
    helpers: z.number().int().min(0).max(64).optional(),
    /** The limit on each chain read (CHAIN_TIMEOUT); the on-demand limit, 8 s, unless a test sets it. */
    callTimeoutMs: z.number().int().min(1).max(600_000).optional(),
  })
  .strict();

/** What a bulk verification (credentials.verifyAll) records when it ends. */
const verifyAllResult = z.object({
  checked: count,
  byVerdict: z.partialRecord(z.enum(CREDENTIAL_VERDICTS), count),
  /** Why the registry could not be read (the run's verdicts are then 'unverified_offline'), or null. */
  offlineReason: z.string().nullable(),
  blockNumber: z.number().int().nullable(),
  registryCalls: count,
  durationMs: z.number().min(0),
  /** Verified against the registry in this run. These five are absent from results recorded before they existed. */
  verified: count.optional(),
  /** The chain did not answer: answered from the credential's last verification on record ('unverified_offline', last verified at …). */
  answeredFromCache: count.optional(),
  /** Not verified: another verdict, or the chain did not answer and there is no verification on record. */
  notVerified: count.optional(),
  /** The node stopped answering part-way (CHAIN_TIMEOUT): the rest of the run did not ask the chain. */
  chainTimeout: z.boolean().optional(),
  /** The outcome for a person, naming the three counts and what to do next. */
  message: z.string().optional(),
});

/** What a roster import (import.providers) records when it ends. */
const rosterImportResult = z.object({
  runId,
  /** A dry run: every row validated and resolved, nothing stored (the counts are what an import would do). */
  dryRun: z.boolean().default(false),
  outcome: z.enum(['succeeded', 'cancelled']),
  rows_read: count,
  providers_added: count,
  providers_updated: count,
  credentials_added: count,
  duplicate: count,
  rejected: count,
  ignoredColumns: z.array(z.string()).default([]),
  sampleRejects: sampleRejects.default([]),
});

export const JOB_KINDS = {
  'db.backup': jobKind({
    params: z.object({ destination: z.string().min(1) }).strict(),
    result: z.object({ pages: count }),
    permission: 'settings.view',
    progress: 'pages',
  }),
  'credentials.verifyAll': jobKind({ params: verifyAllParams, result: verifyAllResult, permission: 'credentials.view', progress: 'credentials' }),
  'import.providers': jobKind({
    params: z.object({ runId, domain: domainParam.nullable(), chunkRows }).strict(),
    result: rosterImportResult,
    permission: 'imports.view',
    progress: 'rows',
  }),
  'import.consents': jobKind({
    params: z.object({ runId, chunkRows }).strict(),
    result: z.object({
      runId,
      format: z.enum(['csv', 'fhir']),
      dryRun: z.boolean(),
      outcome: z.enum(['succeeded', 'cancelled']),
      rows_read: count,
      accepted: count,
      updated: count,
      rejected: count,
      duplicate: count,
      consents_written: count,
      ignoredColumns: z.array(z.string()),
      sampleRejects,
    }),
    permission: 'imports.view',
    progress: 'rows',
  }),
  'import.claims': jobKind({
    params: z.object({ runId }).strict(),
    result: z.object({ rowsRead: count, passed: count, failed: count, rejected: count, duplicate: count, ignoredColumns: z.array(z.string()), sampleRejects }),
    permission: 'imports.view',
    progress: 'rows',
  }),
  'consents.exportFhir': jobKind({
    params: z.object({ selection: exportSelection, file: z.string().min(1), now: z.number().int() }).strict(),
    result: z.object({ count, sizeBytes: count }),
    permission: 'consents.export',
    progress: 'consents',
  }),
} satisfies JobKindTable;

export type JobKind = keyof typeof JOB_KINDS;
/** The params a caller passes when starting a job of kind K (defaults not yet applied). */
export type JobParamsInput<K extends JobKind> = z.input<(typeof JOB_KINDS)[K]['params']>;
/** The params a job of kind K runs with, parsed. */
export type JobParams<K extends JobKind> = z.output<(typeof JOB_KINDS)[K]['params']>;
/** The result of a job of kind K as the UI sees it. */
export type JobResult<K extends JobKind> = z.output<(typeof JOB_KINDS)[K]['result']>;

export type VerifyAllJobResult = JobResult<'credentials.verifyAll'>;
export type RosterImportJobResult = JobResult<'import.providers'>;

export function isJobKind(kind: string): kind is JobKind {
  return Object.prototype.hasOwnProperty.call(JOB_KINDS, kind);
}

/** A job's recorded result, tagged by kind; a kind this version does not know, or a result it cannot read, shows none. */
export type JobResultView = { [K in JobKind]: { kind: K; summary: JobResult<K> } }[JobKind] | { kind: 'none' };

/** Parses a recorded result with its kind's schema (the boundary between the jobs table and the UI). */
export function jobResultView(kind: string, result: unknown): JobResultView | null {
  if (result === null || result === undefined) return null;
  if (!isJobKind(kind)) return { kind: 'none' };
  const parsed = (JOB_KINDS[kind].result as z.ZodType).safeParse(result);
  return parsed.success ? ({ kind, summary: parsed.data } as JobResultView) : { kind: 'none' };
}

export interface JobDetail extends JobSummary {
  errors: number;
  /** Null while the job runs, and for a job that failed or recorded nothing. */
  result: JobResultView | null;
}

/** A stored job of a kind this version does not declare (an older or newer version wrote it): IT administrators only. */
export const JOB_KIND_FALLBACK_PERMISSION: Permission = 'staff.manage';

export function jobKindPermission(kind: string): Permission {
  return isJobKind(kind) ? JOB_KINDS[kind].permission : JOB_KIND_FALLBACK_PERMISSION;
}

export const jobsChannels = {
  'jobs.get': channel<JobDetail>()(z.object({ jobId: z.string().uuid() }).strict(), 'status.read', { audited: false }),
};
