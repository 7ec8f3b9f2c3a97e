// The Bundle scanner cuts out the same entries however the bytes are split into reads, with exact end offsets,
// and resumes from any entry boundary; strings holding brackets and quotes do not confuse it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BundleScanner } from './json-scan';

function scan(text: string, cuts: number[], from = 0, inEntries = false) {
  const bytes = Buffer.from(text).subarray(from);
  const scanner = new BundleScanner(from, inEntries ? { inEntries: true } : undefined);
  const out: { value: unknown; end: number }[] = [];
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    for (const e of scanner.feed(bytes.subarray(at, cut))) out.push(e.ok ? { value: JSON.parse(e.bytes.toString()), end: e.end } : { value: e.reason, end: e.end });
    at = cut;
  }
  scanner.finish();
  return { out, resourceType: scanner.resourceType };
}

const entry = fc.record({ resource: fc.record({ resourceType: fc.constant('Consent'), id: fc.string({ unit: 'binary' }), note: fc.string({ unit: 'binary' }) }) });

describe('BundleScanner', () => {
  it('finds every entry whatever the chunking, with the offset just after it', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), fc.array(fc.nat(4000), { maxLength: 12 }), fc.boolean(), (entries, cuts, pretty) => {
        const text = JSON.stringify({ id: '{"entry":[', resourceType: 'Bundle', entry: entries, tail: ']}' }, null, pretty ? 2 : 0);
        const { out, resourceType } = scan(text, cuts);
        expect(resourceType).toBe('Bundle');
        expect(out.map((o) => o.value)).toEqual(entries);
        for (const o of out) expect(Buffer.from(text).subarray(0, o.end).toString().trimEnd().endsWith('}')).toBe(true);
        // Resuming after any entry gives the rest.
        if (out.length > 1) expect(scan(text, cuts, out[0]!.end, true).out.map((o) => o.value)).toEqual(entries.slice(1));
      }),
      { numRuns: 300 },
    );
  });

  it('reports entries that are not objects, and broken or foreign documents', () => {
    expect(scan('{"resourceType":"Bundle","entry":[1,"x",{"a":1},[2],null]}', [5, 17]).out.map((o) => o.value)).toEqual([
      'the entry is not a JSON object',
      'the entry is not a JSON object',
      { a: 1 },
      'the entry is not a JSON object',
      'the entry is not a JSON object',
    ]);
    expect(() => scan('[1,2]', [])).toThrow(/does not start with a JSON object/);
    expect(() => scan('{"resourceType":"Bundle","entry":[{"a":1}', [])).toThrow(/ends early/);
    expect(() => scan('   ', [])).toThrow(/no JSON/);
    expect(scan('{"entry":[],"resourceType":"Patient"}', []).resourceType).toBe('Patient');
  });
});
