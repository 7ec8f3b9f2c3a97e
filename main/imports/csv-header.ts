// Maps a CSV header onto the documented consent columns: normalizes names, refuses a missing or misspelled
// required column (naming it and the likely typo), duplicates and absurd widths. Extra columns are ignored.
import { AppError } from '../api/errors';
import { CONSENT_COLUMNS, REQUIRED_COLUMNS, type ConsentColumn } from '../consents/draft';
import { MAX_COLUMNS } from './csv-source';

export interface HeaderMapping {
  /** The header cells as found in the file. */
  names: string[];
  /** Index in the record of each known column present. */
  index: Partial<Record<ConsentColumn, number>>;
  /** Header cells that are not known columns (ignored on import). */
  ignored: string[];
  /** Optional known columns the file does not have. */
  absent: ConsentColumn[];
}

export function normalizeHeaderName(name: string): string {
  return name
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const temp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = temp;
    }
  }
  return row[b.length]!;
}

const printable = (name: string) => JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);

/** Reads the header record; throws IMPORT_FILE_EMPTY, IMPORT_HEADER_TOO_WIDE, IMPORT_HEADER_DUPLICATE or IMPORT_HEADER_MISSING. */
export function mapHeader(fields: string[]): HeaderMapping {
  if (fields.length === 0) throw new AppError('IMPORT_FILE_EMPTY', 'The file is empty: expected a header line and consent rows.');
  if (fields.length > MAX_COLUMNS) {
    throw new AppError('IMPORT_HEADER_TOO_WIDE', `The header has ${fields.length} columns; at most ${MAX_COLUMNS} are allowed (the template has ${CONSENT_COLUMNS.length}).`, {
      columns: fields.length,
      max: MAX_COLUMNS,
    });
  }
  const index: Partial<Record<ConsentColumn, number>> = {};
  const ignored: string[] = [];
  const known = new Set<string>(CONSENT_COLUMNS);
  fields.forEach((raw, i) => {
    const name = normalizeHeaderName(raw);
    if (known.has(name)) {
      const column = name as ConsentColumn;
      if (index[column] !== undefined) {
        throw new AppError('IMPORT_HEADER_DUPLICATE', `The header names column ${column} twice (columns ${index[column]! + 1} and ${i + 1}).`, { column });
      }
      index[column] = i;
    } else {
      ignored.push(raw);
    }
  });
  const missing = REQUIRED_COLUMNS.filter((c) => index[c] === undefined);
  if (missing.length) {
    const suggestions: Record<string, string> = {};
    for (const column of missing) {
      let best: { name: string; distance: number } | null = null;
      for (const raw of ignored) {
        const distance = editDistance(normalizeHeaderName(raw), column);
        if (distance <= Math.max(2, Math.floor(column.length / 4)) && (!best || distance < best.distance)) best = { name: raw, distance };
      }
      if (best) suggestions[column] = best.name;
    }
    const noneKnown = Object.keys(index).length === 0;
    const parts = missing.map((c) => (suggestions[c] !== undefined ? `${c} (found ${printable(suggestions[c])}: misspelled?)` : c));
    const message = noneKnown
      ? `The first line is not the consent header: none of the expected column names were found. Expected: ${CONSENT_COLUMNS.join(', ')}.`
      : `The header is missing required column${missing.length > 1 ? 's' : ''} ${parts.join(', ')}.`;
    throw new AppError('IMPORT_HEADER_MISSING', message, { missing, suggestions, expected: [...CONSENT_COLUMNS] });
  }
  const absent = CONSENT_COLUMNS.filter((c) => index[c] === undefined);
  return { names: fields, index, ignored, absent };
}
