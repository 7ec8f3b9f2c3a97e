// The built Electron shell, run where no Electron binary exists: build/electron/main.cjs is loaded in plain Node
// with a stand-in for the 'electron' module that records what the shell asks of it. It checks the wiring
// (window settings, app:// protocol, IPC and per-window sign-in, guards, start-up refusal, shutdown) against the real services and
// SQLite. Chromium's side (sandbox, CSP enforcement, contextBridge) cannot be exercised here.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { encryptKeystoreJson, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../main/db/connection';
import { openDataFolderDatabase } from '../main/db/key-store';
import { EventBus } from '../main/runtime/event-bus';
import { silentLogger } from '../main/runtime/log';
import { migrate } from '../main/db/migrate';
import { JobRunner } from '../main/workers/job-runner';

const root = path.resolve(import.meta.dirname, '..');
const { buildElectron } = (await import(path.join(root, 'scripts', 'build-electron.mjs'))) as {
  buildElectron(options: { outDir: string }): Promise<{ outputs: string[] }>;
};
const { preflight, ELECTRON_MISSING } = (await import(path.join(root, 'scripts', 'start-electron.mjs'))) as {
  preflight(options: { repoRoot: string; env: NodeJS.ProcessEnv; platform?: string; arch?: string }): { ok: boolean; message?: string };
  ELECTRON_MISSING: string;
};

