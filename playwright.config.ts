// End-to-end tests: browser mode (`custodian serve`) driven in Debian's Chromium, and the Electron window where
// an Electron binary exists. Each test starts its own server on its own data folder (see e2e/fixtures.ts).
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'e2e/output/test-results',
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: 'list',
  // Generous: a test includes starting `custodian serve` (database, embedded chain, contract deployment).
  timeout: 180_000,
  expect: { timeout: 15_000 },
  use: {
    viewport: { width: 1440, height: 900 },
    trace: 'retain-on-failure',
    // Dialogs and drawers open without animation (the console honours reduced motion): screenshots show them whole.
    contextOptions: { reducedMotion: 'reduce' },
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          // `npx playwright install` cannot download browsers here: use the distribution's Chromium.
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
        },
      },
    },
  ],
});
