import { defineConfig } from 'vitest/config';

/**
 * The fault-injection suite (test/fault): the built server in a child process on a private
 * PostgreSQL cluster, through crashes and database outages. `npm run build` first.
 */
export default defineConfig({
  test: {
    include: ['test/fault/**/*.fault.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    passWithNoTests: false,
  },
});
