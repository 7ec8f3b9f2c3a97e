// Streams a claims CSV with csv-parse (constant memory): checks the header against the documented columns and
// yields each data row with its row and line numbers and its parsed fields. Used by the import job and the dry check.
import { AppError } from '../api/errors';
import { readCsvBatches } from '../imports/csv-source';
import { CLAIM_COLUMNS, parseClaimFields, type ClaimColumn, type ClaimFieldValues, type ParsedClaim } from './fields';

export interface ClaimCsvRow {
  /** 1 is the first row after the header. */
  row: number;
  line: number;
  fields: string[];
  parsed: ParsedClaim;
}

export interface ClaimCsvHeader {
  names: string[];
  ignored: string[];
}

function normalize(name: string): string {
  return name.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

/** Column index per documented column; throws CLAIMS_HEADER_MISSING naming what is missing. */
export function mapClaimHeader(fields: string[]): { index: Map<ClaimColumn, number>; ignored: string[] } {
  const index = new Map<ClaimColumn, number>();
  const ignored: string[] = [];
  fields.forEach((raw, i) => {
    const name = normalize(raw) as ClaimColumn;
    if ((CLAIM_COLUMNS as readonly string[]).includes(name) && !index.has(name)) index.set(name, i);
    else ignored.push(raw.trim());
  });
  const missing = CLAIM_COLUMNS.filter((c) => !index.has(c));
  if (missing.length) {
    throw new AppError('CLAIMS_HEADER_MISSING', `The claims file's header lacks column(s) ${missing.join(', ')}; the header is: ${CLAIM_COLUMNS.join(',')}.`, { missing });
  }
  return { index, ignored };
}

/**
 * Rows of a claims CSV from `skipRows` on (rows before it are read but not yielded: a resumed run). Read by the same
 * reader as consents and rosters, so mixed line endings are one row each and an unclosed quote stops the file at its
 * line (IMPORT_CSV_MALFORMED, after the rows before it) instead of swallowing the rows after it.
 */
export async function* readClaimsCsv(file: string, onHeader: (h: ClaimCsvHeader) => void, skipRows = 0): AsyncGenerator<ClaimCsvRow> {
  let mapping: ReturnType<typeof mapClaimHeader> | null = null;
  let headerFields: string[] | null = null;
  const batches = readCsvBatches({ file, batchRecords: 1_000, onHeader: (fields) => (headerFields = fields) });
  for await (const batch of batches) {
    if (mapping === null) {
      if (headerFields === null || (headerFields as string[]).length === 0) break;
      mapping = mapClaimHeader(headerFields);
      onHeader({ names: headerFields, ignored: mapping.ignored });
    }
    for (const record of batch.records) {
      if (record.row <= skipRows) continue;
      const values: ClaimFieldValues = {};
      for (const [column, i] of mapping.index) values[column] = record.fields[i] ?? '';
      yield { row: record.row, line: record.line, fields: record.fields, parsed: parseClaimFields(values) };
    }
  }
  if (mapping === null) throw new AppError('CLAIMS_HEADER_MISSING', `The claims file is empty; the header is: ${CLAIM_COLUMNS.join(',')}.`);
}
