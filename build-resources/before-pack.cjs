// electron-builder beforePack hook: for the platform/arch being packed, stages the anvil binary
// (stage-anvil.cjs) and fails the build unless SQLite's N-API prebuild for that target is present and N-API only
// (sqlite-prebuild.cjs), so no package ships whose database cannot open. Nothing is rebuilt for Electron.
'use strict';
const stageAnvil = require('./stage-anvil.cjs');
const { checkSqlitePrebuild } = require('./sqlite-prebuild.cjs');

async function beforePack(context) {
  const sqlite = checkSqlitePrebuild({ projectDir: context.packager.projectDir, platform: context.electronPlatformName, arch: context.arch });
  if (!sqlite.ok) throw new Error(`SQLite for this target: ${sqlite.reason}`);
  await stageAnvil(context);
}

module.exports = beforePack;
module.exports.default = beforePack;
