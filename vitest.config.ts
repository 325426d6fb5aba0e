import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Each file gets its own database (a PGlite copy or a PostgreSQL database from a template).
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The suite must fail loudly when a file has no tests rather than pass vacuously.
    passWithNoTests: false,
  },
});
