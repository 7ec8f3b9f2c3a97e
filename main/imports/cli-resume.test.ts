// `custodian import resume KIND RUN` and `--dry-run` for every kind of import, as real processes
// (CUSTODIAN_CHAIN=none): a roster and a claims import that failed are resumed from the CLI once their file is
// fixed, a dry run of either stores nothing (the real import after it still adds every row), a run id of
// another kind or none at all is refused by name, and `import runs` lists every kind from the one runs table.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../consents/test-support';
import { claimRow, writeClaimsCsv } from '../claims/test-support';
import { TEST_NPIS } from '../credentials/test-support';
import type { ImportRunListing } from '../api/imports';
import { cliSetUp, runCli } from './cli-process-test-support';

let dir: string;
let dataDir: string;

const custodian = (args: string[]) => runCli(dataDir, args);

beforeAll(async () => {
  dir = tempDir('custodian-import-resume-cli-');
  dataDir = path.join(dir, 'data');
  await cliSetUp(dataDir);
}, 240_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The newest run of a kind in a state, as `import runs --json` lists it. */
async function latestRun(kind: ImportRunListing['kind'], state: string): Promise<number> {
  const r = await custodian(['import', 'runs', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const run = (JSON.parse(r.stdout) as ImportRunListing[]).find((x) => x.kind === kind && x.state === state);
  expect(run, `${kind} run ${state}`).toBeDefined();
  return run!.id;
}

describe('custodian import resume and --dry-run, every kind', () => {
  it('resumes a failed roster import by kind and run id once its file is fixed; a dry run stores nothing', async () => {
    const file = path.join(dir, 'roster.csv');
    fs.writeFileSync(file, `npi,full_name\n${TEST_NPIS[0]},Dr Ada\n`);
    const failed = await custodian(['import', 'providers', file]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/ROSTER_HEADER_MISSING/);

    fs.writeFileSync(file, `npi,name\n${TEST_NPIS[0]},Dr Ada\n${TEST_NPIS[1]},Dr Bo\n`);
    const dry = await custodian(['import', 'providers', file, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^Roster dry run \(nothing stored\) succeeded: 2 row\(s\) read\n  providers added 2/);

    // The failed run is named by its id alone (run ids are one sequence for every kind).
    const failedId = await latestRun('providers', 'failed');
    const resumed = await custodian(['import', 'resume', String(failedId)]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^Roster import succeeded: 2 row\(s\) read\n  providers added 2,/);
  }, 240_000);

  it('resumes a failed claims import by kind and run id; a dry run stores nothing', async () => {
    const file = path.join(dir, 'claims.csv');
    fs.writeFileSync(file, 'claim_id,facility\nA,GH01\n');
    const failed = await custodian(['import', 'claims', file]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/CLAIMS_HEADER_MISSING/);

    writeClaimsCsv(dir, 'claims.csv', [claimRow({ claim_id: 'A' }), claimRow({ claim_id: 'B', service_date: 'soon' })]);
    const dry = await custodian(['import', 'claims', file, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^Dry run of claims\.csv \(nothing stored\): 2 rows, 0 would pass, 1 would fail, 0 unchanged, 1 rejected/);

    const failedId = await latestRun('claims', 'failed');
    // A roster run's id given as a claims run is refused by name, and nothing is resumed.
    const wrongKind = await custodian(['import', 'resume', 'claims', String(await latestRun('providers', 'succeeded'))]);
    expect(wrongKind.code).toBe(1);
    expect(wrongKind.stderr).toMatch(/\[IMPORT_RUN_KIND_MISMATCH\] Import run \d+ is a providers import, not claims/);
    const resumed = await custodian(['import', 'resume', 'claims', String(failedId)]);
    expect(resumed.code, resumed.stderr).toBe(0);
    // Nothing of the dry run was stored: the resumed import checks and stores row A (no consent on file: a fail).
    expect(resumed.stdout).toMatch(/^Imported claims\.csv: 2 rows, 0 pass \(queued for the chain\), 1 fail, 0 unchanged, 1 rejected/);
  }, 240_000);

  it('refuses a run id that no run has', async () => {
    const r = await custodian(['import', 'resume', 'claims', '99']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[NOT_FOUND\] There is no import run 99/);
  }, 240_000);

  it('lists the runs of every kind in import runs and import runs --json, newest first, errors as {code, message}', async () => {
    const consents = await custodian(['import', 'consents', path.resolve(import.meta.dirname, 'templates/consents-template.csv')]);
    expect(consents.code, consents.stderr).toBe(0);
    const json = await custodian(['import', 'runs', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const runs = JSON.parse(json.stdout) as ImportRunListing[];
    // Oldest to newest: roster failed, dry run, (resumed) ; claims failed, dry run ; consents.
    expect(runs.map((r) => [r.kind, r.dryRun, r.state])).toEqual([
      ['consents', false, 'succeeded'],
      ['claims', true, 'succeeded'],
      ['claims', false, 'succeeded'],
      ['providers', true, 'succeeded'],
      ['providers', false, 'succeeded'],
    ]);
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    expect(runs[2]).toMatchObject({ kind: 'claims', rowsRead: 2, rejected: 1, counts: { rowsRead: 2, passed: 0, failed: 1, rejected: 1, duplicate: 0 }, error: null, resumable: false });
    expect(runs[4]).toMatchObject({ kind: 'providers', rowsRead: 2, rejected: 0, counts: { providers_added: 2 } });
    expect(runs[0]).toMatchObject({ kind: 'consents', counts: { accepted: expect.any(Number) } });

    const text = await custodian(['import', 'runs']);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(new RegExp(`^run ${runs[0]!.id}  consents  succeeded .* consents-template\\.csv \\(csv\\): \\d+ read, 0 rejected$`));
    expect(lines[2]).toMatch(new RegExp(`^run ${runs[2]!.id}  claims    succeeded .* claims\\.csv \\(csv\\): 2 read, 1 rejected$`));
    expect(lines[4]).toMatch(new RegExp(`^run ${runs[4]!.id}  providers succeeded .* roster\\.csv \\(csv\\): 2 read, 0 rejected$`));
  }, 240_000);

  it('shows a failed run with its error code and says how to resume it', async () => {
    const file = path.join(dir, 'broken-roster.csv');
    fs.writeFileSync(file, `npi,full_name\n${TEST_NPIS[2]},Dr Cy\n`);
    expect((await custodian(['import', 'providers', file])).code).toBe(1);
    const json = JSON.parse((await custodian(['import', 'runs', '--json'])).stdout) as ImportRunListing[];
    expect(json[0]).toMatchObject({ kind: 'providers', state: 'failed', resumable: true, error: { code: 'ROSTER_HEADER_MISSING', message: expect.any(String) } });
    const text = await custodian(['import', 'runs']);
    expect(text.stdout).toMatch(new RegExp(`^run ${json[0]!.id}  providers failed .*\\[ROSTER_HEADER_MISSING\\]  \\(can be resumed\\)$`, 'm'));
    expect(text.stdout).toMatch(new RegExp(`Resume with: custodian import resume ${json[0]!.id}\\n$`));
  }, 240_000);
});
