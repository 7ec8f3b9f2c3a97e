// The lock-free half of an import chunk: read records, validate them into drafts and compute what needs no
// database (pseudonym, document hash), before the pipeline takes SQLite's write lock to store the chunk.
import { AppError } from '../api/errors';
import { draftDocumentHash } from '../consents/writes';
import { validateConsentFields, type ConsentDraft, type FieldProblem } from '../consents/draft';
import { consentToDrafts } from '../consents/fhir';
import type { Pseudonymizer } from '../consents/pseudonym';
import type { HeaderMapping } from './csv-header';
import { MAX_COLUMNS, type CsvPosition, type CsvRecord } from './csv-source';
import type { FhirPosition, FhirRecord } from './fhir-source';
import type { ConsentFieldValues } from '../consents/draft';

export type Position = CsvPosition | FhirPosition;
export type RecordBatches = AsyncGenerator<{ records: (CsvRecord | FhirRecord)[]; position: Position }>;

/** A CSV row ready to store, or why it is refused. */
export type CsvItem = { rec: CsvRecord; draft: ConsentDraft; problems?: undefined } | { rec: CsvRecord; draft?: undefined; problems: FieldProblem[] };
/** A FHIR resource's rows ready to store, or why it is refused. */
export type FhirItem = { rec: FhirRecord; drafts: ConsentDraft[]; reason?: undefined } | { rec: FhirRecord; drafts?: undefined; reason: string };

export interface Chunk {
  csv: CsvItem[];
  fhir: FhirItem[];
  /** Resume point after the chunk's last record; null when the reader delivered nothing. */
  position: Position | null;
  /** The reader ended (the file is done). */
  done: boolean;
  /** The file is unreadable after this chunk's records (they are stored first, then this is thrown). */
  error: AppError | null;
}

export interface ChunkTimings {
  parseMs: number;
  validateMs: number;
  /** Pseudonym HMAC and RFC 8785 document hash. */
  hashMs: number;
}

/** Cells of a CSV record as named values, or why the row's shape is wrong. */
export function csvValues(rec: CsvRecord, mapping: HeaderMapping): ConsentFieldValues | FieldProblem[] {
  const width = mapping.names.length;
  const n = rec.fields.length;
  if (n > MAX_COLUMNS) return [{ column: '(row)', reason: `has ${n} columns; at most ${MAX_COLUMNS} are allowed and the header has ${width}` }];
  if (n !== width) {
    let extraFilled = n < width;
    for (let i = width; i < n; i++) if (rec.fields[i]!.trim() !== '') extraFilled = true;
    if (extraFilled) return [{ column: '(row)', reason: `has ${n} columns but the header has ${width}` }];
  }
  const values: ConsentFieldValues = {};
  for (const column in mapping.index) {
    values[column as keyof ConsentFieldValues] = rec.fields[mapping.index[column as keyof ConsentFieldValues]!];
  }
  return values;
}

/**
 * The document hash a draft without one gets: the same value toNewConsent would compute at write time (the
 * pseudonym is a function of facility and MRN), computed here so the write lock is not held for it.
 */
export function withDocumentHash(d: ConsentDraft, pseudonymizer: Pseudonymizer): ConsentDraft {
  if (d.documentHash === null) d.documentHash = draftDocumentHash(d, pseudonymizer.pseudonym(d.facility, d.mrn));
  return d;
}

export interface ChunkReaderOptions {
  format: 'csv' | 'fhir';
  rows: number;
  today: string;
  pseudonymizer: Pseudonymizer;
  /** The header mapping, known once the reader has seen the header. */
  mapping: () => HeaderMapping | null;
  fileName: string;
}

/** Reads and prepares the next chunk of at least `rows` records (fewer at the end of the file). */
export async function readChunk(batches: RecordBatches, o: ChunkReaderOptions, timings: ChunkTimings): Promise<Chunk> {
  const chunk: Chunk = { csv: [], fhir: [], position: null, done: false, error: null };
  let count = 0;
  while (count < o.rows) {
    let t = performance.now();
    let next: IteratorResult<{ records: (CsvRecord | FhirRecord)[]; position: Position }>;
    try {
      next = await batches.next();
    } catch (err) {
      // The file is unreadable from here on (e.g. an unclosed quote): what was read before the bad spot is kept.
      if (err instanceof AppError) {
        chunk.error = err;
        break;
      }
      throw err;
    } finally {
      timings.parseMs += performance.now() - t;
    }
    if (next.done) {
      chunk.done = true;
      break;
    }
    const { records, position } = next.value;
    chunk.position = position;
    count += records.length;
    t = performance.now();
    if (o.format === 'csv') {
      const mapping = o.mapping();
      if (!mapping) throw new AppError('IMPORT_FILE_EMPTY', `The file ${o.fileName} has no header line.`);
      let hashMs = 0;
      for (const rec of records as CsvRecord[]) {
        const values = csvValues(rec, mapping);
        const result = Array.isArray(values) ? { ok: false as const, problems: values } : validateConsentFields(values, o.today);
        if (!result.ok) {
          chunk.csv.push({ rec, problems: result.problems });
          continue;
        }
        const h = performance.now();
        chunk.csv.push({ rec, draft: withDocumentHash(result.draft, o.pseudonymizer) });
        hashMs += performance.now() - h;
      }
      timings.hashMs += hashMs;
      timings.validateMs += performance.now() - t - hashMs;
    } else {
      for (const rec of records as FhirRecord[]) {
        const m = rec.error ? ({ ok: false, reason: rec.error } as const) : consentToDrafts(rec.value);
        chunk.fhir.push(m.ok ? { rec, drafts: m.drafts } : { rec, reason: m.reason });
      }
      timings.validateMs += performance.now() - t;
    }
  }
  return chunk;
}
