// Streams FHIR consents from NDJSON (one resource per line, FHIR Bulk Data) or a Bundle (entries cut out by
// the byte scanner), in batches that end on a resume point. Bad lines and entries become records with a reason.
import fs from 'node:fs';
import { AppError } from '../api/errors';
import { BundleScanner, MAX_ENTRY_BYTES } from './json-scan';

const READ_BYTES = 1 << 20;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export type FhirLayout = 'ndjson' | 'bundle' | 'single';

export interface FhirRecord {
  /** NDJSON: the line number; Bundle: the entry number (1-based). */
  row: number;
  value?: unknown;
  /** Bundle: the entry's fullUrl, when it has one (references inside a Bundle may name it). */
  fullUrl?: string;
  /** Original text when it could not be parsed (kept for the rejects file). */
  raw?: string;
  error?: string;
}

export interface FhirPosition {
  layout: FhirLayout;
  offset: number;
  row: number;
  resourceType?: string | null;
}

export interface FhirBatch {
  records: FhirRecord[];
  position: FhirPosition;
}

function notJson(message: string): AppError {
  return new AppError('IMPORT_NOT_JSON', `The file is not FHIR JSON: ${message}.`);
}

/** Deeper than this, a resource is refused (per resource, with a reason): FHIR R4 Consent needs about a dozen. */
export const MAX_DEPTH = 64;

/** The first line of the file (BOM dropped), read whole however long it is, up to about the per-entry limit. */
function readFirstLine(fd: number): string {
  const parts: Buffer[] = [];
  let size = 0;
  let position = 0;
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, position);
    if (n === 0) break;
    const nl = buf.subarray(0, n).indexOf(0x0a);
    const piece = Buffer.from(buf.subarray(0, nl === -1 ? n : nl));
    parts.push(piece);
    size += piece.length;
    position += n;
    if (nl !== -1) break;
    if (size > MAX_ENTRY_BYTES) break;
  }
  return Buffer.concat(parts).toString('utf8').replace(/^\uFEFF/, '');
}

/**
 * NDJSON when the first non-blank line is a whole JSON object other than a Bundle (read whole, whatever its length up
 * to the per-entry limit), or looks like one ({ ... } on one line) without parsing: then it is a bad NDJSON line,
 * rejected on its own. A Bundle when the file is one object over several lines.
 */
export async function detectFhirLayout(file: string): Promise<FhirLayout> {
  const fd = fs.openSync(file, 'r');
  try {
    let firstLine = readFirstLine(fd).trim();
    if (firstLine === '') {
      // Leading blank lines: look at the first 64 KB for the first non-blank one.
      const buf = Buffer.alloc(64 * 1024);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      const head = buf.subarray(0, n).toString('utf8').replace(/^\uFEFF/, '');
      if (head.trim() === '') throw new AppError('IMPORT_FILE_EMPTY', 'The file is empty: expected FHIR resources (NDJSON, a Bundle or one resource).');
      firstLine = head.trimStart().split('\n', 1)[0]!.trim();
    }
    if (!firstLine.startsWith('{')) throw notJson('it does not start with a JSON object');
    try {
      const first = JSON.parse(firstLine) as { resourceType?: unknown };
      return first.resourceType === 'Bundle' ? 'bundle' : 'ndjson';
    } catch {
      const size = fs.fstatSync(fd).size;
      // A pretty-printed file: a Bundle, or a single resource small enough to read whole.
      if (size <= MAX_ENTRY_BYTES) {
        try {
          const whole = JSON.parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as { resourceType?: unknown };
          return whole.resourceType === 'Bundle' ? 'bundle' : 'single';
        } catch {
          // Neither one object nor one object per line: fall through.
        }
      }
      if (firstLine.endsWith('}') && !/"resourceType"\s*:\s*"Bundle"/.test(firstLine.slice(0, 4096))) return 'ndjson';
      return 'bundle';
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** How deep a parsed value nests (objects and arrays), walked without recursion; stops counting past `limit`. */
export function nestingDepth(value: unknown, limit = MAX_DEPTH): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) max = depth;
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return max;
}

function parseRecord(row: number, bytes: Buffer): FhirRecord {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { row, raw: bytes.toString('utf8'), error: 'contains bytes that are not valid UTF-8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = err instanceof RangeError ? 'nested too deeply to read' : (err as Error).message.slice(0, 120);
    return { row, raw: text, error: `is not valid JSON (${message})` };
  }
  if (nestingDepth(value) > MAX_DEPTH) return { row, raw: text, error: `is nested deeper than ${MAX_DEPTH} levels (the limit per resource)` };
  return { row, value };
}

export async function* readNdjsonBatches(file: string, from: FhirPosition | undefined, batchRecords: number, onBytes?: (chunk: Buffer) => void): AsyncGenerator<FhirBatch> {
  let base = from?.offset ?? 0; // absolute offset of the current chunk's first byte
  let offset = base; // end of the last complete line
  let row = from?.row ?? 0;
  let pending: FhirRecord[] = [];
  let carry: Buffer[] = [];
  let carrySize = 0;
  let overlong = false;
  let first = base === 0;
  const line = (bytes: Buffer) => {
    row++;
    let b = bytes;
    if (first) {
      first = false;
      if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
    }
    if (b.length && b[b.length - 1] === 0x0d) b = b.subarray(0, b.length - 1);
    if (overlong) {
      overlong = false;
      pending.push({ row, error: `is longer than ${MAX_ENTRY_BYTES} bytes`, raw: '' });
      return;
    }
    if (b.toString('latin1').trim() === '') return;
    pending.push(parseRecord(row, b));
  };
  const stream = fs.createReadStream(file, { start: base, highWaterMark: READ_BYTES });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      onBytes?.(chunk);
      let start = 0;
      let nl = chunk.indexOf(0x0a, start);
      while (nl !== -1) {
        const piece = chunk.subarray(start, nl);
        line(carry.length ? Buffer.concat([...carry, piece]) : piece);
        carry = [];
        carrySize = 0;
        offset = base + nl + 1;
        start = nl + 1;
        nl = chunk.indexOf(0x0a, start);
        if (pending.length >= batchRecords) {
          yield { records: pending, position: { layout: 'ndjson', offset, row } };
          pending = [];
        }
      }
      if (start < chunk.length) {
        const rest = chunk.subarray(start);
        carrySize += rest.length;
        // A line longer than the cap is not kept: its bytes are dropped up to the next line break.
        if (carrySize > MAX_ENTRY_BYTES) {
          overlong = true;
          carry = [];
        } else carry.push(Buffer.from(rest));
      }
      base += chunk.length;
    }
  } finally {
    stream.destroy();
  }
  if (carry.length || overlong) {
    line(Buffer.concat(carry));
    offset = base;
  }
  yield { records: pending, position: { layout: 'ndjson', offset, row } };
}

