// build:electron-native: never touches node_modules' Node build, never inherits npm's nodedir, and answers
// within a bounded time where Electron's headers cannot be downloaded.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface BuildElectronNative {
  childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  checkHeadersReachable(options: { version: string; distUrl: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<{ ok: boolean; reason?: string }>;
  abiOf(file: string): string | null;
  nodeBuildLoads(): boolean;
  electronTarget(): { version: string; abi: string } | null;
}
const root = path.resolve(import.meta.dirname, '..');
const script = path.join(root, 'scripts', 'build-electron-native.mjs');
const mod = (await import(script)) as BuildElectronNative;
const nodeBuild = path.join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
const VERSION = '0.0.0-custodian-test';

let server: http.Server;
let base: string;
const temp: string[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url?.startsWith('/ok/')) res.writeHead(200).end();
    else if (req.url?.startsWith('/slow/')) setTimeout(() => res.writeHead(200).end(), 5_000);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  temp.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

describe('childEnv', () => {
  it("drops npm's target settings (nodedir=/usr would build against Node's headers) and keeps the rest", () => {
    const env = mod.childEnv({
      npm_config_nodedir: '/usr',
      NPM_CONFIG_NODEDIR: '/usr',
      npm_config_target: '20.0.0',
      npm_config_runtime: 'node',
      npm_config_disturl: 'https://nodejs.org/dist',
      npm_config_dist_url: 'https://nodejs.org/dist',
      npm_config_arch: 'ia32',
      ELECTRON_RUN_AS_NODE: '1',
      npm_config_proxy: 'http://proxy:3128',
      npm_config_devdir: '/cache/node-gyp',
      PATH: '/usr/bin',
    });
    expect(env).toEqual({ npm_config_proxy: 'http://proxy:3128', npm_config_devdir: '/cache/node-gyp', PATH: '/usr/bin' });
  });
});

describe('checkHeadersReachable', () => {
  it('is ok when the headers answer', async () => {
    expect(await mod.checkHeadersReachable({ version: VERSION, distUrl: `${base}/ok`, env: {} })).toEqual({ ok: true });
  });

  it('names an HTTP error', async () => {
    const result = await mod.checkHeadersReachable({ version: VERSION, distUrl: `${base}/missing`, env: {} });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('HTTP 404') });
  });

  it('gives up after its timeout instead of hanging', async () => {
    const started = Date.now();
    const result = await mod.checkHeadersReachable({ version: VERSION, distUrl: `${base}/slow`, timeoutMs: 300, env: {} });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('no answer in 0.3 s') });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('names a refused connection', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await mod.checkHeadersReachable({ version: VERSION, distUrl: `http://127.0.0.1:${port}`, env: {} });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('ECONNREFUSED') });
  });
});

describe('the Node build in node_modules', () => {
  it('loads in Node, and abiOf reports Node’s ABI for it', () => {
    expect(mod.nodeBuildLoads()).toBe(true);
    expect(mod.abiOf(nodeBuild)).toBe(process.versions.modules);
    expect(mod.electronTarget()?.abi).toMatch(/^\d+$/);
    expect(mod.electronTarget()?.abi).not.toBe(process.versions.modules);
  });

  it('is untouched by a run that cannot reach the headers, which exits 0 with one line', async () => {
    const before = crypto.createHash('sha256').update(fs.readFileSync(nodeBuild)).digest('hex');
    const devdir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-gyp-devdir-'));
    temp.push(devdir);
    const env: NodeJS.ProcessEnv = { ...process.env, CUSTODIAN_ELECTRON_HEADERS_URL: `${base}/missing`, npm_config_devdir: devdir, npm_config_nodedir: '/usr' };
    for (const key of ['HTTPS_PROXY', 'https_proxy', 'npm_config_proxy', 'npm_config_https_proxy']) delete env[key];
    // Asynchronously: the headers server lives in this process and must keep answering.
    const result = await promisify(execFile)(process.execPath, [script], { cwd: root, encoding: 'utf8', timeout: 60_000, env });
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^custodian: SQLite for Electron (not built \(Electron [\d.]+ headers: HTTP 404|[\d.]+ \(ABI \d+, \w+\) is up to date)/);
    expect(crypto.createHash('sha256').update(fs.readFileSync(nodeBuild)).digest('hex')).toBe(before);
    expect(mod.nodeBuildLoads()).toBe(true);
  });
});
