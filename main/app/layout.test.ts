import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import { appLayout, chooseDataDir, dataDirFlag } from './layout';
import { describeStartupFailure } from './startup-failure';

describe('appLayout', () => {
  it('dev: everything from the checkout', () => {
    const repo = path.resolve('/work/main');
    const layout = appLayout({ isPackaged: false, appPath: repo, resourcesPath: '/opt/electron/resources', bundleDir: path.join(repo, 'build/electron') });
    expect(layout).toEqual({
      rendererDir: path.join(repo, 'build/renderer'),
      preloadPath: path.join(repo, 'build/electron/preload.cjs'),
      workerEntry: path.join(repo, 'build/electron/job-worker.cjs'),
      migrationsDir: path.join(repo, 'migrations'),
      artifactsDir: path.join(repo, 'contracts/artifacts'),
    });
  });

  it('packaged: bundles and renderer in app.asar, migrations and artifacts from resources', () => {
    const resources = path.resolve('/opt/Custodian/resources');
    const asar = path.join(resources, 'app.asar');
    const layout = appLayout({ isPackaged: true, appPath: asar, resourcesPath: resources, bundleDir: path.join(asar, 'build/electron') });
    expect(layout.rendererDir).toBe(path.join(asar, 'build/renderer'));
    expect(layout.preloadPath).toBe(path.join(asar, 'build/electron/preload.cjs'));
    expect(layout.workerEntry).toBe(path.join(asar, 'build/electron/job-worker.cjs'));
    expect(layout.migrationsDir).toBe(path.join(resources, 'migrations'));
    expect(layout.artifactsDir).toBe(path.join(resources, 'contracts/artifacts'));
  });
});

describe('dataDirFlag', () => {
  it.each([
    [['electron', '.', '--data-dir', '/tmp/a'], '/tmp/a'],
    [['custodian', '--data-dir=/tmp/b'], '/tmp/b'],
    [['electron', '.', '--data-dir'], undefined],
    [['electron', '.', '--data-dir', '--inspect'], undefined],
    [['electron', '.', '--data-dir='], undefined],
    [['electron', '.'], undefined],
  ])('%o -> %s', (argv, expected) => {
    expect(dataDirFlag(argv)).toBe(expected);
  });
});

describe('chooseDataDir', () => {
  const userData = path.resolve('/home/clerk/.config/Custodian');
  it('--data-dir beats CUSTODIAN_HOME beats userData', () => {
    expect(chooseDataDir(['e', '--data-dir', '/tmp/flag'], { CUSTODIAN_HOME: '/tmp/env' }, userData)).toEqual({ dataDir: path.resolve('/tmp/flag'), overridden: true });
    expect(chooseDataDir(['e'], { CUSTODIAN_HOME: '/tmp/env' }, userData)).toEqual({ dataDir: path.resolve('/tmp/env'), overridden: true });
    expect(chooseDataDir(['e'], {}, userData)).toEqual({ dataDir: userData, overridden: false });
  });
});

describe('describeStartupFailure', () => {
  it('names the database for migration guards and keeps the message', () => {
    for (const code of ['DB_MIGRATION_EDITED', 'DB_FROM_FUTURE']) {
      const failure = describeStartupFailure(new AppError(code, `Applied migration 0001_init.sql was edited.`), '/data');
      expect(failure.title).toBe('Custodian cannot open its database');
      expect(failure.message).toContain('0001_init.sql was edited');
      expect(failure.message).toContain(code);
      expect(failure.message).toContain('/data');
    }
  });

  it('names SQLite when its native binding does not load, and says what to run', () => {
    const missing = Object.assign(new Error("Cannot find module '/app/node_modules/better-sqlite3-multiple-ciphers/build/Release/better_sqlite3.node'"), { code: 'MODULE_NOT_FOUND' });
    const dlopen = Object.assign(new Error('/x/prebuilds/linux-x64.node: invalid ELF header'), { code: 'ERR_DLOPEN_FAILED' });
    const abi = new Error('The module was compiled against a different Node.js version using NODE_MODULE_VERSION 115. This version of Node.js requires NODE_MODULE_VERSION 143.');
    for (const err of [missing, dlopen, abi]) {
      const failure = describeStartupFailure(err, '/data');
      expect(failure.title).toBe('Custodian: SQLite could not be loaded');
      expect(failure.message).toContain(err.message);
      expect(failure.message).toContain('npm run check:sqlite');
      expect(failure.message).toContain(`${process.platform}-${process.arch}`);
    }
    expect(describeStartupFailure(new Error("Cannot find module 'left-pad'"), '/d').title).toBe('Custodian could not start');
  });

  it('keeps other errors readable', () => {
    expect(describeStartupFailure(new AppError('CONFIG_INVALID', 'config.json is not valid JSON'), '/d').title).toBe('Custodian could not start');
    expect(describeStartupFailure('plain', '/d').message).toMatch(/^plain/);
  });
});
