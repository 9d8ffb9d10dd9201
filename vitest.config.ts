import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // PGlite instances and real-database suites are memory- and CPU-hungry: keep parallelism modest on 2 cores.
    pool: 'forks',
    maxWorkers: 2,
    // a directory per run for the migrated PGlite image the suites start from (test/support/pglite-image.ts)
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
