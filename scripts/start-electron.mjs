// `npm start`: bundles the Electron shell, checks the two things a dev checkout may lack (the Electron binary,
// the Electron-ABI SQLite build), then runs Electron on the repository and passes its exit code through.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildElectron } from './build-electron.mjs';
import { electronDir, installedElectronBinary } from './ensure-electron.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const ELECTRON_MISSING =
  'custodian: Electron is not installed on this machine (its download failed at npm install). Run `npm run serve` for the same console in your browser.';
export const NATIVE_MISSING =
  'custodian: SQLite is not built for Electron (native/electron/better_sqlite3.node is missing). Run `npm run build:electron-native` on a machine with internet access, or `npm run serve` for the browser console.';

/** Why Electron cannot start from this checkout, as one line, or null when it can. */
export function preflight({ repoRoot = root, env = process.env } = {}) {
  if (!env.ELECTRON_OVERRIDE_DIST_PATH && !installedElectronBinary(electronDir(repoRoot))) return { ok: false, message: ELECTRON_MISSING };
  const binding = env.CUSTODIAN_SQLITE_BINDING || path.join(repoRoot, 'native', 'electron', 'better_sqlite3.node');
  if (!fs.existsSync(binding)) return { ok: false, message: NATIVE_MISSING };
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
