import { defineConfig } from 'vitest/config';

/**
 * Browser tests: `npm run test:e2e` (not part of `npm test`). Each file starts its own server and
 * Chromium (e2e/support.ts); the global setup builds web/dist when it is missing or stale.
 */
export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts'],
    globalSetup: ['e2e/global-setup.ts'],
    pool: 'forks',
    // Each file runs a server and a browser; two at a time keeps a small machine responsive.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    passWithNoTests: false,
  },
});
