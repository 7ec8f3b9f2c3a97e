// `npm start`: bundles the Electron shell, checks the two things a dev checkout may lack (the Electron binary,
// SQLite's N-API prebuild for this platform, which Node and Electron share), then runs Electron on the repository and passes its exit code through.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildElectron } from './build-electron.mjs';
import { electronDir, installedElectronBinary } from './ensure-electron.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const ELECTRON_MISSING =
  'custodian: Electron is not installed on this machine (its download failed at npm install). Run `npm run serve` for the same console in your browser.';
const { checkSqlitePrebuild } = createRequire(import.meta.url)('../build-resources/sqlite-prebuild.cjs');

/** One line naming why SQLite cannot open under Electron from this checkout. */
export const sqliteMissing = (reason) => `custodian: SQLite cannot load (${reason}). Run \`npm install\`, then \`npm run check:sqlite\`.`;

/**
 * Why Electron cannot start from this checkout, as one line, or null when it can. SQLite is checked without
 * loading it (the prebuild is there and N-API only); `npm run check:sqlite` also opens a database with it.
 */
export function preflight({ repoRoot = root, env = process.env, platform = process.platform, arch = process.arch } = {}) {
  if (!env.ELECTRON_OVERRIDE_DIST_PATH && !installedElectronBinary(electronDir(repoRoot))) return { ok: false, message: ELECTRON_MISSING };
  const sqlite = checkSqlitePrebuild({ projectDir: repoRoot, platform, arch, load: false });
  if (!sqlite.ok) return { ok: false, message: sqliteMissing(sqlite.reason) };
  return { ok: true };
}

function electronExecutable(env) {
  const dir = electronDir(root);
  const relative = fs.readFileSync(path.join(dir, 'path.txt'), 'utf8').trim();
  return env.ELECTRON_OVERRIDE_DIST_PATH ? path.join(env.ELECTRON_OVERRIDE_DIST_PATH, relative || 'electron') : path.join(dir, 'dist', relative);
}

async function main() {
  try {
    await buildElectron();
  } catch (err) {
    console.error(`custodian: Electron build failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const check = preflight();
  if (!check.ok) {
    console.error(check.message);
    return 1;
  }
  // ELECTRON_RUN_AS_NODE would turn Electron into plain Node and skip the app entirely.
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(electronExecutable(env), [root, ...process.argv.slice(2)], { stdio: 'inherit', env, windowsHide: false });
  const forward = (signal) => () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward(signal));
  return await new Promise((resolve) => {
    child.on('error', (err) => {
      console.error(`custodian: could not run Electron: ${err.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => {
      if (signal) {
        // Ended by a signal: end the same way so the caller (npm, a shell, CI) sees it.
        process.removeAllListeners(signal);
        process.kill(process.pid, signal);
      }
      resolve(code ?? 1);
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main();
}
