// Streams a consent CSV in record batches with constant memory: csv-parse over 1 MB reads, each record tagged
// with its row and line number, each batch ending on a record boundary whose byte offset is a resume point.
import { Parser } from 'csv-parse';
import fs from 'node:fs';
import { AppError } from '../api/errors';

/** At most this many characters in one record; more is almost always an unclosed quote. */
export const MAX_RECORD_CHARS = 1 << 20;
/** A header or row wider than this is refused: the documented header has 13 columns. */
export const MAX_COLUMNS = 64;
const READ_BYTES = 256 << 10;

export interface CsvRecord {
  /** Data row number: 1 is the first row after the header; blank lines are not rows. */
  row: number;
  /** Physical line (1-based) where the record starts. */
  line: number;
  fields: string[];
}

export interface CsvPosition {
  /** Byte offset just after the last record delivered (a record boundary). */
  offset: number;
  row: number;
  /** Line on which the next record starts. */
  nextLine: number;
}

export interface CsvBatch {
  records: CsvRecord[];
  position: CsvPosition;
}

/** csv-parse's Parser, remembering where each record ended (info.bytes is the record's end when it is pushed). */
class OffsetParser extends Parser {
  readonly ends: number[] = [];
  override push(record: unknown, encoding?: BufferEncoding): boolean {
    if (record !== null) this.ends.push(this.info.bytes);
    return super.push(record, encoding);
  }
}

function newParser(withBom: boolean): OffsetParser {
  return new OffsetParser({
    bom: withBom,
    relax_column_count: true,
    relax_quotes: true,
    // Every usual line ending, mixed in one file (a CRLF header over LF rows is common after hand edits); csv-parse
    // would otherwise take the first line's ending for the whole file and merge the rows.
    record_delimiter: ['\r\n', '\n', '\r'],
    skip_empty_lines: false,
    max_record_size: MAX_RECORD_CHARS,
    // Records are read synchronously after each write; a large buffer keeps the write path synchronous.
    readableHighWaterMark: 1 << 30,
  } as ConstructorParameters<typeof Parser>[0]);
}

function isBlank(fields: string[]): boolean {
  for (const f of fields) if (f.trim() !== '') return false;
  return true;
}

function countNewlines(fields: string[]): number {
  let n = 0;
  for (const f of fields) {
    let i = f.indexOf('\n');
    while (i !== -1) {
      n++;
      i = f.indexOf('\n', i + 1);
    }
  }
  return n;
}

function hasLineBreak(fields: string[]): boolean {
  for (const f of fields) if (f.includes('\n') || f.includes('\r')) return true;
  return false;
}

/**
 * No column of Custodian's CSV formats holds a line break, so a cell spanning lines is always a quote opened and
 * closed elsewhere: reading on would swallow valid rows into one cell (and later reject them as one bad row).
 */
function spansLines(line: number, fields: string[]): AppError {
  const last = line + countNewlines(fields);
  return new AppError(
    'IMPORT_CSV_MALFORMED',
    `Line ${line}: a quoted cell runs on to line ${last}; cells never hold line breaks, so this is a quote that is never closed (or closed on a later line). Rows before line ${line} were kept; fix the quote and import the file again.`,
    { line, lastLine: last, reason: 'QUOTE_SPANS_LINES' },
  );
}

function csvError(err: unknown, line: number): AppError {
  const e = err as { code?: string; message?: string };
  if (e.code === 'CSV_MAX_RECORD_SIZE') {
    return new AppError('IMPORT_CSV_MALFORMED', `Line ${line}: a record is longer than ${MAX_RECORD_CHARS.toLocaleString('en-US')} characters; usually a quote that is never closed.`, { line, reason: e.code });
  }
  if (e.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new AppError('IMPORT_CSV_MALFORMED', `Line ${line}: a quoted field is never closed before the end of the file.`, { line, reason: e.code });
  }
  return new AppError('IMPORT_CSV_MALFORMED', `Line ${line}: the CSV cannot be parsed (${e.code ?? 'error'}).`, { line, reason: e.code ?? null });
}

/**
 * UTF-8 (with or without a byte-order mark) and UTF-16 LE with its mark are read (csv-parse decodes both); UTF-16 BE
 * and UTF-32 would otherwise be misread as a header of unknown columns, so they are refused by name.
 */
