// Provider rosters from FHIR R4 (Practitioner, PractitionerRole) against a real SQLite file: read as the authors
// meant (the NPI only from its identifier system, references resolved within the file, inactive and ended roles
// refused by name), every refusal naming its row (entry / line), FHIR path and reason; a big NDJSON streamed from
// a generator; dry run and resume.
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../db/connection';
import type { ImportHooks } from '../imports/adapter';
import { NPI_SYSTEM } from './roster-fhir';
import { createRosterRun, runRosterImport, type RosterSummary } from './roster-import';
import { parseRejectReason, rosterRunDetail } from './roster-runs';
import { openTestDb, tempDir, TEST_NPIS } from './test-support';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = tempDir();
  db = openTestDb(dir);
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const [A, B, C, D, E] = TEST_NPIS;
const npi = (value: string) => ({ system: NPI_SYSTEM, value });
const practitioner = (id: string, value: string | null, name: Record<string, unknown> = { family: `Doe${id}`, given: ['Jo'], prefix: ['Dr'] }, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Practitioner',
  id,
  ...(value ? { identifier: [{ system: 'http://www.acme.org/practitioners', value: `acme-${id}` }, npi(value)] } : {}),
  active: true,
  name: [name],
  ...extra,
});
const role = (id: string, practitionerRef: unknown, extra: Record<string, unknown> = {}) => ({
  resourceType: 'PractitionerRole',
  id,
  active: true,
  practitioner: practitionerRef,
  organization: { reference: 'Organization/gh' },
  specialty: [{ coding: [{ system: 'http://snomed.info/sct', code: '394579002', display: 'Cardiology' }] }],
  period: { start: '2012-01-01' },
  ...extra,
});
const organization = { resourceType: 'Organization', id: 'gh', name: 'General Hospital' };

function hooks(checkpoint: unknown = null, cancelAfterChunks = Infinity): ImportHooks & { saved: unknown } {
  let chunks = 0;
  const h = {
    checkpoint,
    saved: null as unknown,
    saveCheckpoint(cp: unknown) {
      h.saved = cp;
      chunks++;
    },
    report() {},
    get cancelled() {
      return chunks >= cancelAfterChunks;
    },
  };
  return h;
}

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}
const ndjson = (resources: unknown[]) => resources.map((r) => JSON.stringify(r)).join('\n') + '\n';
const bundle = (entries: { fullUrl?: string; resource: unknown }[]) => JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: entries }, null, 2);

async function importFile(file: string, opts: { dryRun?: boolean; chunkRows?: number } = {}): Promise<RosterSummary> {
  const run = createRosterRun(db, file, 'tester', opts.dryRun ?? false, 'fhir');
  return runRosterImport(db, run.id, hooks(), { domain: null, dataDir: dir, chunkRows: opts.chunkRows ?? 2 });
}
const providers = () => db.prepare('SELECT npi, name, organization, specialty FROM providers ORDER BY npi').all();

