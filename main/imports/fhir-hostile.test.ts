// Hostile FHIR inputs (issue #14): NDJSON whose first line is longer than the layout sniff's first read, and
// resources nested deep enough to overflow a recursive walk: each is read or refused per resource, never the file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fhirConsent, testData, type TestData } from '../consents/test-support';
import { detectFhirLayout } from './fhir-source';
import { importFile, readRejects, writeFile } from './test-support';

let t: TestData;
beforeEach(() => {
  t = testData('custodian-fhir-hostile-');
});
afterEach(() => t.cleanup());

const count = (table: string) => (t.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

/** A valid Consent padded with a narrative of `bytes` characters (FHIR allows any size of text.div). */
function padded(id: string, bytes: number): string {
  return JSON.stringify(fhirConsent({ id, text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(bytes)}</div>` } }));
}

describe('NDJSON of any line length up to the per-entry limit', () => {
  it('a first line longer than 64 KB is still NDJSON, and every line after it imports', async () => {
    const file = writeFile(t, 'long.ndjson', `${padded('c0', 200_000)}\n${padded('c1', 10)}\n${padded('c2', 10)}\n`);
    expect(await detectFhirLayout(file)).toBe('ndjson');
    const summary = await importFile(t, file, { format: 'fhir' });
    expect(summary).toMatchObject({ rows_read: 3, accepted: 3, rejected: 0 });
  });

  it('a first line that is not valid JSON does not turn the file into a "Bundle": the line is rejected, the rest imports', async () => {
    const file = writeFile(t, 'bad-first.ndjson', `{"resourceType":"Consent", oops}\n${padded('c1', 10)}\n${padded('c2', 10)}\n`);
    expect(await detectFhirLayout(file)).toBe('ndjson');
    const summary = await importFile(t, file, { format: 'fhir' });
    expect(summary).toMatchObject({ rows_read: 3, accepted: 2, rejected: 1 });
  });
});

describe('nesting depth is limited per resource', () => {
  // Built as text: JSON.stringify itself recurses and would overflow first.
  const deepJson = (depth: number) => `${'{"a":['.repeat(depth)}"x"${']}'.repeat(depth)}`;
  const withDeep = (depth: number) => padded('deep', 10).replace(/^\{/, `{"extension":[{"url":"urn:x","valueString":"y","deep":${deepJson(depth)}}],`);

  it('a resource nested 50,000 levels deep is refused with a named reason; the other resources import', async () => {
    const hostile = withDeep(50_000);
    const file = writeFile(t, 'deep.ndjson', `${padded('c0', 10)}\n${hostile}\n${padded('c2', 10)}\n`);
    const summary = await importFile(t, file, { format: 'fhir' });
    expect(summary).toMatchObject({ rows_read: 3, accepted: 2, rejected: 1 });
    const reasons = readRejects(summary.rejectsPath);
    expect(JSON.stringify(reasons)).toMatch(/nested deeper than 64 levels/);
    expect(count('consents')).toBe(2);
  });

  it('the same inside a Bundle entry', async () => {
    const entries = [padded('c0', 10), withDeep(50_000), padded('c2', 10)].map((r) => `{"resource":${r}}`);
    const file = writeFile(t, 'deep.json', `{"resourceType":"Bundle","type":"collection","entry":[${entries.join(',')}]}`);
    const summary = await importFile(t, file, { format: 'fhir' });
    expect(summary).toMatchObject({ rows_read: 3, accepted: 2, rejected: 1 });
  });
});
