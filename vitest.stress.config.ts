import { defineConfig } from 'vitest/config';

/** `npm run test:stress`: the load test, kept out of `npm test` because it runs for a minute. */
export default defineConfig({
  test: {
    include: ['tests/stress/**/*.stress.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
