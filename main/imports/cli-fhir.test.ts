// `custodian import providers|claims FILE` with FHIR R4 files, as real processes (CUSTODIAN_CHAIN=none): the format
// is detected from the file (or told with --format) and the run's summary names each refused resource by row,
// FHIR path and reason; an unknown --format is refused before anything is uploaded as a run.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../consents/test-support';
import { CLI_PASSWORD, cliSetUp, runCli } from './cli-process-test-support';

let dir: string;
let dataDir: string;
const custodian = (args: string[]) => runCli(dataDir, args, { user: 'admin' });
const NPI_SYSTEM = 'http://hl7.org/fhir/sid/us-npi';

beforeAll(async () => {
  dir = tempDir('custodian-fhir-cli-');
  dataDir = path.join(dir, 'data');
  await cliSetUp(dataDir);
}, 180_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('custodian import providers|claims with FHIR R4', () => {
  it('imports a roster NDJSON (detected) and names the dangling role by line and path', async () => {
    const file = path.join(dir, 'roster.ndjson');
    const lines = [
      { resourceType: 'Practitioner', id: 'a', identifier: [{ system: NPI_SYSTEM, value: '1234567893' }], name: [{ family: 'Careful', given: ['Adam'], prefix: ['Dr'] }] },
      { resourceType: 'PractitionerRole', id: 'ra', practitioner: { reference: 'Practitioner/a' }, organization: { display: 'General Hospital' }, specialty: [{ text: 'Cardiology' }] },
      { resourceType: 'PractitionerRole', id: 'rx', practitioner: { reference: 'Practitioner/x' } },
    ];
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r = await custodian(['import', 'providers', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/3 row\(s\) read/);
    expect(r.stdout).toContain('row 3 rejected: PractitionerRole.practitioner.reference: Practitioner/x is not in this file (references are resolved within the file)');
  }, 180_000);

  it('imports claims told --format fhir, and refuses an unknown format by name', async () => {
    const file = path.join(dir, 'claims.data');
    const claim = {
      resourceType: 'Claim',
      identifier: [{ value: 'CLM-CLI-1' }],
      status: 'cancelled',
      use: 'claim',
      patient: { identifier: { system: 'urn:custodian:facility:GH01', value: 'MRN-1' } },
    };
    fs.writeFileSync(file, `${JSON.stringify(claim)}\n`);
    const bad = await custodian(['import', 'claims', file, '--format', 'xml']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\[VALIDATION_FAILED\] --format must be csv or fhir, got xml/);
    const r = await custodian(['import', 'claims', file, '--format', 'fhir']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 rows, 0 pass \(queued for the chain\), 0 fail, 0 unchanged, 1 rejected \(rows and reasons in .*claims-run-\d+-rejects\.ndjson\)/);
  }, 180_000);
});
