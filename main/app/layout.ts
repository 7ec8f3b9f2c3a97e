// Where the Electron shell finds its parts (renderer, preload, worker bundle, migrations, contract artifacts)
// in a dev checkout and in a packaged app, and which data folder it opens.
// Pure path arithmetic so layout.test.ts pins both layouts.
import path from 'node:path';
import { resolveDataDir } from '../runtime/config';

export interface LayoutInput {
  isPackaged: boolean;
  /** app.getAppPath(): the repository root in dev, resources/app.asar when packaged. */
  appPath: string;
  /** process.resourcesPath: where electron-builder's extraResources land. */
  resourcesPath: string;
  /** The folder holding main.cjs, preload.cjs and job-worker.cjs (build/electron). */
  bundleDir: string;
}

export interface AppLayout {
  rendererDir: string;
  preloadPath: string;
  workerEntry: string;
  migrationsDir: string;
  artifactsDir: string;
}

export function appLayout(input: LayoutInput): AppLayout {
  const shipped = input.isPackaged ? input.resourcesPath : input.appPath;
  return {
    rendererDir: path.join(input.appPath, 'build', 'renderer'),
    preloadPath: path.join(input.bundleDir, 'preload.cjs'),
    workerEntry: path.join(input.bundleDir, 'job-worker.cjs'),
    migrationsDir: path.join(shipped, 'migrations'),
    artifactsDir: path.join(shipped, 'contracts', 'artifacts'),
  };
}

/** The value of --data-dir=<dir> or --data-dir <dir>, if given. */
export function dataDirFlag(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--data-dir=')) return arg.slice('--data-dir='.length) || undefined;
    if (arg === '--data-dir') {
      const next = argv[i + 1];
      return next && !next.startsWith('--') ? next : undefined;
    }
  }
  return undefined;
}

export interface DataDirChoice {
  dataDir: string;
  /** True when --data-dir or CUSTODIAN_HOME chose it; the Chromium profile then lives inside it too. */
  overridden: boolean;
}

/** --data-dir beats CUSTODIAN_HOME beats Electron's userData folder (the same folder the CLI uses by default). */
export function chooseDataDir(argv: readonly string[], env: NodeJS.ProcessEnv, userDataDir: string): DataDirChoice {
  const flag = dataDirFlag(argv);
  if (flag !== undefined || env.CUSTODIAN_HOME) return { dataDir: resolveDataDir(flag, env), overridden: true };
  return { dataDir: path.resolve(userDataDir), overridden: false };
}
