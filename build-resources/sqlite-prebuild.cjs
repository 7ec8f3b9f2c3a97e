// SQLite's native binding comes prebuilt with better-sqlite3-multiple-ciphers (prebuilds/<platform>-<arch>.node)
// as an N-API module: one file loads in Node and in Electron alike, so nothing is compiled for Electron's ABI.
// This checks, for one target, that the prebuild is there and is N-API only (a module linked against Node's or
// V8's C++ symbols would load in one runtime and fail in the other), and on the machine's own target that it
// opens a database with the cipher extension. Used by `npm run check:sqlite`, `npm start`'s preflight and the beforePack hook.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const PACKAGE = 'better-sqlite3-multiple-ciphers';
// builder-util's Arch enum: ia32 = 0, x64 = 1, armv7l = 2, arm64 = 3, universal = 4.
const ARCH_NAMES = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'];
const PLATFORMS = { linux: 'linux', darwin: 'darwin', mas: 'darwin', win32: 'win32' };
const ARCHS = new Set(['x64', 'arm64']);

// The export every N-API module has, in ELF, Mach-O (with a leading underscore) and PE alike.
const NAPI_EXPORT = 'napi_register_module_v1';
// Names only a module tied to one runtime's ABI carries: Node's registration entry points and mangled Node/V8
// C++ symbols (Itanium and MSVC manglings).
const ABI_BOUND = ['node_module_register', 'node_register_module_v', '_ZN2v8', '_ZN4node', '@v8@@', '@node@@'];

/** The prebuild for a target (Electron ships glibc on Linux, so never the musl one). */
function prebuildPath(projectDir, platform, arch) {
  const archName = typeof arch === 'number' ? ARCH_NAMES[arch] : arch;
  const target = PLATFORMS[platform];
  if (!target || !ARCHS.has(archName)) {
    throw new Error(`SQLite is prebuilt only for x64 and arm64 on Linux, macOS and Windows, not ${platform}/${archName}.`);
  }
  return path.join(projectDir, 'node_modules', PACKAGE, 'prebuilds', `${target}-${archName}.node`);
}

/** Whether a native module is N-API only, read from its bytes (symbol names are plain strings in all three formats). */
function inspectBinary(bytes) {
  const has = (name) => bytes.includes(Buffer.from(name, 'latin1'));
  return { napi: has(NAPI_EXPORT), abiBound: ABI_BOUND.filter(has) };
}

/** Opens a database through the package in a child Node and asks for the cipher's version: the prebuild loads and is SQLCipher-capable. */
function loadsInNode(projectDir) {
  const probe = `const D = require(${JSON.stringify(PACKAGE)}); const db = new D(':memory:'); ` +
    `const r = db.prepare('select sqlite_version() v, sqlite3mc_version() mc').get(); db.close(); console.log(r.v + ', ' + r.mc)`;
  const run = spawnSync(process.execPath, ['-e', probe], { cwd: projectDir, encoding: 'utf8', timeout: 60_000 });
  if (run.status === 0) return { ok: true, sqliteVersion: run.stdout.trim() };
  const why = (run.stderr || run.error?.message || `exit ${run.status}`).trim().split('\n').find((l) => /Error/.test(l)) ?? 'it did not load';
  return { ok: false, reason: why };
}

/**
 * {ok, file} or {ok: false, reason}. load: also open a database with it (only possible on the machine's own
 * platform and arch; the default there).
 */
function checkSqlitePrebuild({ projectDir, platform = process.platform, arch = process.arch, load } = {}) {
  let file;
  try {
    file = prebuildPath(projectDir, platform, arch);
  } catch (err) {
    return { ok: false, reason: err.message };
  }
  const shown = path.relative(projectDir, file);
  if (!fs.existsSync(file)) return { ok: false, file, reason: `${shown} is missing (run \`npm install\`)` };
  const { napi, abiBound } = inspectBinary(fs.readFileSync(file));
  if (!napi) return { ok: false, file, reason: `${shown} is not an N-API module (no ${NAPI_EXPORT})` };
  if (abiBound.length) return { ok: false, file, reason: `${shown} is tied to one runtime's ABI (${abiBound.join(', ')}); Electron could not load it` };
  const archName = typeof arch === 'number' ? ARCH_NAMES[arch] : arch;
  const native = PLATFORMS[platform] === process.platform && archName === process.arch;
  if (load ?? native) {
    const loaded = loadsInNode(projectDir);
    if (!loaded.ok) return { ok: false, file, reason: `${shown} did not load: ${loaded.reason}` };
    return { ok: true, file, sqliteVersion: loaded.sqliteVersion };
  }
  return { ok: true, file };
}

module.exports = { checkSqlitePrebuild, inspectBinary, prebuildPath, PACKAGE };

if (require.main === module) {
  const projectDir = path.resolve(__dirname, '..');
  const result = checkSqlitePrebuild({ projectDir });
  if (result.ok) {
    console.log(`custodian: SQLite ${result.sqliteVersion} (N-API prebuild ${path.relative(projectDir, result.file)}) loads; Node and Electron share it.`);
  } else {
    console.error(`custodian: SQLite prebuild check failed: ${result.reason}`);
    process.exit(1);
  }
}