describe('FHIR R4 roster import', () => {
  it('maps a Bundle (fullUrl and Type/id references, a role before its Practitioner) to the CSV roster rows', async () => {
    const file = write(
      'roster.json',
      bundle([
        { fullUrl: 'urn:uuid:0f1e', resource: { resourceType: 'Organization', name: 'Northside Clinic' } },
        { fullUrl: 'urn:uuid:role-a', resource: role('ra', { reference: 'urn:uuid:prac-a' }, { organization: { reference: 'urn:uuid:0f1e' } }) },
        { fullUrl: 'urn:uuid:prac-a', resource: practitioner('a', A) },
        { fullUrl: 'https://fhir.example.org/Organization/gh', resource: organization },
        { resource: practitioner('b', B, { text: 'Dr Bea Moss, MD' }) },
        { resource: role('rb', { reference: 'Practitioner/b/_history/2', display: 'ignored' }, { specialty: [{ text: 'Pediatrics' }, { coding: [{ code: 'X1' }] }] }) },
        { resource: practitioner('c', C, { use: 'old', family: 'Former' }, { name: [{ use: 'old', family: 'Former' }, { use: 'official', family: 'Current', given: ['Cy'], suffix: ['PhD'] }] }) },
        { resource: role('rd', { identifier: npi(D) }, { organization: { display: 'Eastside Lab' }, specialty: undefined, period: { start: '2020-01', end: '2999-12-31' } }) },
        { resource: practitioner('d', D) },
      ]),
    );
    const s = await importFile(file);
    expect(s).toMatchObject({ outcome: 'succeeded', rows_read: 9, providers_added: 4, rejected: 0, duplicate: 0 });
    expect(providers()).toEqual(
      [
        { npi: A, name: 'Dr Jo Doea', organization: 'Northside Clinic', specialty: 'Cardiology' },
        { npi: B, name: 'Dr Bea Moss, MD', organization: 'General Hospital', specialty: 'Pediatrics; X1' },
        { npi: C, name: 'Cy Current, PhD', organization: null, specialty: null },
        { npi: D, name: 'Dr Jo Doed', organization: 'Eastside Lab', specialty: null },
      ].sort((x, y) => x.npi.localeCompare(y.npi)),
    );
    // The same file again adds nothing: each role reads as the provider already in the directory.
    const again = await importFile(file);
    expect(again).toMatchObject({ providers_added: 0, providers_updated: 0, duplicate: 4, rejected: 0 });
  });

  it('refuses each hostile or inactive resource by NDJSON line, FHIR path and reason, and stores the rest', async () => {
    const lines = [
      practitioner('ok', A), //                                                                        1 ok, its role (2) carries it
      role('r-ok', { reference: 'Practitioner/ok' }), //                                               2 ok
      { resourceType: 'Practitioner', id: 'other-system', identifier: [{ system: 'http://www.acme.org/practitioners', value: B }], name: [{ family: 'X' }] }, // 3
      practitioner('bad-digit', '1234567890'), //                                                     4
      practitioner('gone', C, undefined, { active: false }), //                                        5
      role('r-gone', { reference: 'Practitioner/gone' }), //                                           6 its practitioner is refused
      role('r-ghost', { reference: 'Practitioner/ghost' }), //                                         7 dangling
      role('r-type', { reference: 'Organization/gh' }), //                                             8 wrong type
      practitioner('e', E), //                                                                         9 carried by 10, refused 11-13
      role('r-e', { reference: 'Practitioner/e' }), //                                                 10 ok
      role('r-e-off', { reference: 'Practitioner/e' }, { active: false }), //                          11
      role('r-e-ended', { reference: 'Practitioner/e' }, { period: { start: '2010-01-01', end: '2011-06-30' } }), // 12
      role('r-e-elsewhere', { reference: 'Practitioner/e' }, { organization: { display: 'Elsewhere' } }), // 13 conflicts with 10
      role('r-org-ghost', { reference: 'Practitioner/e' }, { organization: { reference: 'Organization/nowhere' } }), // 14
      { resourceType: 'Patient', id: 'p1' }, //                                                        15
      'not json', //                                                                                   16
      practitioner('dup', D), //                                                                       17 two Practitioner/dup
      practitioner('dup', D, { family: 'Twin' }), //                                                  18
      role('r-dup', { reference: 'Practitioner/dup' }), //                                             19 ambiguous
      organization, //                                                                                 20
      role('r-contained', { reference: '#p' }), //                                                     21
      role('r-none', undefined), //                                                                    22
      role('r-typed', { reference: 'Practitioner/ok', type: 'Patient' }), //                            23 Reference.type says otherwise
    ];
    const file = write('hostile.ndjson', lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
    const s = await importFile(file, { chunkRows: 3 });
    const reasons = Object.fromEntries(s.sampleRejects.map((r) => [r.row, r.reason]));
    expect(reasons).toEqual({
      3: `Practitioner.identifier: holds no NPI (an identifier with system ${NPI_SYSTEM}); the identifier with system http://www.acme.org/practitioners is not an NPI`,
      4: 'Practitioner.identifier[1].value: NPI check digit is wrong',
      5: 'Practitioner.active: is false: the roster holds practising providers, and the CSV roster has no inactive row to map it to',
      6: expect.stringMatching(/^PractitionerRole\.practitioner: is the Practitioner of row 5, which is refused \(Practitioner\.active is false/),
      7: 'PractitionerRole.practitioner.reference: Practitioner/ghost is not in this file (references are resolved within the file)',
      8: 'PractitionerRole.practitioner.reference: Organization/gh is a Organization, not a Practitioner',
      11: 'PractitionerRole.active: is false: the roster holds current roles, and the CSV roster has no inactive row to map it to',
      12: 'PractitionerRole.period.end: is 2011-06-30: the role has ended, and the roster holds current roles',
      13: 'PractitionerRole.organization: differs from row 10 for the same NPI; the earlier row was kept',
      14: 'PractitionerRole.organization.reference: Organization/nowhere is not in this file (references are resolved within the file)',
      15: 'resourceType: is Patient; a roster holds Practitioner, PractitionerRole, Organization',
      16: expect.stringMatching(/^\(row\): is not valid JSON/),
      19: 'PractitionerRole.practitioner.reference: Practitioner/dup names more than one Practitioner of the file',
      21: "PractitionerRole.practitioner.reference: #p names a contained resource; a roster's Practitioner must be an entry of the file",
      22: expect.stringMatching(/^PractitionerRole\.practitioner: is missing/),
      23: 'PractitionerRole.practitioner.type: is Patient, not Practitioner',
    });
    expect(s).toMatchObject({ rows_read: 23, rejected: 16 });
    // Stored: the good role's provider (1+2) and E through its first role (9+10). The two Practitioner/dup rows
    // are carried by their role (19), which is refused: a practitioner stored through its roles has none stored.
    expect(providers()).toEqual([
      { npi: A, name: 'Dr Jo Doeok', organization: 'General Hospital', specialty: 'Cardiology' },
      { npi: E, name: 'Dr Jo Doee', organization: 'General Hospital', specialty: 'Cardiology' },
    ]);
    // The run's rejects file reads back with the FHIR paths as fields (what the console and CLI show).
    const run = await rosterRunDetail(db, s.runId, 50);
    expect(run.rejects.find((r) => r.row === 12)).toEqual({ row: 12, line: 12, problems: [{ field: 'PractitionerRole.period.end', reason: 'is 2011-06-30: the role has ended, and the roster holds current roles' }] });
    expect(fs.readFileSync(s.rejectsPath, 'utf8').split('\r\n')[0]).toBe('resource,reject_row,reject_line,reject_reason');
  });

  it('names the second Practitioner/dup row as a conflict, like the CSV roster', async () => {
    const file = write('dup.ndjson', ndjson([practitioner('dup', D), practitioner('dup', D, { family: 'Twin' })]));
    const s = await importFile(file);
    expect(s.sampleRejects).toEqual([{ row: 2, reason: 'Practitioner.name: differs from row 1 for the same NPI; the earlier row was kept' }]);
  });

  it('streams a big NDJSON written by a generator, roles after their practitioners in later chunks', async () => {
    const file = path.join(dir, 'big.ndjson');
    const out = fs.createWriteStream(file);
    const n = 3_000;
    // Valid NPIs: 9 digits + the Luhn check digit over 80840 + those digits.
    const check = (nine: string) => {
      const digits = `80840${nine}`.split('').map(Number);
      let sum = 0;
      for (let i = digits.length - 1, dbl = true; i >= 0; i--, dbl = !dbl) {
        const d = dbl ? digits[i]! * 2 : digits[i]!;
        sum += d > 9 ? d - 9 : d;
      }
      return `${nine}${(10 - (sum % 10)) % 10}`;
    };
    function* resources() {
      yield organization;
      for (let i = 0; i < n; i++) yield practitioner(`p${i}`, check(String(100_000_000 + i)));
      for (let i = 0; i < n; i += 2) yield role(`r${i}`, { reference: `Practitioner/p${i}` });
    }
    for (const r of resources()) if (!out.write(`${JSON.stringify(r)}\n`)) await once(out, 'drain');
    out.end();
    await once(out, 'finish');
    const s = await importFile(file, { chunkRows: 1_000 });
    expect(s).toMatchObject({ outcome: 'succeeded', rows_read: 1 + n + n / 2, providers_added: n, rejected: 0 });
    const withOrg = db.prepare('SELECT count(*) AS n FROM providers WHERE organization IS NOT NULL').get() as { n: number };
    expect(withOrg.n).toBe(n / 2);
  });

  it('a dry run stores nothing and predicts the counts of the real run', async () => {
    const file = write('dry.ndjson', ndjson([organization, practitioner('a', A), role('ra', { reference: 'Practitioner/a' }), practitioner('b', B), role('rx', { reference: 'Practitioner/x' })]));
    const dry = await importFile(file, { dryRun: true });
    expect(providers()).toEqual([]);
    const real = await importFile(file);
    const pick = (s: RosterSummary) => ({ rows_read: s.rows_read, providers_added: s.providers_added, duplicate: s.duplicate, rejected: s.rejected });
    expect(pick(dry)).toEqual(pick(real));
    expect(pick(real)).toEqual({ rows_read: 5, providers_added: 2, duplicate: 0, rejected: 1 });
  });

  it('resumes a cancelled run: a role in a later chunk still resolves its Practitioner from an earlier one', async () => {
    const resources = [organization, practitioner('a', A), practitioner('b', B), practitioner('c', C), role('ra', { reference: 'Practitioner/a' }), role('rc', { reference: 'Practitioner/c' }), role('rz', { reference: 'Practitioner/z' })];
    const file = write('resume.ndjson', ndjson(resources));
    const run = createRosterRun(db, file, 'tester', false, 'fhir');
    const first = hooks(null, 1);
    const partial = await runRosterImport(db, run.id, first, { domain: null, dataDir: dir, chunkRows: 2 });
    expect(partial.outcome).toBe('cancelled');
    expect(partial.rows_read).toBe(2);
    const rest = await runRosterImport(db, run.id, hooks(first.saved), { domain: null, dataDir: dir, chunkRows: 2 });
    expect(rest).toMatchObject({ outcome: 'succeeded', rows_read: 7, providers_added: 3, rejected: 1 });
    expect(providers()).toEqual([
      { npi: C, name: 'Dr Jo Doec', organization: 'General Hospital', specialty: 'Cardiology' },
      { npi: A, name: 'Dr Jo Doea', organization: 'General Hospital', specialty: 'Cardiology' },
      { npi: B, name: 'Dr Jo Doeb', organization: null, specialty: null },
    ]);
    const lines = fs.readFileSync(rest.rejectsPath, 'utf8').trim().split('\r\n');
    expect(lines).toEqual(['resource,reject_row,reject_line,reject_reason', 'PractitionerRole/rz,7,7,PractitionerRole.practitioner.reference: Practitioner/z is not in this file (references are resolved within the file)']);
  });
});

describe('parseRejectReason', () => {
  it('splits FHIR paths as fields, and CSV columns as before', () => {
    expect(parseRejectReason('Practitioner.identifier[0].value: NPI check digit is wrong; PractitionerRole.period.end: is 2011')).toEqual([
      { field: 'Practitioner.identifier[0].value', reason: 'NPI check digit is wrong' },
      { field: 'PractitionerRole.period.end', reason: 'is 2011' },
    ]);
    expect(parseRejectReason('npi: bad; name: is missing')).toEqual([
      { field: 'npi', reason: 'bad' },
      { field: 'name', reason: 'is missing' },
    ]);
  });
});
