// `npm run build:electron-native`: builds better-sqlite3 for Electron's ABI into its own file,
// native/electron/better_sqlite3.node, from a temporary copy of the package. node_modules keeps its Node build
// (tests, CLI, browser mode); electron-rebuild over node_modules would replace or, failing, delete it.
// Where Electron's headers cannot be downloaded it says so in one line and exits 0 (--strict: exit 1).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUTPUT_DIR = path.join(root, 'native', 'electron');
export const OUTPUT_FILE = path.join(OUTPUT_DIR, 'better_sqlite3.node');
const INFO_FILE = path.join(OUTPUT_DIR, 'build-info.json');
const LOG_FILE = path.join(root, 'build', 'electron-native.log');
const DEFAULT_DIST_URL = 'https://electronjs.org/headers';
const HEADERS_CHECK_TIMEOUT_MS = 15_000;
const COMPILE_TIMEOUT_MS = 15 * 60_000;

// npm passes its config to scripts as npm_config_*; this machine's ~/.npmrc sets nodedir=/usr, which would make
// node-gyp compile against Node's headers and label the result as Electron's. Never inherit these.
const TARGET_ENV_KEYS = ['nodedir', 'target', 'target_arch', 'arch', 'runtime', 'disturl', 'dist_url', 'build_from_source'];

