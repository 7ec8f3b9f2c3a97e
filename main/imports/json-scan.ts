// A byte-level scanner that finds the entries of a FHIR Bundle (`{"resourceType":"Bundle","entry":[{…},…]}`)
// without parsing the whole file: each entry object is cut out and JSON.parse'd alone, so memory stays bounded.

/** An entry larger than this is refused (its bytes are skipped, not kept). */
export const MAX_ENTRY_BYTES = 8 << 20;

export type ScannedEntry =
  | { ok: true; bytes: Buffer; end: number }
  | { ok: false; reason: string; end: number };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

export interface ScannerState {
  /** Resume inside the entry array, just after an entry (the state at every checkpoint). */
  inEntries: boolean;
}

export class BundleScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private expectKey = false;
  private keyBytes: number[] | null = null;
  private valueBytes: number[] | null = null;
  private currentKey = '';
  private inEntries = false;
  private capture: Buffer[] | null = null;
  private captureStart = 0;
  private captureSize = 0;
  private oversize = false;
  private primitive = false;
  private sawTop = false;
  /** The top-level resourceType, once seen. */
  resourceType: string | null = null;

  constructor(
    /** Absolute offset of the first byte fed. */
    private offset: number,
    state?: ScannerState,
  ) {
    if (state?.inEntries) {
      this.depth = 2;
      this.inEntries = true;
      this.sawTop = true;
    }
  }

  /** Feeds the next chunk; returns the entries completed in it. Throws a message string on malformed structure. */
  feed(chunk: Buffer): ScannedEntry[] {
    const out: ScannedEntry[] = [];
    const n = chunk.length;
    let captureFrom = this.capture ? 0 : -1;
    for (let i = 0; i < n; i++) {
      const b = chunk[i]!;
      if (this.inString) {
        if (this.keyBytes && !this.escaped && b !== QUOTE && this.keyBytes.length < 64) this.keyBytes.push(b);
        if (this.valueBytes && !this.escaped && b !== QUOTE && this.valueBytes.length < 64) this.valueBytes.push(b);
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.keyBytes) {
            this.currentKey = Buffer.from(this.keyBytes).toString('utf8');
            this.keyBytes = null;
          }
          if (this.valueBytes) {
            if (this.currentKey === 'resourceType') this.resourceType = Buffer.from(this.valueBytes).toString('utf8');
            this.valueBytes = null;
          }
        }
        continue;
      }
      if (isSpace(b)) continue;
      if (!this.sawTop) {
        if (b !== OPEN_OBJ) throw 'the file does not start with a JSON object';
        this.sawTop = true;
      }
      if (this.inEntries && this.depth === 2 && this.capture === null) {
        // Between entries: an object starts a capture; anything else but separators is a primitive entry.
        if (b === OPEN_OBJ) {
          this.capture = [];
          this.captureSize = 0;
          this.oversize = false;
          this.captureStart = this.offset + i;
          captureFrom = i;
        } else if (b === COMMA || b === CLOSE_ARR) {
          if (this.primitive) out.push({ ok: false, reason: 'the entry is not a JSON object', end: this.offset + i });
          this.primitive = false;
        } else {
          this.primitive = true;
        }
      }
      if (b === QUOTE) {
        this.inString = true;
        if (this.depth === 1 && this.expectKey) this.keyBytes = [];
        else if (this.depth === 1 && this.currentKey === 'resourceType') this.valueBytes = [];
        continue;
      }
      if (b === OPEN_OBJ || b === OPEN_ARR) {
        if (this.depth === 1 && b === OPEN_ARR && this.currentKey === 'entry') this.inEntries = true;
        this.depth++;
        if (this.depth === 1) this.expectKey = true;
      } else if (b === CLOSE_OBJ || b === CLOSE_ARR) {
        this.depth--;
        if (this.depth < 0) throw 'a closing bracket has no opening one';
        if (this.depth === 1 && this.inEntries) this.inEntries = false;
        if (this.capture !== null && this.depth === 2) {
          const end = this.offset + i + 1;
          if (this.oversize) out.push({ ok: false, reason: `the entry is larger than ${MAX_ENTRY_BYTES} bytes`, end });
          else {
            this.capture.push(chunk.subarray(captureFrom, i + 1));
            out.push({ ok: true, bytes: Buffer.concat(this.capture), end });
          }
          this.capture = null;
          captureFrom = -1;
        }
      } else if (this.depth === 1) {
        if (b === COMMA) this.expectKey = true;
        else if (b === COLON) this.expectKey = false;
      }
    }
    if (this.capture !== null && captureFrom >= 0) {
      const part = chunk.subarray(captureFrom);
      this.captureSize += part.length;
      if (this.captureSize > MAX_ENTRY_BYTES) {
        this.oversize = true;
        this.capture = [];
      } else this.capture.push(Buffer.from(part));
    }
    this.offset += n;
    return out;
  }

  /** Throws when the JSON ended inside a value. */
  finish(): void {
    if (!this.sawTop) throw 'the file holds no JSON';
    if (this.depth !== 0 || this.inString) throw 'the JSON ends early (is the file truncated?)';
  }

  get entryStart(): number {
    return this.captureStart;
  }
}
