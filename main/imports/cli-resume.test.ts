// `custodian import resume KIND RUN` and `--dry-run` for every kind of import, as real processes
// (CUSTODIAN_CHAIN=none): a roster and a claims import that failed are resumed from the CLI once their file is
// fixed, a dry run of either stores nothing (the real import after it still adds every row), and a run id of
// another kind or none at all is refused by name.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../consents/test-support';
import { claimRow, writeClaimsCsv } from '../claims/test-support';
import { TEST_NPIS } from '../credentials/test-support';

const bin = path.resolve(import.meta.dirname, '../../bin/custodian.mjs');
const PASSWORD = 'correct horse battery staple 42';
let dir: string;
let dataDir: string;

function custodian(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args, '--data-dir', dataDir], {
      env: { ...process.env, CUSTODIAN_CHAIN: 'none', CUSTODIAN_PASSWORD: PASSWORD, CUSTODIAN_USER: 'admin', CUSTODIAN_RPC_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = tempDir('custodian-import-resume-cli-');
  dataDir = path.join(dir, 'data');
  const r = await custodian(['setup', '--user', 'admin', '--name', 'Ada Admin']);
  expect(r.code, r.stderr).toBe(0);
}, 240_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

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

    // Run 1 is the failed one (run ids are per kind: the dry run is roster run 2).
    const resumed = await custodian(['import', 'resume', 'providers', '1']);
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

    const resumed = await custodian(['import', 'resume', 'claims', '1']);
    expect(resumed.code, resumed.stderr).toBe(0);
    // Nothing of the dry run was stored: the resumed import checks and stores row A (no consent on file: a fail).
    expect(resumed.stdout).toMatch(/^Imported claims\.csv: 2 rows, 0 pass \(queued for the chain\), 1 fail, 0 unchanged, 1 rejected/);
  }, 240_000);

  it('refuses a run id that no run of the named kind has', async () => {
    const r = await custodian(['import', 'resume', 'claims', '99']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[NOT_FOUND\] There is no claims import run 99/);
  }, 240_000);

  it('lists the runs of every kind in import runs, each by its kind and id', async () => {
    const r = await custodian(['import', 'runs']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Provider roster runs:\nproviders run 2  succeeded .* roster\.csv: 2 read, 0 rejected\nproviders run 1  succeeded /);
    expect(r.stdout).toMatch(/Claims runs:\nclaims run 2  succeeded .* claims\.csv: 2 read, 1 rejected\nclaims run 1  succeeded /);
  }, 240_000);
});
