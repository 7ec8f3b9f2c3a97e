// FHIR imports end to end: NDJSON and Bundle (streamed across reads), each bad input refused with a reason or a
// clear error, resume from a checkpoint, and the round trip: import FHIR, export FHIR, re-import = no change.
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import { FHIR_SYSTEMS } from '../consents/codes';
import { writeConsentsNdjson } from '../consents/export-job';
import { consentsChecksum, fhirConsent, recipient, NPI, testData, type TestData } from '../consents/test-support';
import { importFile, newRun, writeFile } from './test-support';

let t: TestData;
beforeEach(() => {
  t = testData('custodian-fhir-');
});
afterEach(() => t.cleanup());

const count = (table: string) => (t.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const rejectLines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { row: number; reason: string; original: unknown });

function many(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) =>
    fhirConsent(
      { id: `c${i}`, contained: [{ resourceType: 'Patient', id: 'p', identifier: [{ system: 'urn:oid:1.2.3', value: `MRN${i % 37}` }], name: [{ text: `Patient ${i % 37}` }] }] },
      { securityLabel: [{ system: FHIR_SYSTEMS.category, code: ['general', 'HIV'][i % 2] }], ...(i % 5 === 0 ? { provision: [{ type: 'deny', purpose: [{ code: 'TREAT' }], securityLabel: [{ system: FHIR_SYSTEMS.actCode, code: 'GDIS' }] }] } : {}) },
    ),
  );
}

async function fails(name: string, content: string | Buffer, code: string): Promise<AppError> {
  try {
    await importFile(t, writeFile(t, name, content), { format: 'fhir' });
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(code);
    return err as AppError;
  }
  throw new Error(`expected ${code}`);
}

