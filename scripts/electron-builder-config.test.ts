// electron-builder.yml: valid against electron-builder's own JSON schema, and the packaged app holds what the
// shell expects (bundles, renderer, migrations, artifacts, anvil) and nothing it should not (sources, tests).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findAnvilBinary } from '../main/chain/anvil';
import { appLayout } from '../main/app/layout';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
// electron-builder's own YAML parser, schema, validator and glob matcher, resolved from app-builder-lib so the
// test uses the versions it packages with (none of them is a direct dependency of this repository).
const builderRequire = createRequire(require.resolve('app-builder-lib/package.json'));
const yaml = builderRequire('js-yaml') as { load(text: string): unknown };
const { Minimatch } = builderRequire('minimatch') as { Minimatch: new (pattern: string, options: { dot: boolean }) => { negate: boolean; match(p: string, partial?: boolean): boolean } };
const schema = builderRequire('./scheme.json') as object;
type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };
const Ajv = builderRequire('ajv') as new (options: { allErrors: boolean; strict: boolean }) => { compile(schema: object): Validate };
const stageAnvil = require('../build-resources/stage-anvil.cjs') as {
  (context: { packager: { projectDir: string }; electronPlatformName: string; arch: number }): Promise<void>;
  anvilPaths(projectDir: string, platform: string, arch: number | string): { pkg: string; exe: string; source: string; stageDir: string };
};

interface FileSet {
  from: string;
  to: string;
  filter?: string[];
}
interface BuilderConfig {
  appId: string;
  productName: string;
  files: string[];
  asarUnpack: string[];
  npmRebuild: boolean;
  asar: boolean;
  beforePack: string;
  extraResources: FileSet[];
  electronFuses: Record<string, boolean>;
  linux: { target: string[]; extraResources: FileSet[] };
  win: { target: string[]; extraResources: FileSet[] };
  mac: { target: string[]; extraResources: FileSet[] };
}

const config = yaml.load(fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const packageJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string; optionalDependencies: Record<string, string> };

/** electron-builder's ordered include/exclude semantics (util/filter.js, "minimatch-all"). */
function matchesAll(relative: string, patterns: string[]): boolean {
  let match = false;
  for (const pattern of patterns.map((p) => new Minimatch(p, { dot: true }))) {
    if (match !== pattern.negate) continue;
    match = pattern.match(relative);
  }
  return match;
}
const inApp = (file: string) => matchesAll(file, config.files);
// For node_modules electron-builder keeps only the exclusions of `files`, after an implicit "**/*".
const inNodeModules = (file: string) => matchesAll(file, ['**/*', ...config.files.filter((p) => p.startsWith('!'))]);
const unpacked = (file: string) => config.asarUnpack.some((p) => new Minimatch(p, { dot: true }).match(file));

describe('electron-builder.yml', () => {
  it("is valid against electron-builder's JSON schema", () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const valid = validate(config);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The validator is live: a misspelt key fails.
    expect(validate({ ...config, filez: ['x'] })).toBe(false);
  });

  it('names the app', () => {
    expect(config.appId).toBe('org.custodian.console');
    expect(config.productName).toBe('Custodian');
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
  });

  it.each([
    'package.json',
    packageJson.main,
    'build/electron/main.cjs',
    'build/electron/preload.cjs',
    'build/electron/job-worker.cjs',
    'build/renderer/index.html',
    'build/renderer/assets/index-abc.js',
    'build/renderer/assets/index-abc.css',
  ])('packs %s', (file) => {
    expect(inApp(file)).toBe(true);
  });

  it.each([
    'main/app/main.ts',
    'main/db/migrate.ts',
    'main/app/url-policy.test.ts',
    'renderer/src/App.tsx',
    'renderer/index.html',
    'e2e/console.spec.ts',
    'bench/run.ts',
    'contracts/ConsentLedger.sol',
    'contracts/compile.mjs',
    'contracts/artifacts/ConsentLedger.json',
    'scripts/build-electron.mjs',
    'migrations/0001_init.sql',
    'bin/custodian.mjs',
    'build/electron/main.cjs.map',
    'build/renderer/assets/index-abc.js.map',
    'build/electronegativity/report.json',
    'tsconfig.json',
    'vitest.config.ts',
    'playwright.config.ts',
    '.custodian-dev/custodian.sqlite',
  ])('does not pack %s', (file) => {
    expect(inApp(file)).toBe(false);
  });

  it('keeps the runtime of the SQLite package (its N-API prebuilds) and drops build-only files and packages', () => {
    for (const file of [
      'node_modules/better-sqlite3-multiple-ciphers/package.json',
      'node_modules/better-sqlite3-multiple-ciphers/lib/database.js',
      'node_modules/better-sqlite3-multiple-ciphers/lib/binding.js',
      'node_modules/better-sqlite3-multiple-ciphers/prebuilds/linux-x64.node',
      'node_modules/better-sqlite3-multiple-ciphers/prebuilds/darwin-arm64.node',
      'node_modules/better-sqlite3-multiple-ciphers/prebuilds/win32-x64.node',
    ]) {
      expect(inNodeModules(file), file).toBe(true);
    }
    for (const file of [
      'node_modules/tsx/dist/cli.mjs',
      'node_modules/esbuild/bin/esbuild',
      'node_modules/@esbuild/linux-x64/bin/esbuild',
      'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil',
      'node_modules/better-sqlite3-multiple-ciphers/deps/sqlite3/sqlite3.c',
      'node_modules/better-sqlite3-multiple-ciphers/src/better_sqlite3.cpp',
      'node_modules/better-sqlite3-multiple-ciphers/binding.gyp',
      'node_modules/better-sqlite3-multiple-ciphers/build/Release/obj.target/better_sqlite3.stamp',
      'node_modules/better-sqlite3-multiple-ciphers/prebuilds/linuxmusl-x64.node',
      'node_modules/node-addon-api/napi.h',
    ]) {
      expect(inNodeModules(file), file).toBe(false);
    }
  });

  it('unpacks native modules from the asar and rebuilds nothing (the N-API prebuild loads in Electron as it is)', () => {
    expect(config.asar).toBe(true);
    expect(unpacked('node_modules/better-sqlite3-multiple-ciphers/prebuilds/linux-x64.node')).toBe(true);
    expect(unpacked('node_modules/some-other/build/Release/addon.node')).toBe(true);
    expect(unpacked('build/electron/main.cjs')).toBe(false);
    expect(config.npmRebuild).toBe(false);
  });

  it('ships migrations and contract artifacts where the packaged app looks for them', () => {
    const resources = path.resolve('/opt/Custodian/resources');
    const layout = appLayout({ isPackaged: true, appPath: path.join(resources, 'app.asar'), resourcesPath: resources, bundleDir: path.join(resources, 'app.asar/build/electron') });
    expect(config.extraResources).toContainEqual({ from: 'migrations', to: path.relative(resources, layout.migrationsDir), filter: ['*.sql'] });
    expect(config.extraResources).toContainEqual({ from: 'contracts/artifacts', to: path.relative(resources, layout.artifactsDir).split(path.sep).join('/'), filter: ['*.json'] });
  });

  it('turns off the Electron fuses that would let anyone run the binary as Node or inject code', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
    });
  });
});