export function childEnv(env = process.env) {
  const out = { ...env };
  for (const key of Object.keys(out)) {
    const m = /^npm_config_(.+)$/i.exec(key);
    if (m && TARGET_ENV_KEYS.includes(m[1].toLowerCase().replace(/-/g, '_'))) delete out[key];
  }
  delete out.ELECTRON_RUN_AS_NODE;
  return out;
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Electron's version and ABI from node_modules/electron, or null when Electron's package is not installed. */
export function electronTarget(repoRoot = root) {
  const dir = path.join(repoRoot, 'node_modules', 'electron');
  try {
    const { version } = readJson(path.join(dir, 'package.json'));
    const abi = fs.readFileSync(path.join(dir, 'abi_version'), 'utf8').trim();
    return { version, abi };
  } catch {
    return null;
  }
}

function headersCached(version) {
  // node-gyp keeps downloaded headers in its devdir (~/.cache/node-gyp/<version> on Linux/macOS).
  const devdir = process.env.npm_config_devdir ?? path.join(os.homedir(), process.platform === 'win32' ? 'AppData/Local/node-gyp/Cache' : '.cache/node-gyp');
  return fs.existsSync(path.join(devdir, version, 'include', 'node', 'common.gypi'));
}

/**
 * Whether Electron's headers can be downloaded, answered within timeoutMs. Skipped (true) when they are already
 * cached or a proxy is configured (Node's fetch ignores proxy variables; node-gyp honours them).
 */
export async function checkHeadersReachable({ version, distUrl = DEFAULT_DIST_URL, timeoutMs = HEADERS_CHECK_TIMEOUT_MS, env = process.env } = {}) {
  if (headersCached(version)) return { ok: true };
  if (env.HTTPS_PROXY || env.https_proxy || env.npm_config_proxy || env.npm_config_https_proxy) return { ok: true };
  const url = `${distUrl.replace(/\/$/, '')}/v${version}/node-v${version}-headers.tar.gz`;
  try {
    const res = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? { ok: true } : { ok: false, reason: `Electron ${version} headers: HTTP ${res.status} from ${new URL(url).host}` };
  } catch (err) {
    const cause = err?.cause?.code ?? err?.cause?.message ?? err?.name ?? 'error';
    const reason = err?.name === 'TimeoutError' ? `no answer in ${timeoutMs / 1000} s` : cause;
    return { ok: false, reason: `Electron ${version} headers unreachable at ${new URL(url).host}: ${reason}` };
  }
}

function run(command, args, { cwd, env, timeoutMs, logFile }) {
  return new Promise((resolve) => {
    const log = fs.openSync(logFile, 'a');
    // Own process group on POSIX, so a timeout ends node-gyp and the compilers it started.
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', log, log], detached: process.platform !== 'win32', windowsHide: true });
    const timer = setTimeout(() => {
      try {
        if (process.platform === 'win32') child.kill('SIGKILL');
        else process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      resolve({ ok: false, reason: `node-gyp timed out after ${timeoutMs / 60_000} min` });
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: err.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      fs.closeSync(log);
      resolve(code === 0 ? { ok: true } : { ok: false, reason: `node-gyp exited with code ${code}` });
    });
  });
}

/** Loading an Electron-ABI module in Node must fail naming Electron's ABI; if it loads, it was built for Node. */
export function abiOf(file) {
  const probe = spawnSync(process.execPath, ['-e', `try { require(${JSON.stringify(file)}); console.log('node') } catch (e) { console.log(e.message) }`], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  const out = probe.stdout ?? '';
  if (out.trim() === 'node') return process.versions.modules;
  return /NODE_MODULE_VERSION (\d+)\. This version of Node\.js requires/.exec(out)?.[1] ?? null;
}

/** Whether node_modules' own (Node) build still opens a database in plain Node. */
export function nodeBuildLoads(repoRoot = root) {
  const probe = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3-multiple-ciphers'))(':memory:').close()"], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
  return probe.status === 0;
}

function nodeGypCommand() {
  const local = path.join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (fs.existsSync(local)) return { command: process.execPath, prefix: [local] };
  return { command: process.platform === 'win32' ? 'npx.cmd' : 'npx', prefix: ['--yes', 'node-gyp'] };
}

export async function buildElectronNative({ arch = process.arch, force = false, distUrl = process.env.CUSTODIAN_ELECTRON_HEADERS_URL || DEFAULT_DIST_URL } = {}) {
  const target = electronTarget();
  if (!target) return { ok: false, reason: 'the electron package is not installed' };
  const sqlitePkg = path.join(root, 'node_modules', 'better-sqlite3-multiple-ciphers');
  if (!fs.existsSync(path.join(sqlitePkg, 'binding.gyp'))) return { ok: false, reason: 'node_modules/better-sqlite3 is not installed' };
  const sqliteVersion = readJson(path.join(sqlitePkg, 'package.json')).version;
  const info = { electron: target.version, abi: target.abi, arch, platform: process.platform, betterSqlite3: sqliteVersion };

  if (!force && fs.existsSync(OUTPUT_FILE) && fs.existsSync(INFO_FILE)) {
    const previous = readJson(INFO_FILE);
    if (Object.entries(info).every(([k, v]) => previous[k] === v)) return { ok: true, upToDate: true, info };
  }

  const reachable = await checkHeadersReachable({ version: target.version, distUrl });
  if (!reachable.ok) return { ok: false, reason: reachable.reason };

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-sqlite-electron-'));
  try {
    const copy = path.join(work, 'better-sqlite3-multiple-ciphers');
    // Sources only: the copy's build/ must not start from node_modules' Node objects.
    fs.cpSync(sqlitePkg, copy, { recursive: true, filter: (src) => path.relative(sqlitePkg, src).split(path.sep)[0] !== 'build' });
    fs.mkdirSync(path.dirname(LOG_FILE), { recursive: true });
    fs.writeFileSync(LOG_FILE, `better-sqlite3 ${sqliteVersion} for Electron ${target.version} (${process.platform}-${arch})\n`);
    const { command, prefix } = nodeGypCommand();
    const args = [...prefix, 'rebuild', '--release', `--target=${target.version}`, `--arch=${arch}`, `--dist-url=${distUrl}`, '--runtime=electron'];
    const built = await run(command, args, { cwd: copy, env: childEnv(), timeoutMs: COMPILE_TIMEOUT_MS, logFile: LOG_FILE });
    if (!built.ok) return { ok: false, reason: `${built.reason}; see build/electron-native.log` };
    const result = path.join(copy, 'build', 'Release', 'better_sqlite3.node');
    if (!fs.existsSync(result)) return { ok: false, reason: 'node-gyp produced no build/Release/better_sqlite3.node' };
    const abi = abiOf(result);
    if (arch === process.arch && abi !== target.abi) {
      return { ok: false, reason: `the module was built for ABI ${abi ?? 'unknown'}, not Electron's ${target.abi}` };
    }
    fs.mkdirSync(OUTPUT_DIR, { recursive: true });
    const temp = `${OUTPUT_FILE}.${process.pid}.tmp`;
    fs.copyFileSync(result, temp);
    fs.renameSync(temp, OUTPUT_FILE);
    fs.writeFileSync(INFO_FILE, `${JSON.stringify(info, null, 2)}\n`);
    return { ok: true, upToDate: false, info };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const arch = args.find((a) => a.startsWith('--arch='))?.slice('--arch='.length) ?? process.arch;
  const strict = args.includes('--strict');
  let result;
  try {
    result = await buildElectronNative({ arch, force: args.includes('--force') });
  } catch (err) {
    result = { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  if (result.ok) {
    const { electron, abi, arch: a } = result.info;
    console.log(`custodian: SQLite for Electron ${electron} (ABI ${abi}, ${a}) ${result.upToDate ? 'is up to date' : 'built'} in native/electron/better_sqlite3.node.`);
  } else {
    console.log(`custodian: SQLite for Electron not built (${result.reason}); \`npm start\` needs it — \`npm run serve\` works without it.`);
  }
  if (!nodeBuildLoads()) {
    console.error('custodian: node_modules/better-sqlite3 no longer loads in Node; run `npm rebuild better-sqlite3`.');
    process.exit(1);
  }
  process.exit(result.ok || !strict ? 0 : 1);
}
