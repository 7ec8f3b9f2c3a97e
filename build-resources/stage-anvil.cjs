// electron-builder beforePack hook: copies the anvil binary for the platform/arch being packed from its npm
// package (@foundry-rs/anvil-<platform>-<amd64|arm64>) to build/anvil/<platform>-<arch>/, which
// electron-builder.yml ships as resources/anvil/ (main/chain/anvil.ts looks there). A staging step because
// electron-builder's ${arch} says "x64" where foundry's package says "amd64"; and it fails the build rather
// than shipping a console whose embedded chain cannot start.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

// builder-util's Arch enum: ia32 = 0, x64 = 1, armv7l = 2, arm64 = 3, universal = 4.
const ARCH_NAMES = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'];
const FOUNDRY_ARCH = { x64: 'amd64', arm64: 'arm64' };
const FOUNDRY_PLATFORM = { linux: 'linux', darwin: 'darwin', mas: 'darwin', win32: 'win32' };

/** Where the anvil binary comes from and goes to for one target; throws for targets foundry does not ship. */
function anvilPaths(projectDir, electronPlatformName, arch) {
  const archName = typeof arch === 'number' ? ARCH_NAMES[arch] : arch;
  const platform = FOUNDRY_PLATFORM[electronPlatformName];
  const foundryArch = FOUNDRY_ARCH[archName];
  if (!platform || !foundryArch) {
    throw new Error(`Custodian ships anvil only for x64 and arm64 on Linux, macOS and Windows, not ${electronPlatformName}/${archName}.`);
  }
  const exe = platform === 'win32' ? 'anvil.exe' : 'anvil';
  const pkg = `@foundry-rs/anvil-${platform}-${foundryArch}`;
  return {
    pkg,
    exe,
    source: path.join(projectDir, 'node_modules', ...pkg.split('/'), 'bin', exe),
    // Must match extraResources in electron-builder.yml: build/anvil/<platform>-${arch}
    stageDir: path.join(projectDir, 'build', 'anvil', `${platform}-${archName}`),
  };
}

async function stageAnvil(context) {
  const projectDir = context.packager.projectDir;
  const { pkg, exe, source, stageDir } = anvilPaths(projectDir, context.electronPlatformName, context.arch);
  if (!fs.existsSync(source)) {
    throw new Error(
      `anvil for this target is missing: ${path.relative(projectDir, source)}. npm installs ${pkg} only on a matching ` +
        'machine (it is an optional dependency); package on that platform/arch.',
    );
  }
  fs.rmSync(stageDir, { recursive: true, force: true });
  fs.mkdirSync(stageDir, { recursive: true });
  const target = path.join(stageDir, exe);
  fs.copyFileSync(source, target);
  fs.chmodSync(target, 0o755);
}

module.exports = stageAnvil;
module.exports.default = stageAnvil;
module.exports.anvilPaths = anvilPaths;