/** A file holding one pretty-printed Consent (not a Bundle): read whole, within the entry size cap. */
export async function* readSingleResource(file: string, from: FhirPosition | undefined, onBytes?: (chunk: Buffer) => void): AsyncGenerator<FhirBatch> {
  if (from && from.row >= 1) {
    yield { records: [], position: from };
    return;
  }
  const bytes = fs.readFileSync(file);
  onBytes?.(bytes);
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  yield { records: [parseRecord(1, body)], position: { layout: 'single', offset: bytes.length, row: 1 } };
}

/** A Bundle entry's resource (`entry[i].resource`); the entry itself when it is not an object. */
function entryResource(rec: FhirRecord): FhirRecord {
  if (rec.error || typeof rec.value !== 'object' || rec.value === null || Array.isArray(rec.value)) return rec;
  const entry = rec.value as { resource?: unknown; fullUrl?: unknown };
  return { row: rec.row, value: entry.resource ?? null, ...(typeof entry.fullUrl === 'string' ? { fullUrl: entry.fullUrl } : {}) };
}

export async function* readBundleBatches(file: string, from: FhirPosition | undefined, batchRecords: number, onBytes?: (chunk: Buffer) => void): AsyncGenerator<FhirBatch> {
  let scanner: BundleScanner | null = null;
  let resourceType = from?.resourceType ?? null;
  let row = from?.row ?? 0;
  let offset = from?.offset ?? 0;
  let pending: FhirRecord[] = [];
  const first = !from;
  const stream = fs.createReadStream(file, { start: from?.offset ?? 0, highWaterMark: READ_BYTES });
  const check = (scanner: BundleScanner) => {
    resourceType = scanner.resourceType ?? resourceType;
    if (resourceType !== null && resourceType !== 'Bundle') {
      throw new AppError('IMPORT_NOT_FHIR', `The file is a FHIR ${resourceType.slice(0, 40)}, not a Bundle of Consent resources (or NDJSON).`);
    }
  };
  try {
    for await (const raw of stream as AsyncIterable<Buffer>) {
      onBytes?.(raw);
      let chunk = raw;
      if (!scanner) {
        // The scanner counts offsets from the first byte it is fed: after a BOM, that is byte 3.
        const bom = first && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf;
        if (bom) chunk = chunk.subarray(3);
        scanner = new BundleScanner((from?.offset ?? 0) + (bom ? 3 : 0), from ? { inEntries: true } : undefined);
      }
      let entries;
      try {
        entries = scanner.feed(chunk);
      } catch (message) {
        throw notJson(String(message));
      }
      check(scanner);
      for (const e of entries) {
        row++;
        offset = e.end;
        pending.push(e.ok ? entryResource(parseRecord(row, e.bytes)) : { row, error: e.reason, raw: '' });
        if (pending.length >= batchRecords) {
          yield { records: pending, position: { layout: 'bundle', offset, row, resourceType } };
          pending = [];
        }
      }
    }
  } finally {
    stream.destroy();
  }
  try {
    if (!scanner) throw 'the file is empty';
    scanner.finish();
  } catch (message) {
    throw notJson(String(message));
  }
  if (resourceType === null) throw new AppError('IMPORT_NOT_FHIR', 'The JSON has no resourceType: it is not a FHIR Bundle.');
  yield { records: pending, position: { layout: 'bundle', offset, row, resourceType } };
}
