// Consents out as FHIR R4 Consent NDJSON: the 'consents.exportFhir' worker job writes <data dir>/exports/<file>
// with progress and cancel; the export id is the job's id, and only a succeeded job's file is ever served.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { ConsentExport, ExportSelection } from '../api/consents';
import { AppError } from '../api/errors';
import type { DownloadFile } from '../api/imports';
import type { JobState } from '../api/system';
import type { Db } from '../db/connection';
import { JOB_KINDS, type JobKind, type JobParamsInput } from '../api/jobs';
import { JobCancelled, type JobOf } from '../workers/protocol';
import { ExportPatientSet, recordExportPatients } from './export-patients';
import { consentRowToFhir } from './fhir-export';
import { exportRows } from './queries';

export const EXPORT_JOB_KIND = 'consents.exportFhir' satisfies JobKind;
export const NDJSON_CONTENT_TYPE = 'application/fhir+ndjson';
const LINES_PER_WRITE = 1000;

export interface ExportControl {
  report?(done: number, total: number): void;
  readonly cancelled?: boolean;
  /** Records the patients the export carried under this id (accounting of disclosures) before the file is in place. */
  exportId?: string;
}

/** Where a new export goes: unique per call, inside <data dir>/exports. */
export function newExportPath(dataDir: string, now: Date): string {
  return path.join(dataDir, 'exports', `consents-${now.toISOString().replace(/[:.]/g, '-')}-${crypto.randomBytes(3).toString('hex')}.ndjson`);
}

/**
 * Writes the selection as NDJSON (one Consent per line, never formula-escaped: it stays JSON) to `file`, through
 * `<file>.part` so a half-written export is never served. Yields between writes so a cancel is heard; a cancelled
 * export leaves no file.
 */
export async function writeConsentsNdjson(db: Db, selection: ExportSelection, file: string, now: number, control: ExportControl = {}): Promise<{ count: number; sizeBytes: number }> {
  let total = 0;
  for (const _row of exportRows(db, selection, now)) total++;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const part = `${file}.part`;
  const fd = fs.openSync(part, 'wx', 0o600);
  let count = 0;
  let sizeBytes = 0;
  let finished = false;
  try {
    control.report?.(0, total);
    let lines: string[] = [];
    const patients = control.exportId ? new ExportPatientSet() : null;
    const flush = async () => {
      if (lines.length === 0) return;
      const text = `${lines.join('\n')}\n`;
      fs.writeSync(fd, text);
      sizeBytes += Buffer.byteLength(text);
      lines = [];
      control.report?.(count, Math.max(total, count));
      // Let the worker hear a cancel message between writes.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (control.cancelled) throw new JobCancelled();
    };
    for (const row of exportRows(db, selection, now)) {
      lines.push(JSON.stringify(consentRowToFhir(row)));
      patients?.add(row.patient_id);
      count++;
      if (lines.length === LINES_PER_WRITE) await flush();
    }
    await flush();
    fs.closeSync(fd);
    // Fail closed: the patient set is recorded before the file can be served, so no served export is missing from
    // an accounting (a crash in between leaves an accounting naming an export whose file never appeared).
    if (patients && control.exportId) recordExportPatients(db, control.exportId, patients, new Date());
    fs.renameSync(part, file);
    finished = true;
    return { count, sizeBytes };
  } finally {
    if (!finished) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
      fs.rmSync(part, { force: true });
    }
  }
}

export type ExportJobParams = JobParamsInput<'consents.exportFhir'>;

export const consentExportJob: JobOf<'consents.exportFhir'> = async (ctx) => {
  const { selection, file, now } = ctx.params;
  const written = await writeConsentsNdjson(ctx.db, selection, file, now, {
    exportId: ctx.jobId,
    report: (done, total) => ctx.report(done, total),
    get cancelled() {
      return ctx.cancelled;
    },
  });
  return { path: file, ...written };
};

interface ExportJobRow {
  id: string;
  state: JobState;
  params: string;
  result: string | null;
  error: string | null;
  done: number;
  created_at: string;
  finished_at: string | null;
}

function exportJob(db: Db, exportId: string): ExportJobRow {
  const row = db.prepare('SELECT id, state, params, result, error, done, created_at, finished_at FROM jobs WHERE id = ? AND kind = ?').get(exportId, EXPORT_JOB_KIND) as
    | ExportJobRow
    | undefined;
  if (!row) throw new AppError('NOT_FOUND', `There is no consent export ${exportId}.`);
  return row;
}

/** A stored JSON column read with the kind's schema; null when it is not what this version writes (a hand-edited row). */
function stored<S extends z.ZodType>(schema: S, json: string | null): z.output<S> | null {
  if (json === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

const exportKind = JOB_KINDS[EXPORT_JOB_KIND];

/** The export's state and, once it succeeded, its count and size. */
export function consentExportInfo(db: Db, exportId: string): ConsentExport {
  const row = exportJob(db, exportId);
  const params = stored(exportKind.params, row.params);
  if (!params) throw new AppError('NOT_FOUND', `Consent export ${exportId} has no readable record.`);
  const { file } = params;
  const result = stored(exportKind.result, row.result);
  return {
    exportId: row.id,
    state: row.state,
    count: result?.count ?? row.done,
    fileName: path.basename(file),
    sizeBytes: result?.sizeBytes ?? null,
    error: row.error,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

/** The file of a succeeded export, only from <data dir>/exports and only the one its job was started to write. */
export function consentExportFile(db: Db, dataDir: string, exportId: string): DownloadFile {
  const row = exportJob(db, exportId);
  if (row.state !== 'succeeded' || !row.result) throw new AppError('CONFLICT', `Consent export ${exportId} is ${row.state}; only a finished export can be downloaded.`);
  // The path main chose when it started the job (its params), checked again to lie inside <data dir>/exports.
  const missing = new AppError('NOT_FOUND', `The file of consent export ${exportId} is no longer in the data folder.`);
  const params = stored(exportKind.params, row.params);
  if (!params) throw missing;
  const file = path.resolve(params.file);
  if (!file.startsWith(path.join(path.resolve(dataDir), 'exports') + path.sep)) throw missing;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw missing;
  }
  if (!stat.isFile()) throw missing;
  return { path: file, fileName: path.basename(file), sizeBytes: stat.size, contentType: NDJSON_CONTENT_TYPE };
}
