// postinstall: fetches the Electron binary by running electron's own install.js (package.json keeps npm from
// running it: "allowScripts": {"electron": false}). Tolerant on purpose: where GitHub is unreachable it prints
// one line and exits 0, so `npm install` / `npm ci` still succeed and `npm run serve` (browser mode) works.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_TIMEOUT_MS = 120_000;

export function electronDir(repoRoot = root) {
  return path.join(repoRoot, 'node_modules', 'electron');
}

/**
 * The executable path.txt points at, if path.txt and that file exist and dist/ holds this package's version
 * (the same test electron's install.js makes before downloading).
 */
export function installedElectronBinary(dir = electronDir()) {
  try {
    const relative = fs.readFileSync(path.join(dir, 'path.txt'), 'utf8').trim();
    const binary = path.join(dir, 'dist', relative);
    const { version } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const distVersion = fs.readFileSync(path.join(dir, 'dist', 'version'), 'utf8').trim().replace(/^v/, '');
    return relative && distVersion === version && fs.existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

/** The most telling line of install.js's output: its first "SomethingError: message" line, else the last line. */
export function shortReason(output, fallback) {
  const lines = String(output)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('at '));
  const errorLine = lines.find((l) => /^[A-Za-z]*Error\b[^:]*:/.test(l));
  const chosen = (errorLine ?? lines.at(-1) ?? fallback).replace(/^[A-Za-z]*Error\b[^:]*:\s*/, '');
  return chosen.length > 140 ? `${chosen.slice(0, 137)}...` : chosen || fallback;
}

/**
 * Runs node_modules/electron/install.js in a child, output captured, killed after timeoutMs.
 * Resolves { ok: true } or { ok: false, reason }; never rejects.
 */
export function fetchElectron({ dir = electronDir(), timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  return new Promise((resolve) => {
    let output = '';
    let settled = false;
    const finish = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const child = spawn(process.execPath, [path.join(dir, 'install.js')], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const collect = (chunk) => {
      // Keep the tail only: a stack trace is enough to name the reason.
      output = (output + chunk.toString()).slice(-16_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ ok: false, reason: `download timed out after ${timeoutMs / 1000} s` });
    }, timeoutMs);
    child.on('error', (err) => finish({ ok: false, reason: err.message }));
    child.on('close', (code, signal) => {
      if (code === 0 && installedElectronBinary(dir)) finish({ ok: true });
      else finish({ ok: false, reason: shortReason(output, signal ? `install.js was killed by ${signal}` : `install.js exited with code ${code}`) });
    });
  });
}

export async function ensureElectron({ dir = electronDir(), timeoutMs, log = console.log } = {}) {
  // A production install (--omit=dev) has no Electron package at all: nothing to fetch, nothing to say.
  if (!fs.existsSync(path.join(dir, 'install.js'))) return 'absent';
  if (installedElectronBinary(dir)) return 'present';
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    log('custodian: Electron binary download skipped (ELECTRON_SKIP_BINARY_DOWNLOAD); `npm start` needs it — use `npm run serve` (browser mode) instead.');
    return 'skipped';
  }
  const result = await fetchElectron({ dir, ...(timeoutMs ? { timeoutMs } : {}) });
  if (result.ok) {
    log(`custodian: Electron binary fetched (${path.relative(root, installedElectronBinary(dir) ?? dir)}).`);
    return 'fetched';
  }
  log(`custodian: Electron binary not fetched (${result.reason}); \`npm start\` needs it — use \`npm run serve\` (browser mode) instead.`);
  return 'failed';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const fromEnv = Number(process.env.CUSTODIAN_ELECTRON_FETCH_TIMEOUT_MS);
  try {
    await ensureElectron({ ...(fromEnv > 0 ? { timeoutMs: fromEnv } : {}) });
  } catch (err) {
    console.log(`custodian: Electron binary not fetched (${err instanceof Error ? err.message : String(err)}); \`npm start\` needs it — use \`npm run serve\` (browser mode) instead.`);
  }
  // Always 0: a missing Electron must never fail `npm install` / `npm ci`.
  process.exit(0);
}
