// The rejects file of an import run: each refused row as it was read, plus its row number and reason, written
// next to the run in <data dir>/imports/. Spreadsheet-safe: cells that would run as formulas are neutralised.
import fs from 'node:fs';
import path from 'node:path';

// Also after leading spaces, which some spreadsheets skip before reading a formula (as the audit CSV does).
const FORMULA_START = /^[\t\r]|^ *[=+\-@]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** A cell a spreadsheet shows as text: a leading = + - @ (after any spaces), tab or CR gets an apostrophe in front (OWASP). */
export function neutralizeFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** One CSV cell, neutralised and quoted when it holds a comma, quote or line break. */
export function csvCell(value: string): string {
  const safe = neutralizeFormula(value);
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export function rejectsPathFor(dataDir: string, runId: number, format: 'csv' | 'fhir'): string {
  return path.join(dataDir, 'imports', `run-${runId}-rejects.${format === 'csv' ? 'csv' : 'ndjson'}`);
}

/**
 * How many characters of rejected rows RejectsFile holds before it appends them. A chunk (one transaction) may span
 * 100,000s of rows; if most are refused, holding them all until the commit grew the import's heap with the chunk.
 */
export const REJECTS_BUFFER_CHARS = 64 * 1024;

/**
 * Buffers the rejects of one chunk and appends them before the chunk's transaction commits (and whenever
 * REJECTS_BUFFER_CHARS are buffered); the committed checkpoint records the file's size, so a resumed run first cuts
 * off what an unfinished chunk appended.
 */
export class RejectsFile {
  private buffer: string[] = [];
  private bufferedChars = 0;
  private size: number;
  /** What the buffer held at most, in characters, and how many appends it took (for tests and the bench). */
  readonly stats = { maxBufferedChars: 0, appends: 0 };

  constructor(
    readonly file: string,
    /** Size to resume from (checkpoint), or null to start a new file. */
    resumeAt: number | null,
    header: string | null,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (resumeAt === null) {
      fs.writeFileSync(file, header ?? '', { mode: 0o600 });
      this.size = Buffer.byteLength(header ?? '');
    } else {
      if (!fs.existsSync(file)) fs.writeFileSync(file, '', { mode: 0o600 });
      fs.truncateSync(file, resumeAt);
      this.size = resumeAt;
    }
  }

  add(text: string): void {
    this.buffer.push(text);
    this.bufferedChars += text.length;
    if (this.bufferedChars > this.stats.maxBufferedChars) this.stats.maxBufferedChars = this.bufferedChars;
    if (this.bufferedChars >= REJECTS_BUFFER_CHARS) this.flush();
  }

  /** Appends the buffered rejects and returns the file's new size (to store in the checkpoint). */
  flush(): number {
    if (this.buffer.length) {
      const text = this.buffer.join('');
      this.buffer = [];
      this.bufferedChars = 0;
      fs.appendFileSync(this.file, text);
      this.stats.appends++;
      this.size += Buffer.byteLength(text);
    }
    return this.size;
  }

  get bytes(): number {
    return this.size;
  }
}

export function csvRejectsHeader(headerNames: readonly string[]): string {
  return csvLine([...headerNames, 'reject_row', 'reject_line', 'reject_reason']);
}

/** The original cells (cut to the header's width when a row is absurdly wide) and why the row was refused. */
export function csvRejectLine(headerWidth: number, fields: readonly string[], row: number, line: number, reason: string): string {
  const cells = fields.length > headerWidth ? fields.slice(0, headerWidth) : [...fields];
  while (cells.length < headerWidth) cells.push('');
  return csvLine([...cells, String(row), String(line), reason]);
}

export function fhirRejectLine(row: number, reason: string, original: unknown): string {
  return `${JSON.stringify({ row, reason, original })}\n`;
}
