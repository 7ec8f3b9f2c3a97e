// What the Imports page shows before a run: the detected format, the header mapped onto the consent columns
// (or why it cannot be), and the first rows or resources. Reads a bounded prefix of the file.
import fs from 'node:fs';
import path from 'node:path';
import type { ImportPreview } from '../api/imports';
import { AppError } from '../api/errors';
import { CONSENT_COLUMNS, REQUIRED_COLUMNS } from '../consents/draft';
import { consentToDrafts } from '../consents/fhir';
import { mapHeader, normalizeHeaderName } from './csv-header';
import { readCsvBatches } from './csv-source';
import { detectFhirLayout, readBundleBatches, readNdjsonBatches, readSingleResource, type FhirBatch } from './fhir-source';
import type { ImportFormat } from './runs';

/** Resolves and checks a path given by the user: it must exist and be a regular, non-empty file. */
export function checkImportFile(file: string): { path: string; size: number; name: string } {
  const resolved = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(resolved);
  } catch {
    throw new AppError('IMPORT_FILE_NOT_FOUND', `There is no file named ${path.basename(resolved)} any more.`);
  }
  if (!stat.isFile()) throw new AppError('IMPORT_NOT_A_FILE', `${path.basename(resolved)} is not a regular file.`);
  if (stat.size === 0) throw new AppError('IMPORT_FILE_EMPTY', `${path.basename(resolved)} is empty.`);
  return { path: resolved, size: stat.size, name: path.basename(resolved) };
}

/** The format named, else by extension, else by the first byte ('{' is FHIR JSON). */
export function resolveFormat(file: string, format?: ImportFormat): ImportFormat {
  if (format) return format;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.txt') return 'csv';
  if (ext === '.json' || ext === '.ndjson' || ext === '.jsonl') return 'fhir';
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(512);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').replace(/^\uFEFF/, '').trimStart().startsWith('{') ? 'fhir' : 'csv';
  } finally {
    fs.closeSync(fd);
  }
}

function summarize(value: unknown): string {
  const mapped = consentToDrafts(value);
  if (!mapped.ok) return `refused: ${mapped.reason}`;
  const first = mapped.drafts[0]!;
  return `Consent ${first.status === 'active' ? 'in force' : 'not in force'}: ${mapped.drafts.length} rule${mapped.drafts.length === 1 ? '' : 's'} (${first.decision} ${first.purpose} ${first.category} for ${first.granteeKind} ${first.grantee}${mapped.drafts.length > 1 ? ', …' : ''})`;
}

export async function previewImport(file: string, format: ImportFormat | undefined, rows: number): Promise<ImportPreview> {
  const checked = checkImportFile(file);
  const resolved = resolveFormat(checked.path, format);
  const preview: ImportPreview = {
    fileName: checked.name,
    sizeBytes: checked.size,
    format: resolved,
    layout: null,
    columns: [],
    missing: [],
    ignored: [],
    rows: [],
    resources: [],
    problem: null,
  };
  try {
    if (resolved === 'csv') {
      let header: string[] = [];
      for await (const batch of readCsvBatches({ file: checked.path, batchRecords: rows, onHeader: (f) => (header = f) })) {
        preview.rows.push(...batch.records.slice(0, rows - preview.rows.length).map((r) => r.fields));
        if (preview.rows.length >= rows) break;
      }
      const known = new Set<string>(CONSENT_COLUMNS);
      preview.columns = header.map((name) => {
        const n = normalizeHeaderName(name);
        return { name, mappedTo: known.has(n) ? n : null, required: (REQUIRED_COLUMNS as readonly string[]).includes(n) };
      });
      preview.ignored = preview.columns.filter((c) => c.mappedTo === null).map((c) => c.name);
      preview.missing = REQUIRED_COLUMNS.filter((c) => !preview.columns.some((col) => col.mappedTo === c));
      mapHeader(header); // throws the same error the import would
    } else {
      const layout = await detectFhirLayout(checked.path);
      preview.layout = layout;
      const batches: AsyncGenerator<FhirBatch> =
        layout === 'ndjson' ? readNdjsonBatches(checked.path, undefined, rows) : layout === 'bundle' ? readBundleBatches(checked.path, undefined, rows) : readSingleResource(checked.path, undefined);
      for await (const batch of batches) {
        for (const rec of batch.records) {
          if (preview.resources.length >= rows) break;
          preview.resources.push({ row: rec.row, summary: rec.error ? `refused: ${rec.error}` : summarize(rec.value) });
        }
        if (preview.resources.length >= rows) break;
      }
    }
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    preview.problem = { code: err.code, message: err.message };
  }
  return preview;
}