describe('anvil in the packaged app', () => {
  const temp: string[] = [];
  afterAll(() => temp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  const targets = [
    ['linux', 'linux', 'x64', 1],
    ['linux', 'linux', 'arm64', 3],
    ['win', 'win32', 'x64', 1],
    ['mac', 'darwin', 'x64', 1],
    ['mac', 'darwin', 'arm64', 3],
  ] as const;

  it.each(targets)('%s %s/%s: staged by the beforePack hook from its npm package into resources/anvil', (section, platform, archName, arch) => {
    expect(config.beforePack).toBe('build-resources/before-pack.cjs');
    const resource = config[section].extraResources.find((r) => r.to === 'anvil');
    expect(resource).toBeDefined();
    const { pkg, exe, source, stageDir } = stageAnvil.anvilPaths(root, platform, arch);
    // electron-builder expands ${arch} to the same name the hook stages under.
    expect(path.join(root, resource!.from.replace('${arch}', archName))).toBe(stageDir);
    expect(Object.keys(packageJson.optionalDependencies)).toContain(pkg);
    expect(source).toBe(path.join(root, 'node_modules', pkg, 'bin', exe));
    expect(exe).toBe(platform === 'win32' ? 'anvil.exe' : 'anvil');
  });

  it('the hook copies the binary (executable) and fails loudly when the package for the target is missing', async () => {
    const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-stage-anvil-'));
    temp.push(projectDir);
    const bin = path.join(projectDir, 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil');
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    fs.writeFileSync(bin, '#!/bin/sh\necho anvil\n');
    await stageAnvil({ packager: { projectDir }, electronPlatformName: 'linux', arch: 1 });
    const staged = path.join(projectDir, 'build/anvil/linux-x64/anvil');
    expect(fs.readFileSync(staged, 'utf8')).toContain('echo anvil');
    if (process.platform !== 'win32') expect(fs.statSync(staged).mode & 0o111).not.toBe(0);
    await expect(stageAnvil({ packager: { projectDir }, electronPlatformName: 'darwin', arch: 3 })).rejects.toThrow(/anvil-darwin-arm64/);
    expect(() => stageAnvil.anvilPaths(projectDir, 'linux', 0)).toThrow(/x64 and arm64/);
    expect(() => stageAnvil.anvilPaths(projectDir, 'darwin', 4)).toThrow(/universal/);
  });

  it('is found by main/chain/anvil.ts under resources/anvil when packaged', () => {
    const resources = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-resources-'));
    temp.push(resources);
    const exe = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
    fs.mkdirSync(path.join(resources, 'anvil'));
    fs.writeFileSync(path.join(resources, 'anvil', exe), '');
    const proc = process as NodeJS.Process & { resourcesPath?: string };
    const saved = { resourcesPath: proc.resourcesPath, bin: process.env.CUSTODIAN_ANVIL_BIN };
    try {
      proc.resourcesPath = resources;
      delete process.env.CUSTODIAN_ANVIL_BIN;
      expect(findAnvilBinary()).toBe(path.join(resources, 'anvil', exe));
    } finally {
      proc.resourcesPath = saved.resourcesPath;
      if (saved.bin !== undefined) process.env.CUSTODIAN_ANVIL_BIN = saved.bin;
    }
  });

  it.runIf(process.platform === 'linux' && process.arch === 'x64')('this machine has the package the linux x64 build ships', () => {
    expect(fs.existsSync(stageAnvil.anvilPaths(root, 'linux', 1).source)).toBe(true);
  });
});