function checkEncoding(head: Buffer): void {
  const name =
    head[0] === 0x00 && head[1] === 0x00 && head[2] === 0xfe && head[3] === 0xff
      ? 'UTF-32 big-endian'
      : head[0] === 0xff && head[1] === 0xfe && head[2] === 0x00 && head[3] === 0x00
        ? 'UTF-32 little-endian'
        : head[0] === 0xfe && head[1] === 0xff
          ? 'UTF-16 big-endian'
          : head.length >= 2 && head[0] === 0x00 && head[1] !== 0x00
            ? 'UTF-16 big-endian (without a byte-order mark)'
            : null;
  if (name) {
    throw new AppError('IMPORT_ENCODING_UNSUPPORTED', `The file is encoded as ${name}; save it as UTF-8 (or UTF-16 little-endian with its byte-order mark) and import it again.`, { encoding: name });
  }
}

export interface CsvReadOptions {
  file: string;
  /** Where to start: 0 for a new import (the header is then the first record), or a saved position. */
  from?: CsvPosition;
  /** Deliver a batch once this many records are pending (at the end of a read). */
  batchRecords: number;
  /** The first record is the header and is delivered as row 0 (only when starting at 0). */
  onHeader?: (fields: string[], line: number) => void;
  /** Sees every byte read, in order (the pipeline hashes the file as it goes). */
  onBytes?: (chunk: Buffer) => void;
}

/**
 * Yields batches of data records. The header (the first non-blank record of the file) goes to onHeader.
 * Parse errors that make the rest of the file unreadable stop the import with IMPORT_CSV_MALFORMED.
 */
export async function* readCsvBatches(options: CsvReadOptions): AsyncGenerator<CsvBatch> {
  const start = options.from ?? { offset: 0, row: 0, nextLine: 1 };
  const parser = newParser(start.offset === 0);
  // Parse errors are read from parser.errored after each write; this listener only keeps them from being unhandled.
  parser.on('error', () => undefined);
  let headerPending = start.offset === 0;
  let row = start.row;
  let nextLine = start.nextLine;
  let lastEnd = start.offset;
  // Records waiting to be delivered, each with the resume point just after it, so a batch can end anywhere.
  let pending: CsvRecord[] = [];
  let ends: CsvPosition[] = [];

  let structureError: AppError | null = null;
  const drain = () => {
    let fields: string[] | null;
    while (!structureError && (fields = parser.read() as string[] | null) !== null) {
      const end = start.offset + parser.ends.shift()!;
      const line = nextLine;
      if (hasLineBreak(fields)) {
        structureError = spansLines(line, fields);
        break;
      }
      nextLine += 1 + countNewlines(fields);
      if (isBlank(fields)) {
        if (pending.length) ends[ends.length - 1] = { offset: end, row, nextLine };
        else lastEnd = end;
        continue;
      }
      if (headerPending) {
        headerPending = false;
        lastEnd = end;
        options.onHeader?.(fields, line);
        continue;
      }
      row++;
      pending.push({ row, line, fields });
      ends.push({ offset: end, row, nextLine });
    }
  };
  const take = (n: number): CsvBatch => {
    const records = pending.length <= n ? pending : pending.slice(0, n);
    const position = records.length ? ends[records.length - 1]! : { offset: lastEnd, row, nextLine };
    pending = pending.length <= n ? [] : pending.slice(n);
    ends = ends.length <= n ? [] : ends.slice(n);
    if (records.length) lastEnd = position.offset;
    return { records, position };
  };

  const stream = fs.createReadStream(options.file, { start: start.offset, highWaterMark: READ_BYTES });
  let firstChunk = start.offset === 0;
  try {
    for await (const chunk of stream) {
      if (firstChunk) {
        firstChunk = false;
        checkEncoding(chunk as Buffer);
      }
      options.onBytes?.(chunk as Buffer);
      parser.write(chunk as Buffer);
      drain();
      if (parser.errored || structureError) break;
      while (pending.length >= options.batchRecords) yield take(options.batchRecords);
    }
  } finally {
    stream.destroy();
  }
  if (!parser.errored && !structureError) {
    await new Promise<void>((resolve) => {
      parser.once('error', () => resolve());
      parser.once('finish', () => resolve());
      parser.end();
    });
    drain();
  }
  if (structureError) {
    while (pending.length) yield take(options.batchRecords);
    throw structureError;
  }
  if (parser.errored) {
    // The records completed before the bad spot are delivered (and committed) first: nothing good is lost.
    while (pending.length) yield take(options.batchRecords);
    throw csvError(parser.errored, nextLine);
  }
  if (headerPending) options.onHeader?.([], nextLine);
  while (pending.length > options.batchRecords) yield take(options.batchRecords);
  yield take(options.batchRecords);
}
