import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['main/**/*.test.ts', 'contracts/**/*.test.ts', 'scripts/**/*.test.ts', 'renderer/**/*.test.ts'],
    environment: 'node',
    // The database is encrypted at rest: services and CLI processes started by tests unwrap its key with this
    // passphrase (tests of a missing or wrong key set their own). Plain openDatabase() without a key stays plain.
    env: { CUSTODIAN_DB_PASSPHRASE: 'vitest database passphrase' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests spawn anvil nodes and open SQLite files; two cores here, keep it modest.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
