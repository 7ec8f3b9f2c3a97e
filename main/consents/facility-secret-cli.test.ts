// `custodian facility-secret export|import|fingerprint` as IT admins run them: a real process per command
// (CUSTODIAN_CHAIN=none) on real data folders. Two folders end with equal pseudonyms; a wrong passphrase, a
// changed file, a folder with other patients and a clerk are refused; the secret is in no audit entry or log.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataFolderDatabase, resolveDatabaseKey } from '../db/key-store';
import { unlockSecretFiles } from '../db/secret-files';
import { csvText, line } from '../imports/test-support';
import { memorySession } from '../runtime/dispatcher';
import { silentLogger } from '../runtime/log';
import { startServices } from '../compose/services';
import { facilitySecretPath, readFacilitySecret } from './pseudonym';
import { tempDir } from './test-support';
import { createStaffReady } from '../staff/test-support';

const bin = path.resolve(import.meta.dirname, '../../bin/custodian.mjs');
const PASSWORD = 'correct horse battery staple 42';
const PASSPHRASE = 'transport passphrase for the usb stick';
let dir: string;
let csv: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function custodian(data: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args, '--data-dir', data], {
      env: { ...process.env, CUSTODIAN_CHAIN: 'none', CUSTODIAN_RPC_URL: '', CUSTODIAN_PASSWORD: PASSWORD, CUSTODIAN_USER: 'admin', CUSTODIAN_SECRET_PASSPHRASE: PASSPHRASE, ...env },
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

const transcript: string[] = [];
async function ok(data: string, args: string[], env?: Record<string, string>): Promise<Run> {
  const r = await custodian(data, args, env);
  transcript.push(r.stdout, r.stderr);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}
async function refused(data: string, args: string[], env?: Record<string, string>): Promise<Run> {
  const r = await custodian(data, args, env);
  transcript.push(r.stdout, r.stderr);
  expect(r.code, `${args.join(' ')} should fail\n${r.stdout}`).toBe(1);
  return r;
}

function folder(name: string): string {
  return path.join(dir, name);
}
async function setUp(name: string): Promise<string> {
  const data = folder(name);
  await ok(data, ['setup', '--user', 'admin', '--name', 'Ada Admin']);
  return data;
}
function pseudonyms(data: string): { facility: string; mrn: string; pseudonym: string }[] {
  const db = openDataFolderDatabase(data, { readonly: true });
  try {
    return db.prepare('SELECT facility, mrn, pseudonym FROM patients ORDER BY facility, mrn').all() as { facility: string; mrn: string; pseudonym: string }[];
  } finally {
    db.close();
  }
}
function auditText(data: string): string {
  const db = openDataFolderDatabase(data, { readonly: true });
  try {
    return JSON.stringify(db.prepare('SELECT * FROM audit_log ORDER BY id').all());
  } finally {
    db.close();
  }
}
function auditActions(data: string, action: string): { outcome: string; subject: string | null; details: string }[] {
  const db = openDataFolderDatabase(data, { readonly: true });
  try {
    return db.prepare('SELECT outcome, subject, details FROM audit_log WHERE action = ? ORDER BY id').all(action) as { outcome: string; subject: string | null; details: string }[];
  } finally {
    db.close();
  }
}
/** The folder's facility secret, as an IT admin holding its passphrase reads it (the file is sealed under its key). */
function secretHex(data: string): string {
  const key = resolveDatabaseKey({ dataDir: data, dbPath: path.join(data, 'custodian.sqlite'), passphrase: process.env.CUSTODIAN_DB_PASSPHRASE ?? null });
  unlockSecretFiles(data, Buffer.from(key.hex, 'hex'));
  const secret = readFacilitySecret(data)!;
  expect(fs.readFileSync(facilitySecretPath(data), 'utf8')).not.toContain(secret.toString('hex'));
  return secret.toString('hex');
}

let source: string;
let exported: string;
let fingerprint: string;

beforeAll(async () => {
  dir = tempDir('custodian-secret-cli-');
  csv = path.join(dir, 'consents.csv');
  fs.writeFileSync(csv, csvText([line({ external_id: 'S-1', mrn: 'MRN-A1' }), line({ external_id: 'S-2', mrn: 'MRN-B2', patient_name: 'Doe, John' })]));
  source = await setUp('source');
  await ok(source, ['import', 'consents', csv]);
  exported = path.join(dir, 'facility-secret.json');
  const r = await ok(source, ['facility-secret', 'export', '--out', exported]);
  fingerprint = /Fingerprint: (\S+)/.exec(r.stdout)![1]!;
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('custodian facility-secret', () => {
  it('exports a private file naming the fingerprint the source folder prints', async () => {
    expect(fs.statSync(exported).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(exported, 'utf8'))).toMatchObject({ format: 'custodian-facility-secret', version: 1, fingerprint });
    expect((await ok(source, ['facility-secret', 'fingerprint'])).stdout.trim()).toBe(fingerprint);
    // Never over an existing file.
    const again = await refused(source, ['facility-secret', 'export', '--out', exported]);
    expect(again.stderr).toContain('FACILITY_SECRET_FILE_EXISTS');
  }, 180_000);

  it('installs on a new workstation: same fingerprint, and the same patients get the same pseudonyms', async () => {
    const target = await setUp('target');
    expect((await ok(target, ['facility-secret', 'fingerprint'])).stdout).toMatch(/No facility secret yet/);
    const r = await ok(target, ['facility-secret', 'import', exported]);
    expect(r.stdout).toContain('Facility secret installed.');
    expect(fs.statSync(facilitySecretPath(target)).mode & 0o777).toBe(0o600);
    expect((await ok(target, ['facility-secret', 'fingerprint', '--json'])).stdout.trim()).toBe(JSON.stringify({ fingerprint }));
    await ok(target, ['import', 'consents', csv]);
    expect(pseudonyms(target)).toHaveLength(2);
    expect(pseudonyms(target)).toEqual(pseudonyms(source));
    // Importing it again changes nothing, even now that the folder has patients.
    expect((await ok(target, ['facility-secret', 'import', exported])).stdout).toMatch(/already has this facility secret/);
    expect(auditActions(target, 'facilitySecret.import').map((a) => [a.outcome, JSON.parse(a.details).outcome])).toEqual([
      ['success', 'installed'],
      ['success', 'unchanged'],
    ]);
  }, 120_000);

  it('refuses a wrong passphrase and installs nothing', async () => {
    const target = await setUp('wrong-pass');
    const r = await refused(target, ['facility-secret', 'import', exported], { CUSTODIAN_SECRET_PASSPHRASE: `${PASSPHRASE}?` });
    expect(r.stderr).toMatch(/\[FACILITY_SECRET_UNWRAP_FAILED\] .*passphrase is wrong/);
    expect(fs.existsSync(facilitySecretPath(target))).toBe(false);
    expect(auditActions(target, 'facilitySecret.import')).toMatchObject([{ outcome: 'failure', details: expect.stringContaining('FACILITY_SECRET_UNWRAP_FAILED') }]);
  }, 180_000);

  it('refuses a file changed after export, and a file that is not one', async () => {
    const target = await setUp('tampered');
    const file = JSON.parse(fs.readFileSync(exported, 'utf8')) as { ciphertext: string; fingerprint: string };
    const bytes = Buffer.from(file.ciphertext, 'base64');
    bytes[5]! ^= 0x10;
    const changed = path.join(dir, 'changed.json');
    fs.writeFileSync(changed, JSON.stringify({ ...file, ciphertext: bytes.toString('base64') }));
    expect((await refused(target, ['facility-secret', 'import', changed])).stderr).toMatch(/FACILITY_SECRET_UNWRAP_FAILED.*changed after it was exported/);
    const truncated = path.join(dir, 'truncated.json');
    fs.writeFileSync(truncated, fs.readFileSync(exported, 'utf8').slice(0, 100));
    expect((await refused(target, ['facility-secret', 'import', truncated])).stderr).toMatch(/FACILITY_SECRET_FILE_INVALID.*truncated\.json is not a facility-secret file/);
    expect(fs.existsSync(facilitySecretPath(target))).toBe(false);
  }, 180_000);

  it('refuses a folder whose patients were pseudonymised under another secret, and changes nothing there', async () => {
    const other = await setUp('other');
    await ok(other, ['import', 'consents', csv]);
    const before = { secret: secretHex(other), pseudonyms: pseudonyms(other) };
    expect(before.pseudonyms.map((p) => p.pseudonym)).not.toEqual(pseudonyms(source).map((p) => p.pseudonym));
    const r = await refused(other, ['facility-secret', 'import', exported]);
    expect(r.stderr).toMatch(/\[FACILITY_SECRET_CONFLICT\] Refused: this data folder already has 2 patient\(s\)/);
    expect(r.stderr).toMatch(/no longer match their consents on the chain/);
    expect(r.stderr).not.toMatch(/MRN-A1|MRN-B2|Roe|Doe/);
    expect({ secret: secretHex(other), pseudonyms: pseudonyms(other) }).toEqual(before);
  }, 120_000);

  it('puts a lost secret back when every patient already carries its pseudonyms', async () => {
    const restored = await setUp('restored');
    await ok(restored, ['facility-secret', 'import', exported]);
    await ok(restored, ['import', 'consents', csv]);
    fs.rmSync(facilitySecretPath(restored));
    expect((await ok(restored, ['facility-secret', 'import', exported])).stdout).toMatch(/all 2 patient\(s\) of this folder already carry its pseudonyms/);
    expect(pseudonyms(restored)).toEqual(pseudonyms(source));
  }, 120_000);

  it('refuses a records clerk for export, import and fingerprint, and audits the refusal', async () => {
    const services = await startServices({ dataDir: source, runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } }, sync: 'manual' });
    try {
      const admin = memorySession();
      expect(await services.call('auth.login', { username: 'admin', password: PASSWORD }, { session: admin })).toMatchObject({ ok: true });
      await createStaffReady(services, { session: admin }, { username: 'clerk', displayName: 'Cole Clerk', role: 'records_clerk', password: PASSWORD });
    } finally {
      await services.stop();
    }
    const asClerk = { CUSTODIAN_USER: 'clerk' };
    const out = path.join(dir, 'by-clerk.json');
    expect((await refused(source, ['facility-secret', 'export', '--out', out], asClerk)).stderr).toMatch(/PERMISSION_DENIED.*Cole Clerk is records_clerk/);
    expect(fs.existsSync(out)).toBe(false);
    expect((await refused(source, ['facility-secret', 'import', exported], asClerk)).stderr).toContain('PERMISSION_DENIED');
    expect((await refused(source, ['facility-secret', 'fingerprint'], asClerk)).stderr).toContain('PERMISSION_DENIED');
    expect(auditActions(source, 'facilitySecret.export').map((a) => a.outcome)).toEqual(['success', 'failure', 'denied']);
    expect(auditActions(source, 'facilitySecret.import').map((a) => a.outcome)).toEqual(['denied']);
  }, 120_000);

  it('leaves nothing of the secret or the passphrase in the audit trail, the logs or the output', () => {
    const secret = Buffer.from(secretHex(source), 'hex');
    const forms = [secret.toString('hex'), secret.toString('base64'), secret.toString('base64url'), PASSPHRASE];
    for (const name of ['source', 'target', 'wrong-pass', 'tampered', 'other', 'restored']) {
      const logFile = path.join(folder(name), 'custodian.log');
      const texts = { audit: auditText(folder(name)), log: fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '' };
      for (const [where, text] of Object.entries(texts)) {
        for (const form of forms) expect(text.includes(form), `${name} ${where}`).toBe(false);
      }
    }
    expect(auditText(source)).toContain(`fingerprint:${fingerprint}`);
    expect(fs.readFileSync(path.join(source, 'custodian.log'), 'utf8')).toContain(`facility secret exported (fingerprint ${fingerprint})`);
    for (const form of forms) expect(transcript.join('\n').includes(form)).toBe(false);
  });
});
