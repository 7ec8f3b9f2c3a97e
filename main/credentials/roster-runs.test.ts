// The roster import history on a real SQLite file: runs newest first with their counts and state, and one run's
// rejected rows read back from its rejects file as row, field and reason (several problems of a row kept apart).
import fs from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/connection';
import type { SignedCredential } from './document';
import { credentialDomain } from './eip712';
import { JOB_KINDS } from '../api/jobs';
import { ROSTER_COLUMNS } from './roster';
import { createRosterRun, runRosterImport } from './roster-import';
import { listRosterRuns, parseRejectReason, rosterRunDetail } from './roster-runs';
import { openTestDb, signTestCredential, tempDir, TEST_NPIS } from './test-support';

const issuer = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const ours = credentialDomain(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
let dir: string;
let db: Db;
let good: SignedCredential;

function row(cells: Partial<Record<(typeof ROSTER_COLUMNS)[number], string>>): string {
  return ROSTER_COLUMNS.map((k) => cells[k] ?? '').map((v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',');
}
const credentialCells = (c: SignedCredential) => ({
  npi: c.fields.npi,
  credential_type: c.fields.credentialType,
  jurisdiction: c.fields.jurisdiction,
  number: c.fields.number,
  valid_from: c.fields.validFrom,
  valid_until: c.fields.validUntil,
  issuer: c.fields.issuer,
  signature: c.signature,
});

async function importLines(name: string, lines: string[], dryRun = false): Promise<number> {
  return (await importSummary(name, lines, dryRun)).runId;
}
async function importSummary(name: string, lines: string[], dryRun = false) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${ROSTER_COLUMNS.join(',')}\n${lines.join('\n')}\n`);
  const run = createRosterRun(db, file, 'tester', dryRun);
  const noop = { checkpoint: null, saveCheckpoint() {}, report() {}, cancelled: false };
  return runRosterImport(db, run.id, noop, { domain: ours, dataDir: dir, chunkRows: 2 });
}

beforeAll(async () => {
  dir = tempDir();
  db = openTestDb(dir);
  good = await signTestCredential(issuer, ours, { npi: TEST_NPIS[0], number: 'MD-1' });
});
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('parseRejectReason', () => {
  it.each([
    ['npi: NPI check digit is wrong', [{ field: 'npi', reason: 'NPI check digit is wrong' }]],
    ['npi: is missing; name: is missing', [{ field: 'npi', reason: 'is missing' }, { field: 'name', reason: 'is missing' }]],
    ['(row): has 70 columns; at most 64 are allowed', [{ field: '(row)', reason: 'has 70 columns; at most 64 are allowed' }]],
    ['name: differs from row 1 for the same NPI; the earlier row was kept', [{ field: 'name', reason: 'differs from row 1 for the same NPI; the earlier row was kept' }]],
    ['chain_id: signed for chain id 1, not (chain id 2): refused; valid_until: must be a date', [{ field: 'chain_id', reason: 'signed for chain id 1, not (chain id 2): refused' }, { field: 'valid_until', reason: 'must be a date' }]],
    ['something else entirely', [{ field: '(row)', reason: 'something else entirely' }]],
  ])('%s', (reason, problems) => {
    expect(parseRejectReason(reason)).toEqual(problems);
  });
});

describe('roster runs', () => {
  it('lists runs newest first with counts, and reads back each rejected row with its fields and reasons', async () => {
    const first = await importLines('first.csv', [row({ ...credentialCells(good), name: 'Dr Ada' })]);
    const second = await importLines('second.csv', [
      row({ ...credentialCells(good), name: 'Dr Ada' }), // row 1: already in the directory
      row({ npi: '1234567890', name: '' }), // row 2: two problems
      row({ npi: TEST_NPIS[1], name: '=cmd()' }), // row 3: ok, provider only (formula text kept as a name)
      row({ ...credentialCells(good), npi: TEST_NPIS[2], name: 'Dr Cy' }), // row 4: signed for another NPI
    ]);
    const runs = listRosterRuns(db, 10, null);
    expect(runs.map((r) => r.id)).toEqual([second, first]);
    expect(runs[0]).toMatchObject({ fileName: 'second.csv', state: 'succeeded', rowsRead: 4, providersAdded: 1, rejected: 2, duplicate: 1, startedBy: 'tester' });
    expect(runs[1]).toMatchObject({ fileName: 'first.csv', rowsRead: 1, providersAdded: 1, credentialsAdded: 1, rejected: 0 });
    expect(listRosterRuns(db, 10, second).map((r) => r.id)).toEqual([first]);

    const detail = await rosterRunDetail(db, second, 500);
    expect(detail.rejects).toEqual([
      { row: 2, line: 3, problems: [{ field: 'npi', reason: 'NPI check digit is wrong' }, { field: 'name', reason: 'is missing' }] },
      { row: 4, line: 5, problems: [{ field: 'signature', reason: expect.stringMatching(/does not recover to the issuer/) }] },
    ]);
    expect(detail).toMatchObject({ rejectsTruncated: false, rejectsMissing: false });
    expect((await rosterRunDetail(db, second, 1)).rejects.map((r) => r.row)).toEqual([2]);
    expect((await rosterRunDetail(db, second, 1)).rejectsTruncated).toBe(true);
    expect((await rosterRunDetail(db, first, 500)).rejects).toEqual([]);
  });

  it('marks a dry run (the console\'s "Check the file only") in the history and in the job result the page reads', async () => {
    const providers = () => db.prepare('SELECT count(*) FROM providers').pluck().get() as number;
    const before = providers();
    const summary = await importSummary('check.csv', [row({ npi: TEST_NPIS[3], name: 'Dr Dee' }), row({ npi: '1234567890', name: 'Dr Bad' })], true);
    expect(providers()).toBe(before);
    expect(listRosterRuns(db, 1, null)[0]).toMatchObject({ id: summary.runId, dryRun: true, rowsRead: 2, providersAdded: 1, rejected: 1 });
    // The job's stored result goes through the job kind's schema before the page sees it: the flag must survive it.
    const stored = JOB_KINDS['import.providers'].result.parse(JSON.parse(JSON.stringify(summary)));
    expect(stored).toMatchObject({ dryRun: true, providers_added: 1, rejected: 1, sampleRejects: [{ row: 2, reason: expect.stringContaining('check digit') }] });
    expect(listRosterRuns(db, 10, null).filter((r) => r.id !== summary.runId).every((r) => r.dryRun === false)).toBe(true);
  });

  it('keeps the counts when the rejects file is gone, and says so', async () => {
    const id = await importLines('third.csv', [row({ npi: '1234567890', name: 'Dr Bad' })]);
    fs.rmSync(db.prepare('SELECT rejects_path AS p FROM import_runs WHERE id = ?').pluck().get(id) as string);
    expect(await rosterRunDetail(db, id, 500)).toMatchObject({ rejected: 1, rejects: [], rejectsMissing: true });
  });

  it('shows a run whose job is still going by its job state, names who started it, and refuses an unknown run', async () => {
    db.prepare(`INSERT INTO staff (id, username, display_name, role, password_hash) VALUES ('staff-1', 'mae', 'Mae Manager', 'records_manager', 'x')`).run();
    const run = createRosterRun(db, path.join(dir, 'first.csv'), 'staff-1');
    db.prepare(`INSERT INTO jobs (id, kind, state, params) VALUES ('00000000-0000-4000-8000-000000000001', 'import.providers', 'running', '{}')`).run();
    db.prepare('UPDATE import_runs SET job_id = ? WHERE id = ?').run('00000000-0000-4000-8000-000000000001', run.id);
    expect(listRosterRuns(db, 1, null)[0]).toMatchObject({ id: run.id, state: 'running', finishedAt: null, startedBy: 'Mae Manager' });
    await expect(rosterRunDetail(db, 999_999, 10)).rejects.toThrow(/no roster import run 999999/);
  });
});
