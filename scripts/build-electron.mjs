// Bundles the Electron shell with esbuild: main/app/main.ts -> build/electron/main.cjs (package.json "main"),
// the sandboxed preload -> preload.cjs, and the job worker -> job-worker.cjs (given to the job runner as
// workerEntry). `npm run build:electron`; also run by `npm start`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ELECTRON_BUILD_DIR = path.join(root, 'build', 'electron');

// Loaded at run time, never bundled: Electron itself, the SQLite package (it finds its N-API prebuild next to its
// own lib/, which a bundle would move) and ws's optional native helpers pulled in through ethers.
const NODE_EXTERNALS = ['electron', 'better-sqlite3-multiple-ciphers', '*.node', 'bufferutil', 'utf-8-validate'];

/** What a sandboxed preload may require; anything else would fail at run time with "module not found". */
const PRELOAD_ALLOWED_REQUIRES = new Set(['electron']);

const common = {
  bundle: true,
  format: /** @type {const} */ ('cjs'),
  sourcemap: /** @type {const} */ ('linked'),
  legalComments: /** @type {const} */ ('none'),
  logLevel: /** @type {const} */ ('warning'),
  absWorkingDir: root,
  metafile: true,
};

// A CommonJS bundle has no import.meta. The services that use import.meta.url (migrate.ts, artifacts.ts,
// anvil.ts, job-runner.ts) only do so when no explicit path is given, and the shell always gives one
// (migrationsDir, workerEntry, CUSTODIAN_ARTIFACTS_DIR) or they already fall back when it is undefined.
// Defining it as undefined says so explicitly instead of pointing it at the bundle, which would make
// '../../migrations' resolve by accident in dev and silently wrong when packaged.
const noImportMeta = { 'import.meta.url': 'undefined' };

/** esbuild options for a Node-side bundle exactly as the shell's main and worker bundles are built. */
export const nodeBundleOptions = {
  ...common,
  outExtension: { '.js': '.cjs' },
  platform: /** @type {const} */ ('node'),
  target: 'node22',
  external: NODE_EXTERNALS,
  define: noImportMeta,
};

/**
 * Bundles one more module the way main.cjs is bundled (CommonJS, no import.meta, the same externals), so a test or
 * benchmark can call into the code path the desktop app runs: `{ entryPoints: { name: 'main/x.ts' }, outdir }`.
 */
export async function buildNodeBundle({ entryPoints, outdir }) {
  fs.mkdirSync(outdir, { recursive: true });
  await build({ ...nodeBundleOptions, entryPoints, outdir });
  return Object.keys(entryPoints).map((name) => path.join(outdir, `${name}.cjs`));
}

export async function buildElectron({ outDir = ELECTRON_BUILD_DIR } = {}) {
  fs.mkdirSync(outDir, { recursive: true });
  const [mainResult, workerResult, preloadResult] = await Promise.all([
    build({
      ...nodeBundleOptions,
      entryPoints: { main: 'main/app/main.ts' },
      outdir: outDir,
    }),
    build({
      ...nodeBundleOptions,
      entryPoints: { 'job-worker': 'main/compose/job-worker.ts' },
      outdir: outDir,
    }),
    build({
      ...common,
      entryPoints: { preload: 'main/app/preload.ts' },
      outdir: outDir,
      outExtension: { '.js': '.cjs' },
      // The sandboxed preload runs in a renderer with a tiny require(): browser platform, only 'electron' external.
      platform: 'browser',
      target: 'chrome140',
      external: ['electron'],
    }),
  ]);
  checkPreloadImports(preloadResult.metafile);
  return { outDir, outputs: [mainResult, workerResult, preloadResult].flatMap((r) => Object.keys(r.metafile.outputs)) };
}

/** Fails the build if the preload would require anything but 'electron' (a sandboxed preload cannot). */
function checkPreloadImports(metafile) {
  for (const [file, output] of Object.entries(metafile.outputs)) {
    for (const imp of output.imports ?? []) {
      if (imp.external && !PRELOAD_ALLOWED_REQUIRES.has(imp.path)) {
        throw new Error(`${file} requires '${imp.path}': a sandboxed preload may require only 'electron'. Import types only.`);
      }
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const { outputs } = await buildElectron();
    const bundles = outputs.filter((f) => f.endsWith('.cjs')).map((f) => path.basename(f));
    console.log(`custodian: Electron bundles built in build/electron (${bundles.join(', ')}).`);
  } catch (err) {
    console.error(`custodian: Electron build failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
