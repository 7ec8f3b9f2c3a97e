// Claims from FHIR R4 Claim (Bundle or NDJSON) on a real SQLite file: mapped to exactly the claims CSV row (a CSV
// of the same claim reads as unchanged), read as the authors meant (NPI only from its system, references resolved
// within the file, cancelled/draft claims and pre-authorizations refused by name), every refusal naming its row,
// FHIR path and reason; a big NDJSON from a generator; dry run and resume.
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testData, type TestData } from '../consents/test-support';
import { runClaimImport, type ClaimImportControl } from './pipeline';
import { createClaimImportRun } from './runs';
import { setPayerAddress } from './payers';
import { NPI_SYSTEM } from './fhir';
import { claimRow, NPIS, PAYER, PAYER_ADDRESS, seedPatient, seedPaymentConsent, seedProvider, writeClaimsCsv } from './test-support';

let t: TestData;
const NOW = new Date('2026-12-04T12:00:00Z');

beforeEach(() => {
  t = testData('custodian-claims-fhir-');
  seedPaymentConsent(t.db, seedPatient(t.db, t.pseudonymizer, 'GH01', 'MRN-1'), PAYER);
  seedProvider(t.db, NPIS.verified, { verdict: 'verified', validFrom: '2025-01-01', validUntil: '2027-12-31' });
  setPayerAddress(t.db, PAYER, PAYER_ADDRESS);
});
afterEach(() => t.cleanup());

