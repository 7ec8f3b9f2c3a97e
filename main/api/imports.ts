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
  error: string | null;
  startedBy: string;
  createdAt: string;
  finishedAt: string | null;
}

export interface ImportRunDetail extends ImportRunSummary {
  /** From the finished job: the first rejects with their reasons, columns ignored, and where time went. */
  sampleRejects: { row: number; reason: string }[];
  ignoredColumns: string[];
}

const filePath = z.string().min(1).max(4096);
const runId = z.number().int().positive();

export const importsChannels = {
  'imports.preview': channel<ImportPreview>()(
    z.object({ path: filePath, format: z.enum(IMPORT_FORMATS).optional(), rows: z.number().int().min(1).max(100).default(20) }).strict(),
    'imports.run',
  ),
  'imports.start': channel<{ runId: number; jobId: string }>()(
    z.object({ path: filePath, format: z.enum(IMPORT_FORMATS).optional(), dryRun: z.boolean().default(false) }).strict(),
    'imports.run',
  ),
  'imports.resume': channel<{ runId: number; jobId: string }>()(z.object({ runId }).strict(), 'imports.run'),
  'imports.list': channel<ImportRunSummary[]>()(z.object({ limit: z.number().int().min(1).max(200).default(50), before: runId.optional() }).strict(), 'imports.view'),
  'imports.get': channel<ImportRunDetail>()(z.object({ runId }).strict(), 'imports.view'),
};
