// `custodian import claims` and `custodian claims check` as real processes (CUSTODIAN_CHAIN=none): the IT admin
// imports (imports.run) but may not check; a records manager checks a file and sees every row's verdict; the
// import is idempotent; the payer tool refuses a malformed claim hash before touching any chain.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../consents/test-support';
import { silentLogger } from '../runtime/log';
import { startServices } from '../compose/services';
import { claimRow, writeClaimsCsv } from './test-support';
import { createStaffReady } from '../staff/test-support';
import { CLI_PASSWORD, cliSetUp, runCli } from '../imports/cli-process-test-support';

let dir: string;
let dataDir: string;

const custodian = (args: string[], user = 'admin') => runCli(dataDir, args, { user });

beforeAll(async () => {
  dir = tempDir('custodian-claims-cli-');
  dataDir = path.join(dir, 'data');
  await cliSetUp(dataDir);
  const services = await startServices({ dataDir, runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } } });
  try {
    await createStaffReady(services, { id: 'root', name: 'Root', role: 'it_admin' }, { username: 'mae', displayName: 'Mae Manager', role: 'records_manager', password: CLI_PASSWORD });
  } finally {
    await services.stop();
  }
}, 180_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const rows = [claimRow({ claim_id: 'A' }), claimRow({ claim_id: 'B', codes: '9921' }), claimRow({ claim_id: 'C', service_date: 'soon' })];

describe('custodian claims', () => {
  it('checks a file as a records manager (every row, nothing stored) and refuses an IT admin', async () => {
    const file = writeClaimsCsv(dir, 'check.csv', rows);
    const denied = await custodian(['claims', 'check', file]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/\[PERMISSION_DENIED\] Checking claims needs the claims.check permission; Ada Admin is it_admin/);

    const checked = await custodian(['claims', 'check', file, '--json'], 'mae');
    expect(checked.code, checked.stderr).toBe(0);
    const lines = checked.stdout.trim().split('\n').map((l) => JSON.parse(l) as { row: number; verdict?: string; kind?: string; reasons?: { code: string }[]; reason?: string });
    expect(lines.map((l) => l.verdict ?? l.kind)).toEqual(['fail', 'fail', 'rejected']);
    expect(lines[1]!.reasons!.map((r) => r.code)).toContain('MALFORMED_CODE');
    expect(lines[2]!.reason).toBe('row 3: service_date: expected a date as YYYY-MM-DD');
    expect(checked.stderr).toMatch(/3 rows: 0 pass, 2 fail, 1 rejected \(nothing stored\)/);
  }, 180_000);

  it('imports as an IT admin, with the rejects file, and a second import changes nothing', async () => {
    const file = writeClaimsCsv(dir, 'import.csv', rows);
    const first = await custodian(['import', 'claims', file]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/3 rows, 0 pass \(queued for the chain\), 2 fail, 0 unchanged, 1 rejected \(rows and reasons in .*claims-run-1-rejects\.csv\)/);
    const second = await custodian(['import', 'claims', file]);
    expect(second.stdout).toMatch(/3 rows, 0 pass \(queued for the chain\), 0 fail, 2 unchanged, 1 rejected/);
  }, 180_000);

  it('refuses a malformed claim hash or salt in the payer tool', async () => {
    const keyFile = path.join(dir, 'payer.key');
    fs.writeFileSync(keyFile, `${'5'.repeat(64)}\n`, { mode: 0o600 });
    const salt = `0x${'cd'.repeat(16)}`;
    const noSalt = await custodian(['payer', 'accept', `0x${'ab'.repeat(32)}`, '--rpc', 'http://127.0.0.1:9', '--ledger', `0x${'1'.repeat(40)}`, '--key-file', keyFile]);
    expect(noSalt.stderr).toMatch(/\[VALIDATION_FAILED\] payer accept needs CLAIM_HASH and SALT/);
    const badSalt = await custodian(['payer', 'accept', `0x${'ab'.repeat(32)}`, '0x12', '--rpc', 'http://127.0.0.1:9', '--ledger', `0x${'1'.repeat(40)}`, '--key-file', keyFile]);
    expect(badSalt.stderr).toMatch(/\[VALIDATION_FAILED\] SALT must be 0x and 32 hex digits/);
    const r = await custodian(['payer', 'accept', '0x1234', salt, '--rpc', 'http://127.0.0.1:9', '--ledger', `0x${'1'.repeat(40)}`, '--key-file', keyFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[VALIDATION_FAILED\] CLAIM_HASH must be 0x and 64 hex digits, got "0x1234"/);
    const deny = await custodian(['payer', 'deny', `0x${'ab'.repeat(32)}`, salt, '--rpc', 'http://127.0.0.1:9', '--ledger', `0x${'1'.repeat(40)}`, '--key-file', keyFile]);
    expect(deny.stderr).toMatch(/A denial needs --reason CODE/);
  }, 180_000);
});
