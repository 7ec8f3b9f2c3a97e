// The attacker's test of "lockout cannot be used as a weapon". An anonymous caller with the browser-mode link
// storms auth.login for the IT admin's username over real HTTP: that source is slowed (AUTH_THROTTLED), but the
// admin still signs in from the desktop app's IPC and from the CLI, and the account is never locked. A known and
// an unknown username get the same answers in the same order. The data folder's owner can unlock from the CLI.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memorySession } from '../runtime/dispatcher';
import { silentLogger } from '../runtime/log';
import { startServices, type Services } from '../compose/services';
import { startConsoleServer, type ConsoleServer } from './server';
import { SignInThrottle, DEFAULT_THROTTLE } from '../staff/throttle';

const PASSWORD = 'correct horse battery';
const bin = path.resolve(import.meta.dirname, '../../bin/custodian.mjs');
let dir: string;
let services: Services;
let server: ConsoleServer;
// A fake clock that stands still: the delays never run out during the test, however slow the machine.
const clock = { now: Date.parse('2026-03-01T09:00:00Z') };

function login(username: string, password: string): Promise<{ status: number; code: string | null; message: string | null }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ username, password });
    const req = http.request(
      { host: '127.0.0.1', port: server.port, path: '/api/invoke/auth.login', method: 'POST', headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          resolve({ status: res.statusCode ?? 0, code: json.error?.code ?? null, message: json.error?.message ?? null });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-lockout-'));
  const staticDir = path.join(dir, 'renderer');
  fs.mkdirSync(staticDir);
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Custodian</title>');
  services = await startServices({ dataDir: path.join(dir, 'data'), runtime: 'browser', logger: silentLogger, config: { chain: { mode: 'none' } }, sync: 'manual', signInThrottle: new SignInThrottle(DEFAULT_THROTTLE, () => clock.now) });
  server = await startConsoleServer({ services, staticDir });
  expect((await services.dispatch('auth.setup', { username: 'admin', displayName: 'Ada Admin', password: PASSWORD }, { transport: 'cli', session: memorySession() })).ok).toBe(true);
}, 180_000);
afterAll(async () => {
  await server.close();
  await services.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a sign-in storm', () => {
  it('slows the storming source only: the admin signs in from the desktop app and the CLI, and the account is not locked', async () => {
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) answers.push(String((await login('admin', `guess ${i}`)).code));
    expect(answers.slice(0, 4)).toEqual(Array(4).fill('AUTH_FAILED'));
    expect(answers).toContain('AUTH_THROTTLED');
    expect(answers).not.toContain('AUTH_LOCKED');
    // Even the right password waits at the storming source (no guess is checked there during the delay)…
    expect((await login('admin', PASSWORD)).code).toBe('AUTH_THROTTLED');
    // …but not from the desktop app's window, nor from the CLI.
    const ipc = await services.dispatch('auth.login', { username: 'admin', password: PASSWORD }, { transport: 'electron', session: memorySession(), source: 'window-1' });
    expect(ipc.ok, JSON.stringify(ipc)).toBe(true);
    const cli = await services.dispatch('auth.login', { username: 'admin', password: PASSWORD }, { transport: 'cli', session: memorySession() });
    expect(cli.ok).toBe(true);
    const row = services.db.prepare("SELECT locked_until FROM staff WHERE username = 'admin'").get() as { locked_until: string | null };
    expect(row.locked_until).toBeNull();
    // Another username from the storming source is slowed only past the source's overall allowance.
    expect((await login('nobody', 'x')).code).toBe('AUTH_FAILED');
    // The delay runs out (the fake clock moves past its cap): the right password then works from there too.
    clock.now += DEFAULT_THROTTLE.maxDelayMs;
    expect((await login('admin', PASSWORD)).code).toBeNull();
  });

  it('answers a known and an unknown username alike, attempt by attempt', async () => {
    const run = async (username: string, source: string) => {
      const out: string[] = [];
      for (let i = 0; i < 8; i++) {
        const r = await services.dispatch('auth.login', { username, password: `wrong ${i}` }, { transport: 'browser', session: memorySession(), source });
        out.push(r.ok ? 'ok' : `${r.error.code}|${r.error.code === 'AUTH_THROTTLED' ? 'retry' : r.error.message}`);
      }
      return out;
    };
    const known = await run('admin', '10.0.0.1');
    const unknown = await run('no-such-admin', '10.0.0.2');
    expect(unknown).toEqual(known);
    expect(known).toContain('AUTH_THROTTLED|retry');
  });

  it('does not keep text typed as a username that names no account', async () => {
    const typed = 'Tr0ub4dor&3-typed-in-the-wrong-field';
    await services.dispatch('auth.login', { username: typed, password: 'x' }, { transport: 'browser', session: memorySession(), source: '10.0.0.3' });
    const rows = services.db.prepare("SELECT subject, actor_name, details FROM audit_log WHERE action = 'auth.login'").all();
    expect(JSON.stringify(rows)).not.toContain(typed);
  });
});

describe('custodian staff unlock', () => {
  it('clears an account’s failures when run by the data folder’s owner, audited as that OS user', async () => {
    services.db.prepare("UPDATE staff SET failed_attempts = 9, locked_until = '2999-01-01T00:00:00Z' WHERE username = 'admin'").run();
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, 'staff', 'unlock', 'admin', '--data-dir', services.dataDir], { env: { ...process.env, CUSTODIAN_CHAIN: 'none' } });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('close', (code) => resolve({ code, out, err }));
    });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Unlocked admin');
    const row = services.db.prepare("SELECT failed_attempts, locked_until FROM staff WHERE username = 'admin'").get();
    expect(row).toEqual({ failed_attempts: 0, locked_until: null });
    const entry = services.db.prepare("SELECT actor_id FROM audit_log WHERE action = 'staff.update' ORDER BY id DESC LIMIT 1").get() as { actor_id: string };
    expect(entry.actor_id).toBe(`os-user:${os.userInfo().username}`);
  }, 180_000);

  it('is refused to another OS user', async () => {
    const { assertOwnsDataDir } = await import('../staff/cli-unlock');
    expect(() => assertOwnsDataDir(services.dataDir, (process.getuid?.() ?? 0) + 1)).toThrow(expect.objectContaining({ code: 'NOT_DATA_OWNER' }));
  });
});