// A recording stand-in for the parts of Electron's main-process API the shell uses.
const HARNESS = String.raw`
const Module = require('node:module');
const path = require('node:path');
const fs = require('node:fs');
const { EventEmitter } = require('node:events');
const [bundle, appPath, appData, scenario] = process.argv.slice(2);
const rec = { privileged: null, sandboxEnabled: false, windows: [], dialogs: [], exits: [], opened: [], ipcChannels: [], syncIpc: false, paths: {}, probes: {} };
const handlers = { ipc: {}, protocol: null, permission: null, permissionCheck: null, beforeRequest: null };
let finished = false;
function finish(code) {
  if (finished) return;
  finished = true;
  process.stdout.write('\nRESULT ' + JSON.stringify(rec) + '\n');
  process.exit(code);
}
const app = new EventEmitter();
Object.assign(app, {
  isPackaged: false,
  getAppPath: () => appPath,
  getPath: (name) => rec.paths[name] ?? path.join(appData, name),
  setPath: (name, value) => { rec.paths[name] = value; },
  whenReady: () => Promise.resolve(),
  enableSandbox: () => { rec.sandboxEnabled = true; },
  requestSingleInstanceLock: () => true,
  quit() {
    const event = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    app.emit('before-quit', event);
    if (!event.defaultPrevented) { rec.quitCompleted = true; finish(0); }
  },
  exit(code) { rec.exits.push(code); finish(code); },
});
let nextId = 1;
class WebContents extends EventEmitter {
  constructor() { super(); this.id = nextId++; this.url = ''; this.sent = []; }
  setWindowOpenHandler(h) { this.windowOpenHandler = h; }
  isDestroyed() { return false; }
  getURL() { return this.url; }
  send(channel, message) { this.sent.push([channel, message]); rec.pushed = (rec.pushed || []).concat([[channel, message]]); }
}
class BrowserWindow extends EventEmitter {
  static all = [];
  static getAllWindows() { return BrowserWindow.all; }
  constructor(options) {
    super();
    this.webContents = new WebContents();
    BrowserWindow.all.push(this);
    rec.windows.push(options);
    app.emit('web-contents-created', {}, this.webContents);
  }
  loadURL(url) { this.webContents.url = url; rec.loadedUrl = url; setImmediate(() => this.emit('ready-to-show')); return Promise.resolve(); }
  show() { rec.shown = true; }
  isMinimized() { return false; }
  restore() {}
  focus() {}
}
const fake = {
  app,
  BrowserWindow,
  dialog: { showErrorBox: (title, message) => rec.dialogs.push({ title, message }) },
  ipcMain: {
    handle: (channel, fn) => { handlers.ipc[channel] = fn; rec.ipcChannels.push(channel); },
    removeHandler: () => {},
    on: () => { rec.syncIpc = true; },
  },
  protocol: {
    registerSchemesAsPrivileged: (list) => { rec.privileged = list; },
    handle: (scheme, fn) => { rec.protocolScheme = scheme; handlers.protocol = fn; },
  },
  session: {
    defaultSession: {
      setPermissionRequestHandler: (h) => { handlers.permission = h; },
      setPermissionCheckHandler: (h) => { handlers.permissionCheck = h; },
      setDevicePermissionHandler: (h) => { handlers.device = h; },
      webRequest: { onBeforeRequest: (h) => { handlers.beforeRequest = h; }, onHeadersReceived: (h) => { handlers.headers = h; } },
    },
  },
  shell: { openExternal: async (url) => { rec.opened.push(url); } },
  // A stand-in OS keychain: reversible, but the stored text is not the plain text (as with the real one).
  safeStorage: {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => 'gnome_libsecret',
    encryptString: (plain) => { rec.sealCalls = (rec.sealCalls || 0) + 1; return Buffer.from('kc:' + Buffer.from(plain, 'utf8').reverse().toString('base64')); },
    decryptString: (sealed) => Buffer.from(sealed.toString().slice(3), 'base64').reverse().toString('utf8'),
  },
};
const load = Module._load;
Module._load = function (request, ...rest) { return request === 'electron' ? fake : load.call(this, request, ...rest); };
// Which native modules the bundle loads; the 'sqlite-unloadable' scenario makes SQLite's fail as a damaged file would.
rec.nativeModules = [];
const loadNative = Module._extensions['.node'];
Module._extensions['.node'] = function (module, filename) {
  rec.nativeModules.push(filename);
  if (scenario === 'sqlite-unloadable' && filename.includes('better-sqlite3-multiple-ciphers')) {
    throw Object.assign(new Error(filename + ': invalid ELF header'), { code: 'ERR_DLOPEN_FAILED' });
  }
  return loadNative.call(this, module, filename);
};

async function until(check, ms) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function drive() {
  await until(() => rec.windows.length > 0 || rec.exits.length > 0, 30000);
  if (rec.exits.length) return;
  const win = BrowserWindow.all[0];
  const page = await handlers.protocol(new Request('app://custodian/index.html'));
  rec.probes.page = { status: page.status, csp: page.headers.get('content-security-policy'), hasRoot: (await page.text()).includes('id="root"') };
  const escape = await handlers.protocol(new Request('app://custodian/..%2f..%2fpackage.json'));
  rec.probes.escapeStatus = escape.status;
  const invoke = handlers.ipc['custodian:invoke'];
  const appFrame = { url: 'app://custodian/index.html', parent: null };
  const other = new WebContents();
  rec.probes.status = await invoke({ senderFrame: appFrame, sender: win.webContents }, 'system.status', {});
  rec.probes.forged = await invoke({ senderFrame: { url: 'https://evil.example/', parent: null }, sender: win.webContents }, 'system.status', {});
  rec.probes.unknown = await invoke({ senderFrame: appFrame, sender: win.webContents }, 'fs.readFile', { path: '/etc/passwd' });
  // Sign-in is per window: the session token stays in main, keyed by the window's webContents.
  rec.probes.staffBefore = await invoke({ senderFrame: appFrame, sender: win.webContents }, 'staff.list', {});
  rec.probes.setup = await invoke({ senderFrame: appFrame, sender: win.webContents }, 'auth.setup', { username: 'it.admin', displayName: 'IT Admin', password: 'correct horse battery staple 42' });
  rec.probes.staffAfter = await invoke({ senderFrame: appFrame, sender: win.webContents }, 'staff.list', {});
  rec.probes.staffOtherWindow = await invoke({ senderFrame: appFrame, sender: other }, 'staff.list', {});
  const nav = (url) => { const e = { url, prevented: false, preventDefault() { this.prevented = true; } }; win.webContents.emit('will-navigate', e, url); return e.prevented; };
  rec.probes.navigateAway = nav('https://example.org/');
  rec.probes.navigateFile = nav('file:///etc/passwd');
  rec.probes.navigateInside = nav('app://custodian/index.html#/audit');
  rec.probes.windowOpen = win.webContents.windowOpenHandler({ url: 'javascript:alert(1)' });
  let granted = null;
  handlers.permission(win.webContents, 'media', (g) => { granted = g; }, {});
  rec.probes.permissionGranted = granted;
  let cancel = null;
  handlers.beforeRequest({ url: 'https://cdn.example/x.js' }, (r) => { cancel = r.cancel; });
  rec.probes.remoteCancelled = cancel;
  if (scenario === 'external-signer') {
    const call = (channel, input) => invoke({ senderFrame: appFrame, sender: win.webContents }, channel, input);
    rec.probes.signerBefore = await call('signer.status', {});
    rec.probes.sealWrong = await call('signer.seal', { passphrase: 'not the passphrase' });
    rec.probes.sealedAfterWrong = fs.existsSync(path.join(process.env.CUSTODIAN_HOME, 'secrets', 'signing-key.sealed'));
    rec.probes.seal = await call('signer.seal', { passphrase: process.env.HARNESS_KEYSTORE_PASSPHRASE });
    rec.probes.signerAfter = await call('signer.status', {});
  }
  if (scenario === 'embedded-chain') {
    await until(() => (win.webContents.sent || []).some(([, m]) => m.event === 'chain.connection' && m.payload.state === 'connected'), 45000);
    const endpoint = JSON.parse(fs.readFileSync(path.join(process.env.CUSTODIAN_HOME, 'chain', 'endpoint.json'), 'utf8'));
    rec.probes.anvilPid = endpoint.pid;
  }
  app.quit();
}
require(bundle);
drive().catch((err) => { rec.harnessError = String(err && err.stack || err); finish(2); });
`;

