import { defineConfig } from 'vitest/config';

export default defineConfig({
  // In-process tests run the framework from its sources (the package's `cleave-source`
  // export condition); spawned `cleave` processes run the built dist/, as users do.
  resolve: { conditions: ['cleave-source'] },
  ssr: { resolve: { conditions: ['cleave-source'], externalConditions: ['cleave-source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'examples/*/modules/**/*.test.ts'],
    // PGlite instances take ~1-2 s to create; end-to-end files start whole services.
    testTimeout: 30_000,
    // Longer than startSplit's own wait for readiness (CLEAVE_TEST_BOOT_TIMEOUT_MS, 120 s):
    // that wait must run out first, so it stops the supervisor it started. A hook timed out
    // first leaves the split topology running, owned by nobody, loading the machine.
    hookTimeout: 180_000,
    // Two cores: files in parallel would fight over them and over PostgreSQL.
    fileParallelism: false,
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
