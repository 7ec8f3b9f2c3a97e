// The digest that seals a FHIR export's patient set: its encoding against an independent rendering of the spec
// (domain, export id, 64-bit ids, count), across the chunk boundary, and what it binds (export id, order, count).
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EXPORT_DIGEST_SCHEME, exportPatientsDigest } from './export-seal';

/** The encoding written out from its description, one buffer, no chunking. */
function reference(exportId: string, ids: number[], domain = `${EXPORT_DIGEST_SCHEME}\0`): string {
  const idBytes = Buffer.from(exportId, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(idBytes.length);
  const parts = [Buffer.from(domain, 'utf8'), length, idBytes];
  for (const id of ids) {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(id));
    parts.push(b);
  }
  const count = Buffer.alloc(8);
  count.writeBigUInt64BE(BigInt(ids.length));
  parts.push(count);
  return crypto.createHash('sha256').update(Buffer.concat(parts)).digest('hex');
}

const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

describe('exportPatientsDigest', () => {
  it.each([0, 1, 2, 4095, 4096, 4097, 10_000])('matches the spec written out for %i ids', (n) => {
    const ids = range(n, 3);
    expect(exportPatientsDigest('exp-a', ids)).toEqual({ digest: reference('exp-a', ids), count: n });
  });

  it('binds the export id, every id and the count; and is not a bare hash of the ids', () => {
    const base = exportPatientsDigest('exp-a', [1, 2, 3]).digest;
    expect(exportPatientsDigest('exp-b', [1, 2, 3]).digest).not.toBe(base);
    expect(exportPatientsDigest('exp-a', [1, 2]).digest).not.toBe(base);
    expect(exportPatientsDigest('exp-a', [1, 2, 4]).digest).not.toBe(base);
    expect(exportPatientsDigest('exp-a', [1, 2, 3, 4]).digest).not.toBe(base);
    // Without the domain tag the same bytes give another digest (no other hash of the console can stand in).
    expect(base).toBe(reference('exp-a', [1, 2, 3]));
    expect(base).not.toBe(reference('exp-a', [1, 2, 3], ''));
  });

  it('refuses ids out of order or repeated (the encoding is of a sorted set)', () => {
    expect(() => exportPatientsDigest('e', [2, 1])).toThrow(/strictly ascending/);
    expect(() => exportPatientsDigest('e', [1, 1])).toThrow(/strictly ascending/);
    expect(() => exportPatientsDigest('e', [1.5])).toThrow(/strictly ascending/);
  });
});
