// `npm run test:security`: Doyensec's Electronegativity over the Electron shell (main/app, tests left out), the
// built renderer (its CSP meta tag and bundle) and package.json (Electron version). Writes a SARIF report and a
// JSON summary under build/electronegativity/, prints one line per finding, and fails on any HIGH or MEDIUM.
//
// Excluded checks: none. Two findings are "review required" by design and are marked where they occur with
// Electronegativity's own inline `eng-disable` comment and the reason (printed below as "reviewed"):
//   PRELOAD_JS_CHECK       flags every preload; ours is sandboxed and exposes only invoke/subscribe (bridge.ts).
//   OPEN_EXTERNAL_JS_CHECK flags every openExternal with a variable; ours only gets http(s) URLs (url-policy.ts).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
export const REPORT_DIR = path.join(root, 'build', 'electronegativity');

/** Checks switched off for this app, each with its reason. Keep it empty unless a check cannot apply. */
export const EXCLUDED_CHECKS = [];
const FAILING = new Set(['HIGH', 'MEDIUM']);

function copyInto(dest, src) {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(src, dest);
}

/** What is scanned, copied to one folder so the report's paths read like the repository's. */
export function stageInput(inputDir, repoRoot = root) {
  fs.rmSync(inputDir, { recursive: true, force: true });
  const appDir = path.join(repoRoot, 'main', 'app');
  for (const file of fs.readdirSync(appDir)) {
    if (/\.(ts|mts|cts)$/.test(file) && !/\.test\./.test(file)) copyInto(path.join(inputDir, 'main', 'app', file), path.join(appDir, file));
  }
  const builtRenderer = path.join(repoRoot, 'build', 'renderer');
  if (fs.existsSync(path.join(builtRenderer, 'index.html'))) {
    copyInto(path.join(inputDir, 'build', 'renderer', 'index.html'), path.join(builtRenderer, 'index.html'));
    const assets = path.join(builtRenderer, 'assets');
    for (const file of fs.existsSync(assets) ? fs.readdirSync(assets) : []) {
      if (file.endsWith('.js')) copyInto(path.join(inputDir, 'build', 'renderer', 'assets', file), path.join(assets, file));
    }
  } else {
    copyInto(path.join(inputDir, 'renderer', 'index.html'), path.join(repoRoot, 'renderer', 'index.html'));
  }
  copyInto(path.join(inputDir, 'package.json'), path.join(repoRoot, 'package.json'));
  return inputDir;
}

/** The inline `eng-disable` exceptions in the scanned sources, so a reviewer sees every one of them. */
export function inlineExceptions(inputDir) {
  const out = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|js|html)$/.test(entry.name) && !full.includes(`${path.sep}assets${path.sep}`)) {
        fs.readFileSync(full, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            const m = /eng-disable\s+([A-Z_ ,]+?)\s*(?::\s*(.*?))?\s*(?:\*\/)?$/.exec(line);
            if (m) out.push({ file: path.relative(inputDir, full), line: i + 1, checks: m[1].trim(), reason: m[2] ?? '' });
          });
      }
    }
  };
  walk(inputDir);
  return out;
}

function electronVersion(repoRoot = root) {
  try {
    return JSON.parse(fs.readFileSync(path.join(repoRoot, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

// Compares the Electron version with Electron's release feed on GitHub: a real finding (HIGH when a newer release
// has security fixes) for `npm run test:security`, but it depends on the network, so unit tests pass offline: true.
const NETWORK_CHECKS = ['AvailableSecurityFixesGlobalCheck'];

// Under Node 24 Electronegativity's got 11 crashes the whole process (an unhandled p-cancelable error) when a
// failed request is retried, which is what happens offline. So its requests are made once, without retries (a
// failure is then reported as the check's own "No connectivity?"), and the translations of its messages for
// $LANG, fetched from S3 on every run, are not fetched at all: it falls back to the en-US it ships.
function withoutTranslationFetch() {
  const scannerRequire = createRequire(require.resolve('@doyensec/electronegativity'));
  const gotPath = scannerRequire.resolve('got');
  const got = scannerRequire('got');
  if (got.custodianNoTranslations) return;
  const once = got.extend({ retry: { limit: 0 } });
  const wrapped = Object.assign((url, ...rest) => (String(url).includes('electronegativity-i18n') ? Promise.reject(new Error('translations not fetched')) : once(url, ...rest)), once);
  Object.defineProperties(wrapped, { default: { value: wrapped }, __esModule: { value: true }, custodianNoTranslations: { value: true } });
  scannerRequire.cache[gotPath].exports = wrapped;
}

/** Runs Electronegativity over inputDir; resolves { findings, errors, checks }. Its own console chatter is muted. */
export async function scan({ inputDir, sarifFile, repoRoot = root, offline = false } = {}) {
  withoutTranslationFetch();
  const run = require('@doyensec/electronegativity');
  const quiet = console.log;
  console.log = () => {};
  let result;
  try {
    result = await run(
      {
        input: inputDir,
        ...(sarifFile ? { output: sarifFile, isSarif: true } : {}),
        isRelative: true,
        customScan: [],
        excludeFromScan: [...EXCLUDED_CHECKS.map((c) => c.id), ...(offline ? NETWORK_CHECKS : [])],
        electronVersionOverride: electronVersion(repoRoot),
        parserPlugins: [],
      },
      false,
    );
  } finally {
    console.log = quiet;
  }
  const findings = result.issues.map((i) => ({
    id: i.id,
    severity: i.severity.name,
    confidence: i.confidence.name,
    file: i.file,
    line: i.location.line,
    column: i.location.column,
    manualReview: Boolean(i.manualReview),
    description: i.description,
  }));
  return { findings, errors: result.errors, checks: result.globalChecks + result.atomicChecks };
}

export function failingFindings(findings) {
  return findings.filter((f) => FAILING.has(f.severity));
}

async function main() {
  fs.mkdirSync(REPORT_DIR, { recursive: true });
  const inputDir = stageInput(path.join(REPORT_DIR, 'input'));
  const sarifFile = path.join(REPORT_DIR, 'report.sarif');
  const { findings, errors, checks } = await scan({ inputDir, sarifFile });
  const exceptions = inlineExceptions(inputDir);
  fs.writeFileSync(path.join(REPORT_DIR, 'report.json'), `${JSON.stringify({ checks, findings, errors, exceptions, excluded: EXCLUDED_CHECKS }, null, 2)}\n`);

  for (const f of findings) {
    console.log(`${f.severity.padEnd(13)} ${f.id} ${f.file}:${f.line}:${f.column} (${f.confidence.toLowerCase()}${f.manualReview ? ', review' : ''}) ${f.description}`);
  }
  for (const e of exceptions) console.log(`reviewed      ${e.checks} ${e.file}:${e.line} ${e.reason}`);
  // A file Electronegativity could not parse was not checked at all: that fails too.
  const unparsed = errors.filter((e) => !e.tolerable);
  for (const e of unparsed) console.log(`UNPARSED      ${path.relative(inputDir, e.file)}: ${e.message}`);

  const failing = failingFindings(findings);
  const summary = `electronegativity: ${checks} checks, ${findings.length} finding(s), ${failing.length} HIGH/MEDIUM, ${exceptions.length} reviewed exception(s); report in build/electronegativity/`;
  if (failing.length || unparsed.length) {
    console.error(`${summary} — FAILED`);
    return 1;
  }
  console.log(summary);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    process.exitCode = await main();
  } catch (err) {
    console.error(`electronegativity: could not run: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
