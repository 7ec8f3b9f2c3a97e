import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['main/**/*.test.ts', 'contracts/**/*.test.ts', 'scripts/**/*.test.ts', 'renderer/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests spawn anvil nodes and open SQLite files; two cores here, keep it modest.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
