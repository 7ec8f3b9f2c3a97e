// Runs contracts/compile.mjs from TypeScript, so tests can make sure the artifacts are current before they deploy.
// Cheap when nothing changed: the script compares a hash of the sources and returns at once.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const compileScript = fileURLToPath(new URL('./compile.mjs', import.meta.url));

/** Compiles the contracts (or confirms they are up to date); throws with the compiler's messages on failure. */
export function compileContracts(): void {
  const result = spawnSync(process.execPath, [compileScript], { encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`contracts/compile.mjs failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
}