const control = (checkpoint: unknown = null, cancelAfter = Infinity): ClaimImportControl & { saved: unknown[] } => {
  const saved: unknown[] = [];
  return {
    checkpoint,
    saved,
    saveCheckpoint: (c) => saved.push(c),
    report: () => undefined,
    get cancelled() {
      return saved.length >= cancelAfter;
    },
  };
};
const newRun = (file: string, dryRun = false, format: 'csv' | 'fhir' = 'fhir') => createClaimImportRun(t.db, { filePath: file, fileName: path.basename(file), fileSize: fs.statSync(file).size, startedBy: 'tester', dryRun, format });
const run = (runId: number, ctl = control(), chunkRows = 2) => runClaimImport(t.db, runId, ctl, { dataDir: t.dir, now: () => NOW, chunkRows });
const stored = () => t.db.prepare('SELECT claim_id, facility, mrn, rendering_npi, payer_id, service_date, codes, amount_cents, verdict FROM claims ORDER BY id').all();
const write = (name: string, text: string) => {
  const file = path.join(t.dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const ndjson = (resources: unknown[]) => resources.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

/** A Claim with logical references (identifiers), as a payer-facing system sends it. */
const claim = (id: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Claim',
  id: `c-${id}`,
  identifier: [{ system: 'http://happyvalley.com/claim', value: id }],
  status: 'active',
  type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
  use: 'claim',
  patient: { identifier: { system: 'urn:custodian:facility:GH01', value: 'MRN-1' } },
  created: '2026-06-02',
  insurer: { identifier: { system: 'urn:custodian:payer', value: PAYER } },
  provider: { identifier: { system: NPI_SYSTEM, value: NPIS.verified } },
  priority: { coding: [{ code: 'normal' }] },
  diagnosis: [{ sequence: 1, diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.9' }] } }],
  insurance: [{ sequence: 1, focal: true, coverage: { display: 'ACME plan' } }],
  item: [{ sequence: 1, productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213' }] }, servicedDate: '2026-06-01', net: { value: 125, currency: 'USD' } }],
  total: { value: 125, currency: 'USD' },
  ...extra,
});

describe('FHIR R4 claims import', () => {
  it('maps a Bundle (Patient, Practitioner and insurer as entries) to the claims CSV row: the same claim as CSV is unchanged', async () => {
    const file = write(
      'claims.json',
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'collection',
        entry: [
          { fullUrl: 'urn:uuid:pat-1', resource: { resourceType: 'Patient', identifier: [{ use: 'usual', system: 'urn:custodian:facility:GH01', value: 'MRN-1' }] } },
          { fullUrl: 'urn:uuid:c-1', resource: claim('CLM-F1', { patient: { reference: 'urn:uuid:pat-1' }, insurer: { reference: 'Organization/acme' }, careTeam: [{ sequence: 1, provider: { reference: 'Practitioner/dr' }, role: { coding: [{ code: 'rendering' }] } }], provider: { reference: 'Organization/acme' } }) },
          { resource: { resourceType: 'Practitioner', id: 'dr', identifier: [{ system: 'http://www.acme.org/practitioners', value: '23' }, { system: NPI_SYSTEM, value: NPIS.verified }] } },
          { resource: { resourceType: 'Organization', id: 'acme', identifier: [{ system: 'urn:custodian:payer', value: PAYER }] } },
        ],
      }),
    );
    const result = await run(newRun(file));
    expect(result).toMatchObject({ outcome: 'succeeded', rowsRead: 4, passed: 1, failed: 0, rejected: 0, duplicate: 0 });
    expect(stored()).toEqual([{ claim_id: 'CLM-F1', facility: 'GH01', mrn: 'MRN-1', rendering_npi: NPIS.verified, payer_id: PAYER, service_date: '2026-06-01', codes: expect.any(String), amount_cents: 12500, verdict: 'pass' }]);
    // The CSV row the mapping stands for: importing it finds the same claim, unchanged (same content hash).
    const csv = writeClaimsCsv(t.dir, 'same.csv', [claimRow({ claim_id: 'CLM-F1', codes: 'ICD10:E11.9;CPT:99213' })]);
    const again = await run(newRun(csv, false, 'csv'));
    expect(again).toMatchObject({ rowsRead: 1, duplicate: 1, rejected: 0 });
  });

  it('refuses each hostile, inactive or unreadable resource by NDJSON line, FHIR path and reason', async () => {
    const lines = [
      claim('OK-1'), //                                                                                          1 ok
      claim('X-2', { status: 'cancelled' }), //                                                                   2
      claim('X-3', { use: 'preauthorization' }), //                                                               3
      claim('X-4', { identifier: [] }), //                                                                        4
      claim('X-5', { patient: { reference: 'Patient/ghost' } }), //                                               5 dangling
      claim('X-6', { provider: { identifier: { system: 'http://www.acme.org/practitioners', value: NPIS.verified } } }), // 6 not the NPI system
      claim('X-7', { insurer: undefined }), //                                                                    7
      claim('X-8', { total: { value: 125, currency: 'EUR' } }), //                                               8
      claim('X-9', { total: { value: 125.005, currency: 'USD' } }), //                                           9
      claim('X-10', { item: [{ sequence: 1, productOrService: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/ex-USCLS', code: '1200' }] }, servicedDate: '2026-06-01' }] }), // 10
      claim('X-11', { diagnosis: [{ sequence: 1, diagnosisReference: { reference: 'Condition/1' } }] }), //         11
      { resourceType: 'Patient', id: 'p' }, //                                                                   12 context: read, no row
      { resourceType: 'Observation', id: 'o' }, //                                                                13
      'not json', //                                                                                             14
      claim('X-15', { patient: { reference: 'Organization/acme' } }), //                                          15 wrong type
      { resourceType: 'Organization', id: 'acme', identifier: [{ value: PAYER }] }, //                             16 context
      claim('X-17', { careTeam: [{ sequence: 1, provider: { reference: 'Practitioner/none' }, role: { coding: [{ code: 'primary' }] } }] }), // 17
      claim('X-18', { item: [{ sequence: 1, productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213' }] }, servicedDate: '06/01/2026' }] }), // 18
    ];
    const file = write('hostile.ndjson', ndjson(lines));
    const result = await run(newRun(file), control(), 4);
    const reasons = Object.fromEntries(result.sampleRejects.map((r) => [r.row, r.reason]));
    expect(reasons).toEqual({
      2: 'row 2: Claim.status: is cancelled: only an active claim is imported (a cancelled, draft or entered-in-error claim has no claims CSV row)',
      3: 'row 3: Claim.use: is preauthorization: a preauthorization is not a claim for services rendered',
      4: 'row 4: Claim.identifier: is missing: a claim carries its claim number as an identifier (the resource id is not one)',
      5: 'row 5: Claim.patient.reference: Patient/ghost is not in this file (references are resolved within the file)',
      6: `row 6: Claim.provider.identifier.system: is http://www.acme.org/practitioners, not the NPI system ${NPI_SYSTEM}`,
      7: 'row 7: Claim.insurer: is missing: a claim names its payer',
      8: 'row 8: Claim.total.currency: is EUR; claims are in USD',
      9: 'row 9: Claim.total.value: must be an amount in dollars with at most two decimals',
      10: 'row 10: Claim.item[0].productOrService: has no CPT or HCPCS coding',
      11: 'row 11: Claim.diagnosis[0]: gives no diagnosisCodeableConcept (a diagnosisReference is not read)',
      13: 'row 13: resourceType: is Observation; a claims file holds Claim resources (and the Patient, Practitioner, PractitionerRole, Organization, Coverage they refer to)',
      14: expect.stringMatching(/^row 14: \(row\): is not valid JSON/),
      15: 'row 15: Claim.patient.reference: Organization/acme is a Organization, not a Patient',
      17: 'row 17: Claim.careTeam[0].provider.reference: Practitioner/none is not in this file (references are resolved within the file)',
      18: 'row 18: Claim.item[0].servicedDate: must be a date as YYYY-MM-DD (or a date-time)',
    });
    expect(result).toMatchObject({ rowsRead: 18, passed: 1, rejected: 15 });
    expect(stored()).toEqual([expect.objectContaining({ claim_id: 'OK-1' })]);
    // The rejects file keeps each refused resource beside its row and reason (NDJSON, as the consent import's).
    const rejects = fs.readFileSync(result.rejectsPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { row: number; reason: string; original: unknown });
    expect(rejects.map((r) => r.row)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 17, 18]);
    expect(rejects[0]!.original).toMatchObject({ resourceType: 'Claim', id: 'c-X-2' });
  });

  it('streams a big NDJSON written by a generator', async () => {
    const file = path.join(t.dir, 'big.ndjson');
    const out = fs.createWriteStream(file);
    const n = 2_000;
    function* resources() {
      for (let i = 0; i < n; i++) yield claim(`BIG-${i}`, { total: { value: 100 + (i % 50), currency: 'USD' } });
    }
    for (const r of resources()) if (!out.write(`${JSON.stringify(r)}\n`)) await once(out, 'drain');
    out.end();
    await once(out, 'finish');
    const result = await run(newRun(file), control(), 500);
    expect(result).toMatchObject({ outcome: 'succeeded', rowsRead: n, rejected: 0, duplicate: 0 });
    expect(result.passed + result.failed).toBe(n);
    expect((t.db.prepare('SELECT count(*) AS n FROM claims').get() as { n: number }).n).toBe(n);
  });

  it('a dry run stores nothing and predicts the real run; a cancelled run resumes to the same claims', async () => {
    const file = write('resume.ndjson', ndjson([claim('R-1'), claim('R-2', { status: 'draft' }), claim('R-3', { total: { value: 90, currency: 'USD' } }), claim('R-1'), claim('R-5', { patient: { reference: '#p' }, contained: [{ resourceType: 'Patient', id: 'p', identifier: [{ system: 'urn:custodian:facility:GH01', value: 'MRN-1' }] }] })]));
    const dry = await run(newRun(file, true));
    expect(stored()).toEqual([]);
    const runId = newRun(file);
    const first = control(null, 1);
    const partial = await run(runId, first);
    expect(partial).toMatchObject({ outcome: 'cancelled', rowsRead: 2 });
    const rest = await run(runId, control(first.saved.at(-1)));
    const pick = (r: typeof rest) => ({ rowsRead: r.rowsRead, passed: r.passed, failed: r.failed, rejected: r.rejected, duplicate: r.duplicate });
    expect(pick(rest)).toEqual(pick(dry));
    expect(pick(rest)).toMatchObject({ rowsRead: 5, rejected: 1, duplicate: 1 });
    expect(stored().map((c) => (c as { claim_id: string }).claim_id)).toEqual(['R-1', 'R-3', 'R-5']);
  });
});
