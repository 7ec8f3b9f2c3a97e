// The lock-free half of a consent import chunk: validate records into drafts and compute what needs no database
// (pseudonym, document hash), before the engine takes SQLite's write lock to store the chunk.
import { draftDocumentHash } from '../consents/writes';
import { validateConsentFields, type ConsentDraft, type FieldProblem } from '../consents/draft';
import { consentToDrafts } from '../consents/fhir';
import type { Pseudonymizer } from '../consents/pseudonym';
import type { HeaderMapping } from './csv-header';
import { MAX_COLUMNS, type CsvRecord } from './csv-source';
import type { FhirRecord } from './fhir-source';
import type { ConsentFieldValues } from '../consents/draft';

/** A CSV row ready to store, or why it is refused. */
export type CsvItem = { rec: CsvRecord; draft: ConsentDraft; problems?: undefined } | { rec: CsvRecord; draft?: undefined; problems: FieldProblem[] };
/** A FHIR resource's rows ready to store, or why it is refused. */
export type FhirItem = { rec: FhirRecord; drafts: ConsentDraft[]; reason?: undefined } | { rec: FhirRecord; drafts?: undefined; reason: string };

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

export interface PrepareOptions {
  format: 'csv' | 'fhir';
  today: string;
  pseudonymizer: Pseudonymizer;
  /** The header mapping, known once the reader has seen the header. */
  mapping: () => HeaderMapping | null;
}

export type ConsentItem = CsvItem | FhirItem;

/** Validates a batch of records into drafts (with their document hashes), outside the write lock. */
export function prepareConsentRecords(records: readonly (CsvRecord | FhirRecord)[], o: PrepareOptions, timings: ChunkTimings): ConsentItem[] {
  const items: ConsentItem[] = [];
  if (o.format === 'csv') {
    const mapping = o.mapping()!;
    let hashMs = 0;
    for (const rec of records as CsvRecord[]) {
      const values = csvValues(rec, mapping);
      const result = Array.isArray(values) ? { ok: false as const, problems: values } : validateConsentFields(values, o.today);
      if (!result.ok) {
        items.push({ rec, problems: result.problems });
        continue;
      }
      const h = performance.now();
      items.push({ rec, draft: withDocumentHash(result.draft, o.pseudonymizer) });
      hashMs += performance.now() - h;
    }
    timings.hashMs += hashMs;
  } else {
    for (const rec of records as FhirRecord[]) {
      const m = rec.error ? ({ ok: false, reason: rec.error } as const) : consentToDrafts(rec.value);
      items.push(m.ok ? { rec, drafts: m.drafts } : { rec, reason: m.reason });
    }
  }
  return items;
}
