// Finds the first entry of the hash chain that was changed, deleted or inserted, from the entries alone.
// Pure and streaming (one entry of lookahead): verify.ts feeds it every row in id order; tests feed it tables.
import type { TamperFinding } from '../api/audit';
import { entryHash, GENESIS_HASH, type AuditEntry } from './trail';

export interface ScanResult {
  checked: number;
  /** The last entry accepted as intact before any finding. */
  last: { id: number; hash: string } | null;
  finding: TamperFinding | null;
}

/**
 * Push entries in ascending id order, then call finish(). How the kinds are told apart:
 * - a gap in the ids, or an entry that hashes correctly only under the next id (later ones renumbered): deleted;
 * - an entry its successor skips (the successor links to the entry before it), or one whose own link names no
 *   entry while nothing after it links to it or kept its place: inserted;
 * - an entry whose fields no longer give its hash, one whose successor recorded another hash for it, or one
 *   rewritten in place (bad link, but its successor kept id and hash): changed.
 */
export class TrailScanner {
  private expectedId = 1;
  private expectedPrev = GENESIS_HASH;
  private pending: AuditEntry | null = null;
  private checked = 0;
  private last: ScanResult['last'] = null;
  private finding: TamperFinding | null = null;

  /** `start`: where the scan begins when it does not begin at entry 1 (the entry before, as last accepted). */
  constructor(
    private readonly hashOf: (e: Omit<AuditEntry, 'hash'>) => string = entryHash,
    start?: { id: number; hash: string },
  ) {
    if (start) {
      this.expectedId = start.id + 1;
      this.expectedPrev = start.hash;
    }
  }

  get done(): boolean {
    return this.finding !== null;
  }

  push(entry: AuditEntry): void {
    if (this.finding) return;
    if (this.pending) this.judge(this.pending, entry);
    this.pending = entry;
  }

  finish(): ScanResult {
    if (this.pending && !this.finding) this.judge(this.pending, undefined);
    this.pending = null;
    return { checked: this.checked, last: this.last, finding: this.finding };
  }

  private judge(e: AuditEntry, next: AuditEntry | undefined): void {
    this.checked++;
    const expId = this.expectedId;
    const expPrev = this.expectedPrev;
    if (e.id < expId) {
      return this.found('inserted', e.id, `Entry ${e.id} was inserted: its id is out of sequence (expected ${expId}).`);
    }
    if (e.id > expId) {
      const range = e.id - 1 > expId ? `entries ${expId}–${e.id - 1} are` : `entry ${expId} is`;
      return this.found('deleted', expId, `Entry ${expId} was deleted: ${range} missing (the trail goes from ${expId - 1 || 'its start'} to ${e.id}).`);
    }
    if (next && next.prev_hash === expPrev && next.prev_hash !== e.hash) {
      return this.found('inserted', e.id, `Entry ${e.id} was inserted: entry ${next.id} links to ${expId > 1 ? `entry ${expId - 1}` : 'the start of the trail'}, skipping it.`);
    }
    const fields = withoutHash(e);
    const hash = e.hash;
    if (this.hashOf(fields) !== hash) {
      if (this.hashOf({ ...fields, id: e.id + 1 }) === hash) {
        return this.found('deleted', e.id, `Entry ${e.id} was deleted: the later entries were renumbered to close the gap (the entry now numbered ${e.id} was ${e.id + 1}).`);
      }
      return this.found('changed', e.id, `Entry ${e.id} was changed: its fields no longer match its recorded hash.`);
    }
    if (e.prev_hash !== expPrev) {
      if (next && next.prev_hash === e.hash) {
        // Intact links after e: the break is behind it, so the entry before e was rewritten and re-hashed.
        if (expId === 1) return this.found('changed', e.id, `Entry ${e.id} was changed: its link to the start of the trail was rewritten.`);
        return this.found('changed', expId - 1, `Entry ${expId - 1} was changed and re-hashed: entry ${e.id} recorded a different hash for it.`);
      }
      if (next && next.id === e.id + 1 && this.hashOf(withoutHash(next)) === next.hash) {
        // Its successor kept its own id and hash, so nothing was shifted in: e was rewritten in place.
        return this.found('changed', e.id, `Entry ${e.id} was changed: its link and hash were rewritten, and entry ${next.id} no longer links to it.`);
      }
      return this.found('inserted', e.id, `Entry ${e.id} was inserted: its link names no entry of the trail (expected the hash of ${expId > 1 ? `entry ${expId - 1}` : 'the start'}).`);
    }
    this.expectedId = e.id + 1;
    this.expectedPrev = e.hash;
    this.last = { id: e.id, hash: e.hash };
  }

  private found(kind: TamperFinding['kind'], entryId: number, message: string): void {
    this.finding = { kind, entryId, message };
  }
}

/** Scans a whole sequence; the table tests' entry point. */
export function findFirstTamper(entries: Iterable<AuditEntry>, start?: { id: number; hash: string }): ScanResult {
  const scanner = new TrailScanner(entryHash, start);
  for (const e of entries) {
    scanner.push(e);
    if (scanner.done) break;
  }
  return scanner.finish();
}

function withoutHash(e: AuditEntry): Omit<AuditEntry, 'hash'> {
  const { hash: _hash, ...fields } = e;
  return fields;
}
