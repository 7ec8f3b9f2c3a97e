// Streams a claims CSV with csv-parse (constant memory): checks the header against the documented columns and
// yields each data row with its row and line numbers and its parsed fields. Used by the import job and the dry check.
import { parse } from 'csv-parse';
import fs from 'node:fs';
import { AppError } from '../api/errors';
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

/** Rows of a claims CSV from `skipRows` on (rows before it are read but not yielded: a resumed run). */
export async function* readClaimsCsv(file: string, onHeader: (h: ClaimCsvHeader) => void, skipRows = 0): AsyncGenerator<ClaimCsvRow> {
  const parser = fs.createReadStream(file).pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true, max_record_size: 1 << 16 }));
  let mapping: ReturnType<typeof mapClaimHeader> | null = null;
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const fields = record.record;
      if (mapping === null) {
        mapping = mapClaimHeader(fields);
        onHeader({ names: fields, ignored: mapping.ignored });
        continue;
      }
      row++;
      if (row <= skipRows) continue;
      const values: ClaimFieldValues = {};
      for (const [column, i] of mapping.index) values[column] = fields[i] ?? '';
      yield { row, line: record.info.lines, fields, parsed: parseClaimFields(values) };
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('CLAIMS_FILE_UNREADABLE', `The claims file could not be read after row ${row}: ${(err as Error).message}`);
  }
  if (mapping === null) throw new AppError('CLAIMS_HEADER_MISSING', `The claims file is empty; the header is: ${CLAIM_COLUMNS.join(',')}.`);
}