interface Recorded {
  privileged: { scheme: string; privileges: Record<string, boolean> }[];
  sandboxEnabled: boolean;
  windows: { webPreferences: Record<string, unknown> }[];
  dialogs: { title: string; message: string }[];
  exits: number[];
  opened: string[];
  ipcChannels: string[];
  syncIpc: boolean;
  paths: Record<string, string>;
  loadedUrl?: string;
  shown?: boolean;
  quitCompleted?: boolean;
  pushed?: [string, { event: string }][];
  harnessError?: string;
  sealCalls?: number;
  nativeModules: string[];
  probes: Record<string, unknown> & { anvilPid?: number };
}

let work: string;
let bundleDir: string;
let harness: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-shell-'));
  // Inside the checkout, so the bundles resolve better-sqlite3 from node_modules as build/electron's do.
  bundleDir = fs.mkdtempSync(path.join(root, 'build', 'electron-shell-test-'));
  await buildElectron({ outDir: bundleDir });
  harness = path.join(work, 'harness.cjs');
  fs.writeFileSync(harness, HARNESS);
});
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(bundleDir, { recursive: true, force: true });
});

async function runShell(scenario: string, env: NodeJS.ProcessEnv): Promise<{ code: number; rec: Recorded; stderr: string }> {
  const appData = path.join(work, `appdata-${scenario}`);
  const childEnv: NodeJS.ProcessEnv = { ...process.env, CUSTODIAN_CHAIN: 'none', ...env };
  for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
  let stdout = '';
  let stderr = '';
  let code = 0;
  try {
    ({ stdout, stderr } = await promisify(execFile)(process.execPath, [harness, path.join(bundleDir, 'main.cjs'), root, appData, scenario], { cwd: root, env: childEnv, timeout: 90_000 }));
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    ({ code, stdout, stderr } = e);
  }
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no result from the shell (exit ${code}): ${stderr.slice(-2000)}`);
  return { code, rec: JSON.parse(line.slice('RESULT '.length)) as Recorded, stderr };
}

describe('build/electron bundles', () => {
  it('the preload needs nothing but electron; main and worker keep the SQLite package external', () => {
    const preload = fs.readFileSync(path.join(bundleDir, 'preload.cjs'), 'utf8');
    expect([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(preload).not.toMatch(/ipcRenderer\.send\b|sendSync/);
    for (const file of ['main.cjs', 'job-worker.cjs']) {
      const text = fs.readFileSync(path.join(bundleDir, file), 'utf8');
      const required = new Set([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!));
      const packages = [...required].filter((m) => !m.startsWith('node:') && !builtinModules.includes(m));
      // External, so the package finds its N-API prebuild beside its own lib/ (a bundle would move __dirname).
      expect(packages.sort(), file).toEqual(file === 'main.cjs' ? ['better-sqlite3-multiple-ciphers', 'electron'] : ['better-sqlite3-multiple-ciphers']);
    }
  });

  it('the bundled job worker runs a job in a worker thread against real SQLite', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'jobs-'));
    const dbPath = path.join(dir, 'custodian.sqlite');
    const db = openDatabase(dbPath);
    try {
      migrate(db);
      const jobs = new JobRunner({ db, dbPath, events: new EventBus(), log: silentLogger, workerEntry: path.join(bundleDir, 'job-worker.cjs') });
      const started = jobs.start('db.backup', { destination: path.join(dir, 'backup.sqlite') });
      expect(await jobs.waitFor(started.id)).toMatchObject({ state: 'succeeded' });
      expect(fs.statSync(path.join(dir, 'backup.sqlite')).size).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});

describe('main.cjs under a stand-in Electron', () => {
  it('starts the services, opens one hardened window on app://, answers IPC from the app only, and stops on quit', async () => {
    const dataDir = path.join(work, 'data-start');
    const { code, rec } = await runShell('start', { CUSTODIAN_HOME: dataDir });
    expect(rec.harnessError).toBeUndefined();
    expect(code).toBe(0);
    expect(rec.dialogs).toEqual([]);
    // SQLite's own N-API prebuild for this platform, the same file Node loads: nothing built for Electron.
    expect(rec.nativeModules).toEqual([path.join(root, 'node_modules', 'better-sqlite3-multiple-ciphers', 'prebuilds', `${process.platform}-${process.arch}.node`)]);
    expect(rec.privileged).toEqual([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }]);
    expect(rec.sandboxEnabled).toBe(true);
    expect(rec.windows).toHaveLength(1);
    expect(rec.windows[0]!.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      preload: path.join(bundleDir, 'preload.cjs'),
    });
    expect(rec.loadedUrl).toBe('app://custodian/index.html');
    expect(rec.shown).toBe(true);
    expect(rec.ipcChannels).toEqual(['custodian:invoke']);
    expect(rec.syncIpc).toBe(false);
    // --data-dir / CUSTODIAN_HOME also moves the Chromium profile, so one console runs per data folder.
    expect(rec.paths.userData).toBe(path.join(dataDir, 'electron-profile'));
    expect(fs.existsSync(path.join(dataDir, 'custodian.sqlite'))).toBe(true);

    expect(rec.probes.page).toEqual({ status: 200, csp: expect.stringContaining("default-src 'self'"), hasRoot: true });
    expect(rec.probes.escapeStatus).toBe(403);
    expect(rec.probes.status).toMatchObject({ ok: true, value: { app: { runtime: 'electron' } } });
    expect(rec.probes.forged).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_SENDER' } });
    expect(rec.probes.unknown).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    expect(rec.probes.staffBefore).toMatchObject({ ok: false, error: { code: 'NOT_AUTHENTICATED' } });
    expect(rec.probes.setup).toMatchObject({ ok: true, value: { principal: { role: 'it_admin' } } });
    expect(JSON.stringify(rec.probes.setup)).not.toMatch(/token/i);
    expect(rec.probes.staffAfter).toMatchObject({ ok: true, value: [{ username: 'it.admin' }] });
    expect(rec.probes.staffOtherWindow).toMatchObject({ ok: false, error: { code: 'NOT_AUTHENTICATED' } });
    expect(rec.probes.navigateAway).toBe(true);
    expect(rec.probes.navigateFile).toBe(true);
    expect(rec.probes.navigateInside).toBe(false);
    expect(rec.opened).toEqual(['https://example.org/']);
    expect(rec.probes.windowOpen).toEqual({ action: 'deny' });
    expect(rec.probes.permissionGranted).toBe(false);
    expect(rec.probes.remoteCancelled).toBe(true);
    expect(rec.quitCompleted).toBe(true);
  });

  it('hands the OS keychain (safeStorage) to the services: a real network\'s key is sealed once, then used without a passphrase', async () => {
    const dataDir = path.join(work, 'data-signer');
    const wallet = Wallet.createRandom();
    const keystore = path.join(work, 'signer-keystore.json');
    fs.writeFileSync(keystore, await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, 'keystore passphrase 7', { scrypt: { N: 1 << 10 } }));
    const contracts = { ConsentLedger: `0x${'11'.repeat(20)}`, AuditAnchor: `0x${'22'.repeat(20)}`, CredentialRegistry: `0x${'33'.repeat(20)}` };
    const { code, rec } = await runShell('external-signer', {
      CUSTODIAN_HOME: dataDir,
      CUSTODIAN_CHAIN: undefined,
      CUSTODIAN_RPC_URL: 'http://127.0.0.1:9',
      CUSTODIAN_CHAIN_ID: '31337',
      CUSTODIAN_CONTRACTS: JSON.stringify(contracts),
      CUSTODIAN_KEYSTORE: keystore,
      CUSTODIAN_KEYSTORE_PASSPHRASE: undefined,
      HARNESS_KEYSTORE_PASSPHRASE: 'keystore passphrase 7',
    });
    expect(rec.harnessError).toBeUndefined();
    expect(code).toBe(0);
    expect(rec.probes.signerBefore).toMatchObject({ ok: true, value: { mode: 'external', source: 'none', canSeal: true, backend: 'gnome_libsecret', sealed: null } });
    expect(rec.probes.sealWrong).toMatchObject({ ok: false, error: { code: 'SYNC_SIGNER_UNAVAILABLE', message: expect.stringMatching(/wrong passphrase/) } });
    expect(rec.probes.sealedAfterWrong).toBe(false);
    expect(rec.probes.seal).toMatchObject({ ok: true, value: { address: wallet.address } });
    expect(rec.probes.signerAfter).toMatchObject({ ok: true, value: { source: 'sealed', sealed: { address: wallet.address } } });
    // Two seals in all: the database key at the folder's first start (encryption at rest), then the signing key once.
    expect(rec.sealCalls).toBe(2);
    const sealedFile = fs.readFileSync(path.join(dataDir, 'secrets', 'signing-key.sealed'), 'utf8');
    expect(sealedFile).not.toContain(wallet.privateKey.slice(2));
    for (const text of [JSON.stringify(rec.probes), fs.readFileSync(path.join(dataDir, 'custodian.log'), 'utf8')]) {
      expect(text).not.toContain(wallet.privateKey.slice(2));
      expect(text).not.toContain('keystore passphrase 7');
    }
  });

  it('refuses to start on an edited migration: error box, exit 1, no window', async () => {
    const dataDir = path.join(work, 'data-edited');
    expect((await runShell('start', { CUSTODIAN_HOME: dataDir })).code).toBe(0);
    const db = openDataFolderDatabase(dataDir);
    db.prepare(`UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1`).run();
    db.close();
    const { code, rec } = await runShell('start', { CUSTODIAN_HOME: dataDir });
    expect(code).toBe(1);
    expect(rec.windows).toEqual([]);
    expect(rec.dialogs).toHaveLength(1);
    expect(rec.dialogs[0]!.title).toBe('Custodian cannot open its database');
    expect(rec.dialogs[0]!.message).toContain('DB_MIGRATION_EDITED');
  });

  it('refuses to start from a database written by a newer version', async () => {
    const dataDir = path.join(work, 'data-future');
    expect((await runShell('start', { CUSTODIAN_HOME: dataDir })).code).toBe(0);
    const db = openDataFolderDatabase(dataDir);
    db.prepare(`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, '0999_future.sql', 'x', 'now')`).run();
    db.close();
    const { code, rec } = await runShell('start', { CUSTODIAN_HOME: dataDir });
    expect(code).toBe(1);
    expect(rec.windows).toEqual([]);
    expect(rec.dialogs[0]!.message).toContain('DB_FROM_FUTURE');
  });

  it('when SQLite\'s native binding does not load, names it in an error box and quits without a window', async () => {
    const { code, rec } = await runShell('sqlite-unloadable', { CUSTODIAN_HOME: path.join(work, 'data-native') });
    expect(code).toBe(1);
    expect(rec.windows).toEqual([]);
    expect(rec.dialogs).toHaveLength(1);
    expect(rec.dialogs[0]!.title).toBe('Custodian: SQLite could not be loaded');
    expect(rec.dialogs[0]!.message).toContain('invalid ELF header');
    expect(rec.dialogs[0]!.message).toContain('npm run check:sqlite');
  });

  const artifactsBuilt = ['ConsentLedger', 'AuditAnchor', 'CredentialRegistry'].every((n) => fs.existsSync(path.join(root, 'contracts', 'artifacts', `${n}.json`)));
  it.runIf(artifactsBuilt)('with the embedded chain: pushes its connection to the window and stops anvil by its PID on quit', async () => {
    const dataDir = path.join(work, 'data-chain');
    const { code, rec } = await runShell('embedded-chain', { CUSTODIAN_HOME: dataDir, CUSTODIAN_CHAIN: undefined });
    expect(rec.harnessError).toBeUndefined();
    expect(code).toBe(0);
    expect(rec.pushed?.some(([channel, m]) => channel === 'custodian:event' && m.event === 'chain.connection')).toBe(true);
    const pid = rec.probes.anvilPid!;
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(fs.existsSync(path.join(dataDir, 'chain', 'endpoint.json'))).toBe(false);
  }, 120_000);
});

describe('start-electron preflight', () => {
  it('names the missing Electron binary first, then a missing or non-N-API SQLite prebuild', () => {
    const repo = fs.mkdtempSync(path.join(work, 'repo-'));
    fs.mkdirSync(path.join(repo, 'node_modules', 'electron'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'node_modules', 'electron', 'package.json'), JSON.stringify({ version: '40.10.2' }));
    expect(preflight({ repoRoot: repo, env: {} })).toEqual({ ok: false, message: ELECTRON_MISSING });
    fs.mkdirSync(path.join(repo, 'node_modules', 'electron', 'dist'));
    fs.writeFileSync(path.join(repo, 'node_modules', 'electron', 'dist', 'electron'), '');
    fs.writeFileSync(path.join(repo, 'node_modules', 'electron', 'dist', 'version'), 'v40.10.2');
    fs.writeFileSync(path.join(repo, 'node_modules', 'electron', 'path.txt'), 'electron');
    const target = { repoRoot: repo, env: {}, platform: 'linux', arch: 'x64' };
    expect(preflight(target)).toEqual({ ok: false, message: expect.stringMatching(/prebuilds\/linux-x64\.node is missing.*npm run check:sqlite/) });
    const prebuild = path.join(repo, 'node_modules', 'better-sqlite3-multiple-ciphers', 'prebuilds', 'linux-x64.node');
    fs.mkdirSync(path.dirname(prebuild), { recursive: true });
    // A module built against one runtime's ABI (Node's registration symbol) would not load under Electron.
    fs.writeFileSync(prebuild, 'ELF...napi_register_module_v1...node_register_module_v137...');
    expect(preflight(target)).toEqual({ ok: false, message: expect.stringContaining("tied to one runtime's ABI (node_register_module_v)") });
    fs.writeFileSync(prebuild, 'ELF...napi_register_module_v1...');
    expect(preflight(target)).toEqual({ ok: true });
    expect(ELECTRON_MISSING).toContain('npm run serve');
  });
});
