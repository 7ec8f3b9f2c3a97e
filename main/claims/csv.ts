// Streams a claims CSV with csv-parse (constant memory): checks the header against the documented columns and
// yields each data row with its row and line numbers and its parsed fields. Used by the import job and the dry check.
import { AppError } from '../api/errors';
import { normalizeHeaderName } from '../imports/csv-header';
import { MAX_COLUMNS, readCsvBatches, type CsvRecord } from '../imports/csv-source';
import { CLAIM_COLUMNS, parseClaimFields, type ClaimColumn, type ClaimFieldValues, type ParsedClaim } from './fields';

export interface ClaimCsvRow {
  /** 1 is the first row after the header. */
  row: number;
  line: number;
  fields: string[];
  parsed: ParsedClaim | { ok: false; problems: { column: '(row)'; reason: string }[] };
}

export interface ClaimCsvHeader {
  names: string[];
  ignored: string[];
}

/** Column index per documented column; throws CLAIMS_HEADER_MISSING naming what is missing, IMPORT_HEADER_DUPLICATE naming a column given twice. */
export function mapClaimHeader(fields: string[]): { index: Map<ClaimColumn, number>; ignored: string[]; width: number } {
  if (fields.length === 0) throw new AppError('IMPORT_FILE_EMPTY', `The claims file is empty; the header is: ${CLAIM_COLUMNS.join(',')}.`);
  if (fields.length > MAX_COLUMNS) throw new AppError('IMPORT_HEADER_TOO_WIDE', `The claims header has ${fields.length} columns; at most ${MAX_COLUMNS} are allowed.`);
  const index = new Map<ClaimColumn, number>();
  const ignored: string[] = [];
  fields.forEach((raw, i) => {
    const name = normalizeHeaderName(raw) as ClaimColumn;
    if (!(CLAIM_COLUMNS as readonly string[]).includes(name)) {
      ignored.push(raw.trim());
      return;
    }
    // Two columns of one name: which one holds the amount is a guess, and a wrong guess stores a wrong claim.
    if (index.has(name)) throw new AppError('IMPORT_HEADER_DUPLICATE', `The claims header names column ${name} twice (columns ${index.get(name)! + 1} and ${i + 1}).`, { column: name });
    index.set(name, i);
  });
  const missing = CLAIM_COLUMNS.filter((c) => !index.has(c));
  if (missing.length) {
    throw new AppError('CLAIMS_HEADER_MISSING', `The claims file's header lacks column(s) ${missing.join(', ')}; the header is: ${CLAIM_COLUMNS.join(',')}.`, { missing });
  }
  return { index, ignored, width: fields.length };
}

/** A record's cells as a claim, refusing first a row wider than the header (its extra cells would be dropped unseen). */
export function claimOfRecord(record: CsvRecord, mapping: ReturnType<typeof mapClaimHeader>): ClaimCsvRow {
  const base = { row: record.row, line: record.line, fields: record.fields };
  const n = record.fields.length;
  if (n > MAX_COLUMNS || (n > mapping.width && record.fields.slice(mapping.width).some((f) => f.trim() !== ''))) {
    const reason = n > MAX_COLUMNS ? `has ${n} columns; at most ${MAX_COLUMNS} are allowed` : `has ${n} columns but the header has ${mapping.width}`;
    return { ...base, parsed: { ok: false, problems: [{ column: '(row)', reason }] } };
  }
  const values: ClaimFieldValues = {};
  for (const [column, i] of mapping.index) values[column] = record.fields[i] ?? '';
  return { ...base, parsed: parseClaimFields(values) };
}

/**
 * Rows of a claims CSV (the dry check, `custodian claims check`). Read by the same reader as every import, so mixed
 * line endings are one row each and an unclosed quote stops the file at its line (IMPORT_CSV_MALFORMED) instead of
 * swallowing the rows after it.
 */
export async function* readClaimsCsv(file: string, onHeader: (h: ClaimCsvHeader) => void): AsyncGenerator<ClaimCsvRow> {
  let mapping: ReturnType<typeof mapClaimHeader> | null = null;
  const batches = readCsvBatches({
    file,
    batchRecords: 1_000,
    onHeader: (fields) => {
      mapping = mapClaimHeader(fields);
      onHeader({ names: fields, ignored: mapping.ignored });
    },
  });
  for await (const batch of batches) for (const record of batch.records) yield claimOfRecord(record, mapping!);
}
