// Channels of the imports domain: preview a file and its column mapping, start, resume and follow consent
// imports (they run as jobs; progress arrives as job.progress events), and read the history of imports.
import { z } from 'zod';
import { channel } from './channel';
import type { JobState } from './system';

export const IMPORT_FORMATS = ['csv', 'fhir'] as const;
export type ImportFormatName = (typeof IMPORT_FORMATS)[number];

export interface ImportPreview {
  fileName: string;
  sizeBytes: number;
  format: ImportFormatName;
  /** FHIR only: how the resources are laid out. */
  layout: 'ndjson' | 'bundle' | 'single' | null;
  /** CSV: each header cell and the consent column it maps to (null: ignored). */
  columns: { name: string; mappedTo: string | null; required: boolean }[];
  missing: string[];
  ignored: string[];
  /** CSV: the first rows, cells as read. */
  rows: string[][];
  /** FHIR: the first resources, one line each. */
  resources: { row: number; summary: string }[];
  /** Why the file cannot be imported as it is (e.g. IMPORT_HEADER_MISSING), or null. */
  problem: { code: string; message: string } | null;
}

export interface ImportRunSummary {
  id: number;
  jobId: string | null;
  fileName: string;
  filePath: string;
  format: ImportFormatName;
  dryRun: boolean;
  state: JobState | 'unknown';
  rowsRead: number;
  accepted: number;
  updated: number;
  rejected: number;
  duplicate: number;
  consentsWritten: number;
  rejectsPath: string | null;
  fileHash: string | null;
  /** Whether main still holds the file, so the run can be started again (an upload is removed once its import commits). */
  fileKept: boolean;
  error: { code: string; message: string } | null;
  startedBy: string;
  createdAt: string;
  finishedAt: string | null;
}

export interface ImportRunDetail extends ImportRunSummary {
  /** From the finished job: the first rejects with their reasons, columns ignored, and where time went. */
  sampleRejects: { row: number; reason: string }[];
  ignoredColumns: string[];
}

/** A file to send to the person: what the download route and the save dialog deliver. Main resolves the path. */
export interface DownloadFile {
  fileName: string;
  sizeBytes: number;
  contentType: string;
  /** Where the file lies in the data folder (main reads it; the page only links to it by its id). */
  path: string;
}

/** A file handed to main by an upload (browser mode) or the open dialog (Electron), known to the page by its id. */
export interface IncomingFile {
  uploadId: string;
  fileName: string;
  sizeBytes: number;
}

const runId = z.number().int().positive();
/** Opaque id of an upload or a picked file: main maps it to a path; no channel takes a path from the caller. */
export const uploadId = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'must be an upload id');
/** Exactly one source: the id of a file the caller uploaded or picked, or an earlier run of theirs to run again. */
const oneSource = (v: { uploadId?: string | undefined; rerunOf?: number | undefined }) => (v.uploadId === undefined) !== (v.rerunOf === undefined);
const oneSourceMessage = { message: 'give either uploadId or rerunOf', path: ['uploadId'] };

/** The kinds of import: consent files, provider rosters, claims. Their runs share one table and one id sequence. */
export const IMPORT_KINDS = ['consents', 'providers', 'claims'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/** A run of any kind, as `custodian import runs` lists them: the counts are the kind's own (e.g. claims: passed). */
export interface ImportRunListing {
  id: number;
  kind: ImportKind;
  jobId: string | null;
  fileName: string;
  format: ImportFormatName;
  dryRun: boolean;
  state: JobState | 'unknown';
  rowsRead: number;
  rejected: number;
  counts: Record<string, number>;
  rejectsPath: string | null;
  error: { code: string; message: string } | null;
  /** Interrupted or failed with a job to continue: `custodian import resume <id>`. */
  resumable: boolean;
  createdAt: string;
  finishedAt: string | null;
}

export const importsChannels = {
  'imports.preview': channel<ImportPreview>()(
    z.object({ uploadId, format: z.enum(IMPORT_FORMATS).optional(), rows: z.number().int().min(1).max(100).default(20) }).strict(),
    'imports.run',
  ),
  'imports.start': channel<{ runId: number; jobId: string }>()(
    z
      .object({ uploadId: uploadId.optional(), rerunOf: runId.optional(), format: z.enum(IMPORT_FORMATS).optional(), dryRun: z.boolean().default(false) })
      .strict()
      .refine(oneSource, oneSourceMessage),
    'imports.run',
  ),
  /** Any kind of import run; a kind, when given, must be the run's (a check against a mistyped id). */
  'imports.resume': channel<{ runId: number; jobId: string; kind: ImportKind }>()(z.object({ runId, kind: z.enum(IMPORT_KINDS).optional() }).strict(), 'imports.run'),
  'imports.list': channel<ImportRunSummary[]>()(z.object({ limit: z.number().int().min(1).max(200).default(50), before: runId.optional() }).strict(), 'imports.view'),
  /** Runs of every kind (or of one), newest first. */
  'imports.runs': channel<ImportRunListing[]>()(
    z.object({ limit: z.number().int().min(1).max(200).default(50), before: runId.optional(), kind: z.enum(IMPORT_KINDS).optional() }).strict(),
    'imports.view',
  ),
  'imports.get': channel<ImportRunDetail>()(z.object({ runId }).strict(), 'imports.view'),
  /** Browser mode's upload route reserves the upload through this call (permission, audit) before streaming. */
  'imports.upload': channel<IncomingFile>()(
    z.object({ fileName: z.string().min(1).max(1024), sizeBytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }).strict(),
    'imports.run',
  ),
  /** Electron: the open dialog in main; the page gets the picked file's id, never its path. Null when dismissed. */
  'imports.pickFile': channel<IncomingFile | null>()(z.object({}).strict(), 'imports.run'),
  /** The rejects file of a run (rows as read, with PHI): for the people who run imports. */
  'imports.rejectsFile': channel<DownloadFile>()(z.object({ runId }).strict(), 'imports.run'),
  /** Electron: the rejects file through a save dialog. */
  'imports.saveRejects': channel<{ saved: boolean; fileName: string }>()(z.object({ runId }).strict(), 'imports.run'),
};