describe('NDJSON', () => {
  it('imports resources line by line and rejects bad lines with their line number and reason', async () => {
    const good = many(3).map((r) => JSON.stringify(r));
    const lines = Buffer.concat([
      Buffer.from(`\uFEFF${good[0]}\r\n\r\n{not json\n${JSON.stringify({ resourceType: 'Patient', id: 'x' })}\n`),
      Buffer.from('{"resourceType":"Consent","id":"latin"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`}\n${good[1]}\n${JSON.stringify(fhirConsent({ id: 'bad-npi' }, { actor: [recipient({ system: FHIR_SYSTEMS.npi, value: '1234567890' })] }))}\n${good[2]}`),
    ]);
    const summary = await importFile(t, writeFile(t, 'in.ndjson', lines));
    expect(summary).toMatchObject({ rows_read: 7, accepted: 3, rejected: 4 });
    expect(rejectLines(summary.rejectsPath).map((r) => [r.row, r.reason])).toEqual([
      [3, expect.stringMatching(/^resource: is not valid JSON/)],
      [4, 'resource: is a Patient, not a Consent'],
      [5, 'resource: contains bytes that are not valid UTF-8'],
      [7, expect.stringMatching(/^resource: provision 0 \(npi:1234567890\/TREAT\/general\): grantee: NPI check digit is wrong/)],
    ]);
    expect(rejectLines(summary.rejectsPath)[1]!.original).toEqual({ resourceType: 'Patient', id: 'x' });
    expect(count('consents')).toBe(4); // c0 has a nested deny: two rows
  });

  it('resumes from a checkpoint to exactly a clean run', async () => {
    const file = writeFile(t, 'many.ndjson', `${many(60).map((r) => JSON.stringify(r)).join('\n')}\n`);
    const clean = testData('custodian-fhir-clean-');
    try {
      await importFile(clean, file, { chunkRows: 7 });
      let saved: unknown = null;
      let saves = 0;
      const runId = newRun(t, file);
      await expect(
        importFile(t, file, { runId, chunkRows: 7, hooks: { saveCheckpoint: (cp) => { if (++saves === 4) throw new Error('crash'); saved = cp; } } }),
      ).rejects.toThrow('crash');
      await importFile(t, file, { runId, chunkRows: 7, hooks: { checkpoint: saved } });
      expect(consentsChecksum(t.db)).toEqual(consentsChecksum(clean.db));
    } finally {
      clean.cleanup();
    }
  });
});

describe('Bundle', () => {
  function bundle(entries: unknown[]): string {
    return JSON.stringify({ resourceType: 'Bundle', type: 'collection', meta: { tag: [{ code: '{[}]"' }] }, entry: entries }, null, 2);
  }

  it('streams entries across reads, rejecting entries that are not Consents or not objects', async () => {
    const entries = [...many(600).map((resource) => ({ fullUrl: 'urn:uuid:x', resource })), { resource: { resourceType: 'Patient', id: 'p1' } }, 42, { resource: null }];
    const file = writeFile(t, 'bundle.json', bundle(entries));
    expect(fs.statSync(file).size).toBeGreaterThan(1 << 20); // more than one read
    const summary = await importFile(t, file, { chunkRows: 50 });
    expect(summary).toMatchObject({ rows_read: 603, accepted: 600, rejected: 3 });
    expect(rejectLines(summary.rejectsPath).map((r) => [r.row, r.reason])).toEqual([
      [601, 'resource: is a Patient, not a Consent'],
      [602, 'resource: the entry is not a JSON object'],
      [603, 'resource: is not a FHIR resource (not a JSON object)'],
    ]);
    // Resume from a mid-file checkpoint ends with the same rows.
    const sum = consentsChecksum(t.db);
    const again = testData('custodian-fhir-b-');
    try {
      let saved: unknown = null;
      let saves = 0;
      const runId = newRun(again, file);
      await expect(importFile(again, file, { runId, chunkRows: 50, hooks: { saveCheckpoint: (cp) => { if (++saves === 5) throw new Error('crash'); saved = cp; } } })).rejects.toThrow();
      await importFile(again, file, { runId, chunkRows: 50, hooks: { checkpoint: saved } });
      expect(consentsChecksum(again.db)).toEqual(sum);
    } finally {
      again.cleanup();
    }
  });

  it('a single pretty-printed resource is read whole; a non-Consent one is a rejected row', async () => {
    const one = await importFile(t, writeFile(t, 'one.json', JSON.stringify(fhirConsent(), null, 2)));
    expect(one).toMatchObject({ rows_read: 1, accepted: 1 });
    const patient = await importFile(t, writeFile(t, 'patient.json', JSON.stringify({ resourceType: 'Patient', id: 'p', name: [{ text: 'x' }] }, null, 2)));
    expect(patient).toMatchObject({ rows_read: 1, rejected: 1, sampleRejects: [{ row: 1, reason: 'resource: is a Patient, not a Consent' }] });
  });

  it.each([
    ['not JSON at all', 'hello, this is a CSV\n', 'IMPORT_NOT_JSON', /does not start with a JSON object/],
    ['a JSON array', '[{"resourceType":"Consent"}]', 'IMPORT_NOT_JSON', /does not start with a JSON object/],
    ['a truncated bundle', `{\n "resourceType": "Bundle",\n "entry": [\n  {"resource": {"resourceType": "Consent"`, 'IMPORT_NOT_JSON', /ends early/],
    ['an empty file', '', 'IMPORT_FILE_EMPTY', /empty/],
    ['whitespace only', '  \n\n', 'IMPORT_FILE_EMPTY', /empty/],
  ])('%s stops with %s', async (_name, content, code, message) => {
    expect((await fails('bad.json', content, code)).message).toMatch(message);
  });

  it('a large JSON document that is not a Bundle stops with IMPORT_NOT_FHIR', async () => {
    const big = JSON.stringify({ resourceType: 'Patient', padding: 'x'.repeat(9 << 20), entry: [] }, null, 1);
    expect((await fails('big.json', big, 'IMPORT_NOT_FHIR')).message).toMatch(/is a FHIR Patient, not a Bundle/);
  });
});

describe('round trip', () => {
  it('import FHIR, export FHIR, re-import: no change', async () => {
    const resources = [
      ...many(20),
      fhirConsent({ id: 'gone', status: 'inactive' }),
      fhirConsent({ id: 'oops', status: 'entered-in-error' }, { actor: [recipient({ system: FHIR_SYSTEMS.npi, value: NPI.b })] }),
      fhirConsent({ id: 'no', status: 'rejected' }, { actor: [recipient({ system: 'urn:oid:9.9', value: 'ORG 1' })] }),
      fhirConsent({ id: undefined }, { actor: [recipient({ system: FHIR_SYSTEMS.npi, value: NPI.c })], period: { start: '2024-03-01T08:30:00-05:00', end: '2024-09-30T17:00:00Z' } }),
    ];
    const first = await importFile(t, writeFile(t, 'src.ndjson', resources.map((r) => JSON.stringify(r)).join('\n')));
    expect(first.rejected).toBe(1); // the org id with a space
    const before = { sum: consentsChecksum(t.db), outbox: count('outbox'), history: count('consent_history'), patients: count('patients') };

    const exportAll = async (name: string) => {
      const file = `${t.dir}/exports/${name}.ndjson`;
      return { path: file, ...(await writeConsentsNdjson(t.db, { filter: {} }, file, Math.floor(Date.now() / 1000))) };
    };
    const exported = await exportAll('first');
    expect(exported.count).toBe(before.sum.rows);
    expect(exported.path.startsWith(t.dir)).toBe(true);

    const second = await importFile(t, exported.path);
    expect(second).toMatchObject({ rows_read: exported.count, accepted: 0, updated: 0, rejected: 0, duplicate: exported.count });
    expect({ sum: consentsChecksum(t.db), outbox: count('outbox'), history: count('consent_history'), patients: count('patients') }).toEqual(before);

    // The export of the re-imported state is the same file content.
    const again = await exportAll('again');
    expect(fs.readFileSync(again.path, 'utf8')).toBe(fs.readFileSync(exported.path, 'utf8'));
  });
});
