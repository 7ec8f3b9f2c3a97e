// postinstall's Electron fetch against fake electron packages: it must never fail npm install, never hang,
// and say what happened in at most one line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

interface EnsureElectron {
  ensureElectron(options: { dir: string; timeoutMs?: number; log: (line: string) => void }): Promise<'absent' | 'present' | 'skipped' | 'fetched' | 'failed'>;
  installedElectronBinary(dir: string): string | null;
  shortReason(output: string, fallback: string): string;
}
const root = path.resolve(import.meta.dirname, '..');
const script = path.join(root, 'scripts', 'ensure-electron.mjs');
const mod = (await import(script)) as EnsureElectron;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function fakeElectron(installJs: string | null, version = '40.10.2'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-fake-electron-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'electron', version }));
  if (installJs !== null) fs.writeFileSync(path.join(dir, 'install.js'), installJs);
  return dir;
}

const SUCCEEDS = `
const fs = require('fs'), path = require('path');
console.log('Downloading electron-v40.10.2-linux-x64.zip: [=====] 100%');
fs.mkdirSync(path.join(__dirname, 'dist'), { recursive: true });
fs.writeFileSync(path.join(__dirname, 'dist', 'electron'), '');
fs.writeFileSync(path.join(__dirname, 'dist', 'version'), 'v40.10.2');
fs.writeFileSync(path.join(__dirname, 'path.txt'), 'electron');
`;
const FAILS = `
console.error('RequestError: getaddrinfo ENOTFOUND github.com');
console.error('    at ClientRequest.<anonymous> (/x/node_modules/got/dist/source/core/index.js:970:111)');
console.error('    at Object.onceWrapper (node:events:639:26)');
process.exit(1);
`;
const HANGS = `setInterval(() => {}, 1000);`;

async function ensure(dir: string, timeoutMs?: number) {
  const lines: string[] = [];
  const outcome = await mod.ensureElectron({ dir, ...(timeoutMs ? { timeoutMs } : {}), log: (line) => lines.push(line) });
  return { outcome, lines };
}

describe('ensureElectron', () => {
  it('fetches through install.js and says so in one line', async () => {
    const dir = fakeElectron(SUCCEEDS);
    const { outcome, lines } = await ensure(dir);
    expect(outcome).toBe('fetched');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^custodian: Electron binary fetched/);
    expect(mod.installedElectronBinary(dir)).toBe(path.join(dir, 'dist', 'electron'));
  });

  it('skips quickly and silently when the binary is already there', async () => {
    const dir = fakeElectron(FAILS);
    fs.mkdirSync(path.join(dir, 'dist'));
    fs.writeFileSync(path.join(dir, 'dist', 'electron'), '');
    fs.writeFileSync(path.join(dir, 'dist', 'version'), 'v40.10.2');
    fs.writeFileSync(path.join(dir, 'path.txt'), 'electron');
    expect(await ensure(dir)).toEqual({ outcome: 'present', lines: [] });
  });

  it('fetches again when dist/ holds another version', async () => {
    const dir = fakeElectron(FAILS);
    fs.mkdirSync(path.join(dir, 'dist'));
    fs.writeFileSync(path.join(dir, 'dist', 'electron'), '');
    fs.writeFileSync(path.join(dir, 'dist', 'version'), 'v39.0.0');
    fs.writeFileSync(path.join(dir, 'path.txt'), 'electron');
    expect((await ensure(dir)).outcome).toBe('failed');
  });

  it('prints one line with the short reason when the download fails, and swallows the stack', async () => {
    const { outcome, lines } = await ensure(fakeElectron(FAILS));
    expect(outcome).toBe('failed');
    expect(lines).toEqual([
      'custodian: Electron binary not fetched (getaddrinfo ENOTFOUND github.com); `npm start` needs it — use `npm run serve` (browser mode) instead.',
    ]);
  });

  it('kills a download that hangs', async () => {
    const started = Date.now();
    const { outcome, lines } = await ensure(fakeElectron(HANGS), 500);
    expect(outcome).toBe('failed');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('download timed out after 0.5 s');
  });

  it('does nothing where the electron package is not installed (npm ci --omit=dev)', async () => {
    expect(await ensure(fakeElectron(null))).toEqual({ outcome: 'absent', lines: [] });
  });
});

describe('shortReason', () => {
  it.each([
    ['HTTPError: Response code 404 (Not Found) for https://github.com/x\n    at a', 'Response code 404 (Not Found) for https://github.com/x'],
    ['Error: EACCES: permission denied, mkdir \'/x/dist\'\n    at b', "EACCES: permission denied, mkdir '/x/dist'"],
    ['some noise\nlast words', 'last words'],
    ['', 'install.js exited with code 1'],
  ])('%j -> %s', (output, reason) => {
    expect(mod.shortReason(output, 'install.js exited with code 1')).toBe(reason);
  });
});

describe('scripts/ensure-electron.mjs', () => {
  it('exits 0 with at most one line, even when told not to download', () => {
    const result = spawnSync(process.execPath, [script], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n').filter(Boolean).length).toBeLessThanOrEqual(1);
  });
});
