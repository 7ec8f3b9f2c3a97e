// `custodian audit …` as people run it: a real process per command (CUSTODIAN_CHAIN=none) on a real data folder.
// Every command that writes audit entries ends with a signed head; `audit proof` exports a bundle that
// `audit check-proof` verifies offline (and refuses once altered); a rewrite with recomputed hashes, done to the
// file between two commands, fails `audit verify` with the signed head's range named.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memorySession } from '../runtime/dispatcher';
import { silentLogger } from '../runtime/log';
import { startServices } from '../compose/services';
import { readHeadsFile } from './heads-file';
import { entryHash, type AuditEntry } from './trail';
import { openDataFolderDatabase } from '../db/key-store';
import { createStaffReady } from '../staff/test-support';

const bin = path.resolve(import.meta.dirname, '../../bin/custodian.mjs');
const PASSWORD = 'correct horse battery staple 42';
let data: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function custodian(args: string[], user = 'auditor'): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args, '--data-dir', data], {
      env: { ...process.env, CUSTODIAN_CHAIN: 'none', CUSTODIAN_RPC_URL: '', CUSTODIAN_PASSWORD: PASSWORD, CUSTODIAN_USER: user },
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

const dbSize = () => {
  const db = openDataFolderDatabase(data, { readonly: true });
  try {
    return db.prepare('SELECT max(id) FROM audit_log').pluck().get() as number;
  } finally {
    db.close();
  }
};

beforeAll(async () => {
  data = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-audit-cli-'));
  const setup = await custodian(['setup', '--user', 'admin', '--name', 'Ada Admin'], 'admin');
  expect(setup.code, setup.stderr).toBe(0);
  const services = await startServices({ dataDir: data, runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } }, sync: 'manual' });
  try {
    const admin = memorySession();
    expect(await services.call('auth.login', { username: 'admin', password: PASSWORD }, { session: admin })).toMatchObject({ ok: true });
    await createStaffReady(services, { session: admin }, { username: 'auditor', displayName: 'Ava Auditor', role: 'auditor', password: PASSWORD });
  } finally {
    await services.stop();
  }
}, 240_000);
afterAll(() => fs.rmSync(data, { recursive: true, force: true }));

describe('custodian audit', () => {
  it('signs a head at the end of each command that wrote entries, and verifies the log against it', async () => {
    expect(readHeadsFile(data).heads.at(-1)?.treeSize).toBe(dbSize());
    const verify = await custodian(['audit', 'verify', '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    const report = JSON.parse(verify.stdout) as { ok: boolean; log: { verifiedSize: number; headsFile: string } };
    expect(report).toMatchObject({ ok: true, log: { headsFile: 'present' } });
    expect(report.log.verifiedSize).toBeGreaterThan(0);
    // The verify call itself was audited, and its command ended with a head over that entry too.
    expect(readHeadsFile(data).heads.at(-1)?.treeSize).toBe(dbSize());
  }, 240_000);

  it('exports a proof bundle that check-proof accepts offline, and refuses once the entry is altered', async () => {
    const out = path.join(data, 'proof-2.json');
    const proof = await custodian(['audit', 'proof', '2', '--out', out]);
    expect(proof.code, proof.stderr).toBe(0);
    expect(proof.stderr).toMatch(/no head covering entry 2 is checked: the chain is unavailable|anchored yet/);
    const check = await custodian(['audit', 'check-proof', out, '--json']);
    // 3: offline parts pass, the anchor was not checked (no --rpc).
    expect(check.code, check.stdout).toBe(3);
    expect(JSON.parse(check.stdout)).toMatchObject({ offlineOk: true, onChainChecked: false });
    const bundle = JSON.parse(fs.readFileSync(out, 'utf8')) as { entry: { action: string } };
    bundle.entry.action = 'nothing.happened';
    fs.writeFileSync(out, JSON.stringify(bundle));
    const altered = await custodian(['audit', 'check-proof', out, '--json']);
    expect(altered.code).toBe(1);
    expect(JSON.parse(altered.stdout)).toMatchObject({ offlineOk: false });
  }, 240_000);

  it('catches an entry rewritten in the file with every later hash recomputed', async () => {
    // Whoever rewrites the file holds its key here (encryption at rest is the other control): the log must still tell.
    const raw = openDataFolderDatabase(data);
    try {
      raw.exec('DROP TRIGGER audit_log_no_update');
      const rows = raw.prepare('SELECT * FROM audit_log WHERE id >= 2 ORDER BY id').all() as AuditEntry[];
      let prev = (raw.prepare('SELECT hash FROM audit_log WHERE id = 1').get() as { hash: string }).hash;
      for (const row of rows) {
        const { hash: _old, ...fields } = { ...row, prev_hash: prev, ...(row.id === 2 ? { outcome: 'failure' } : {}) };
        const hash = entryHash(fields);
        raw.prepare('UPDATE audit_log SET outcome = ?, prev_hash = ?, hash = ? WHERE id = ?').run(fields.outcome, prev, hash, row.id);
        prev = hash;
      }
    } finally {
      raw.close();
    }
    const verify = await custodian(['audit', 'verify']);
    expect(verify.code).not.toBe(0);
    expect(verify.stdout).toMatch(/FIRST PROBLEM: Entries 2–\d+ no longer give the root signed at/);
  }, 240_000);
});
