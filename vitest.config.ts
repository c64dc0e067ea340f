import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'examples/*/modules/**/*.test.ts'],
    // PGlite instances take ~1-2 s to create; end-to-end files start whole services.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: files in parallel would fight over them and over PostgreSQL.
    fileParallelism: false,
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
