// Compiles contracts/*.sol with the npm solc package into contracts/artifacts/<Name>.json.
// First step of the chain side of the build (`npm run build:contracts`); deploy and tests load the artifacts.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const contractsDir = path.dirname(fileURLToPath(import.meta.url));
const artifactsDir = path.join(contractsDir, 'artifacts');
const buildHashFile = path.join(artifactsDir, '.build-hash');
const require = createRequire(import.meta.url);

const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};

function packageVersion(name) {
  return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
}

/** Source files by solc unit name (the file name relative to contracts/). */
function readSources() {
  const names = readdirSync(contractsDir).filter((f) => f.endsWith('.sol')).sort();
  return Object.fromEntries(names.map((n) => [n, { content: readFileSync(path.join(contractsDir, n), 'utf8') }]));
}

/** Hash of everything that shapes the output; imported library code is pinned by its package version. */
function buildHash(sources) {
  const h = createHash('sha256');
  h.update(`solc ${packageVersion('solc')}\nopenzeppelin ${packageVersion('@openzeppelin/contracts')}\n`);
  h.update(JSON.stringify(settings));
  for (const [name, { content }] of Object.entries(sources)) h.update(`\n--${name}\n${content}`);
  return h.digest('hex');
}

function contractNames(sources) {
  const names = [];
  for (const { content } of Object.values(sources)) {
    for (const m of content.matchAll(/^\s*contract\s+(\w+)/gm)) names.push(m[1]);
  }
  return names;
}

function upToDate(sources, hash) {
  if (!existsSync(buildHashFile) || readFileSync(buildHashFile, 'utf8').trim() !== hash) return false;
  return contractNames(sources).every((n) => existsSync(path.join(artifactsDir, `${n}.json`)));
}

/** Writes through a temporary file and a rename so a concurrent reader never sees half a file. */
function writeAtomic(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function findImport(importPath) {
  try {
    return { contents: readFileSync(require.resolve(importPath), 'utf8') };
  } catch {
    return { error: `import not found in node_modules: ${importPath}` };
  }
}

function main() {
  const started = Date.now();
  const sources = readSources();
  if (Object.keys(sources).length === 0) {
    console.error('contracts: no .sol files in contracts/');
    process.exit(1);
  }
  const hash = buildHash(sources);
  if (upToDate(sources, hash)) {
    console.log(`contracts: up to date (${Object.keys(sources).length} sources, hash ${hash.slice(0, 12)})`);
    return;
  }

  // Loaded only when needed: initialising the solc wasm takes about a second.
  const solc = require('solc');
  const input = { language: 'Solidity', sources, settings };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  const diagnostics = output.errors ?? [];
  const errors = diagnostics.filter((e) => e.severity === 'error');
  for (const w of diagnostics.filter((e) => e.severity !== 'error')) console.error(w.formattedMessage.trimEnd());
  if (errors.length > 0) {
    for (const e of errors) console.error(e.formattedMessage.trimEnd());
    console.error(`contracts: compilation failed with ${errors.length} error(s)`);
    process.exit(1);
  }

  mkdirSync(artifactsDir, { recursive: true });
  const written = [];
  for (const unit of Object.keys(sources)) {
    for (const [contractName, c] of Object.entries(output.contracts?.[unit] ?? {})) {
      const bytecode = c.evm?.bytecode?.object ?? '';
      if (bytecode.length === 0) continue; // interfaces and abstract contracts have nothing to deploy
      const artifact = {
        contractName,
        abi: c.abi,
        bytecode: `0x${bytecode}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
        sourceHash: hash,
      };
      writeAtomic(path.join(artifactsDir, `${contractName}.json`), `${JSON.stringify(artifact, null, 2)}\n`);
      written.push(contractName);
    }
  }
  writeAtomic(buildHashFile, `${hash}\n`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`contracts: compiled ${written.join(', ')} with solc ${solc.version()} in ${seconds}s`);
}

main();
