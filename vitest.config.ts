import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

const include = ['main/**/*.test.ts', 'contracts/**/*.test.ts', 'scripts/**/*.test.ts', 'renderer/**/*.test.ts'];

/**
 * The chain suites: every test file that starts its node through the test-node fixtures. They run a second time
 * on Hardhat's EDR node (main/chain/test-node.ts), so anything anvil-specific fails there. Found by what the file
 * calls, so a new chain test joins without being listed here. test-node.test.ts picks both nodes itself.
 */
function chainSuites(): string[] {
  const starts = /\bstart(TestChain|RegistryChain|TestNode)\(/;
  const found: string[] = [];
  for (const root of ['main', 'contracts']) {
    for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.test.ts') || entry.name === 'test-node.test.ts') continue;
      const file = path.join(entry.parentPath, entry.name);
      if (starts.test(readFileSync(file, 'utf8'))) found.push(file.split(path.sep).join('/'));
    }
  }
  return found.sort();
}

// CUSTODIAN_TEST_NODE set: one run, everything on that node. Unset: everything on anvil, and the chain suites
// again on EDR as the project named 'edr' (pick one with --project anvil|edr).
const pinned = process.env.CUSTODIAN_TEST_NODE;

export default defineConfig({
  test: {
    environment: 'node',
    // The database is encrypted at rest: services and CLI processes started by tests unwrap its key with this
    // passphrase (tests of a missing or wrong key set their own). Plain openDatabase() without a key stays plain.
    env: { CUSTODIAN_DB_PASSPHRASE: 'vitest database passphrase' },
    // Limits for a hung test, not timings: a loaded 2-core machine (CI, a CPU burner) runs a CLI process test in minutes.
    testTimeout: 180_000,
    hookTimeout: 240_000,
    // Integration tests spawn EVM nodes and open SQLite files; two cores here, keep it modest.
    maxWorkers: 2,
    reporters: ['default'],
    projects: pinned
      ? [{ extends: true, test: { name: pinned, include } }]
      : [
          { extends: true, test: { name: 'anvil', include, env: { CUSTODIAN_TEST_NODE: 'anvil' } } },
          { extends: true, test: { name: 'edr', include: chainSuites(), env: { CUSTODIAN_TEST_NODE: 'edr' } } },
        ],
  },
});
