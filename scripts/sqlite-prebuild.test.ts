// SQLite's N-API prebuilds (build-resources/sqlite-prebuild.cjs): present and runtime-neutral for every target
// the app packs, loading here, and the packaging hook refuses a target without one.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
type Check = { ok: boolean; file?: string; reason?: string; sqliteVersion?: string };
const { checkSqlitePrebuild, inspectBinary, prebuildPath } = require('../build-resources/sqlite-prebuild.cjs') as {
  checkSqlitePrebuild(o: { projectDir: string; platform?: string; arch?: string | number; load?: boolean }): Check;
  inspectBinary(bytes: Buffer): { napi: boolean; abiBound: string[] };
  prebuildPath(projectDir: string, platform: string, arch: string | number): string;
};
const beforePack = require('../build-resources/before-pack.cjs') as (context: { packager: { projectDir: string }; electronPlatformName: string; arch: number }) => Promise<void>;

const temp: string[] = [];
afterAll(() => temp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('the installed prebuilds', () => {
  it('this machine’s loads in Node and carries the cipher extension', () => {
    const result = checkSqlitePrebuild({ projectDir: root });
    expect(result).toMatchObject({ ok: true, sqliteVersion: expect.stringMatching(/^3\.\d+\.\d+, SQLite3 Multiple Ciphers /) });
    expect(result.file).toBe(path.join(root, 'node_modules/better-sqlite3-multiple-ciphers/prebuilds', `${process.platform}-${process.arch}.node`));
  });

  it.each([
    ['linux', 'x64'],
    ['linux', 'arm64'],
    ['darwin', 'x64'],
    ['darwin', 'arm64'],
    ['win32', 'x64'],
    ['win32', 'arm64'],
  ])('%s-%s: present and N-API only (so Electron loads the same file)', (platform, arch) => {
    expect(checkSqlitePrebuild({ projectDir: root, platform, arch, load: false })).toEqual({ ok: true, file: prebuildPath(root, platform, arch) });
  });
});

describe('inspectBinary', () => {
  it('tells an N-API module from one tied to a runtime ABI, in any binary format', () => {
    expect(inspectBinary(Buffer.from('\x7fELF..napi_register_module_v1..'))).toEqual({ napi: true, abiBound: [] });
    expect(inspectBinary(Buffer.from('MZ..node_register_module_v137.._ZN2v86Object3NewEPNS_7IsolateE'))).toEqual({ napi: false, abiBound: ['node_register_module_v', '_ZN2v8'] });
    expect(inspectBinary(Buffer.from('MZ..napi_register_module_v1..?New@Object@v8@@SA'))).toEqual({ napi: true, abiBound: ['@v8@@'] });
  });
});

describe('checkSqlitePrebuild and the beforePack hook', () => {
  it('names a missing prebuild and an unsupported target; the hook refuses to pack without it', async () => {
    const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-sqlite-prebuild-'));
    temp.push(projectDir);
    expect(checkSqlitePrebuild({ projectDir, platform: 'darwin', arch: 'arm64' })).toMatchObject({ ok: false, reason: expect.stringContaining('prebuilds/darwin-arm64.node is missing') });
    expect(checkSqlitePrebuild({ projectDir, platform: 'linux', arch: 'ia32' })).toMatchObject({ ok: false, reason: expect.stringContaining('not linux/ia32') });
    // electron-builder passes its Arch enum (3 = arm64); the anvil package is present, so only SQLite stops it.
    const anvil = path.join(projectDir, 'node_modules/@foundry-rs/anvil-darwin-arm64/bin/anvil');
    fs.mkdirSync(path.dirname(anvil), { recursive: true });
    fs.writeFileSync(anvil, '');
    await expect(beforePack({ packager: { projectDir }, electronPlatformName: 'darwin', arch: 3 })).rejects.toThrow(/SQLite for this target: .*darwin-arm64\.node is missing/);
    expect(fs.existsSync(path.join(projectDir, 'build/anvil'))).toBe(false);
    const prebuild = prebuildPath(projectDir, 'darwin', 3);
    fs.mkdirSync(path.dirname(prebuild), { recursive: true });
    fs.writeFileSync(prebuild, 'Mach-O.._napi_register_module_v1..');
    await beforePack({ packager: { projectDir }, electronPlatformName: 'darwin', arch: 3 });
    expect(fs.existsSync(path.join(projectDir, 'build/anvil/darwin-arm64/anvil'))).toBe(true);
  });

  it('on this machine, a prebuild that does not load is reported, not just its presence', () => {
    const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-sqlite-broken-'));
    temp.push(projectDir);
    const pkg = path.join(projectDir, 'node_modules/better-sqlite3-multiple-ciphers');
    fs.cpSync(path.join(root, 'node_modules/better-sqlite3-multiple-ciphers/lib'), path.join(pkg, 'lib'), { recursive: true });
    fs.copyFileSync(path.join(root, 'node_modules/better-sqlite3-multiple-ciphers/package.json'), path.join(pkg, 'package.json'));
    fs.mkdirSync(path.join(pkg, 'prebuilds'));
    // N-API by its bytes, but not a loadable library.
    fs.writeFileSync(prebuildPath(projectDir, process.platform, process.arch), 'napi_register_module_v1');
    expect(checkSqlitePrebuild({ projectDir })).toMatchObject({ ok: false, reason: expect.stringMatching(/did not load: .*Error/) });
  });
});
