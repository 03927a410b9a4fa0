import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // 2-core machines: keep file-level parallelism modest so timing-sensitive pipeline tests stay stable.
    maxWorkers: 2,
    pool: 'forks',
    // Processes the tests start (`node bin/streamlens.mjs ...`) run the TypeScript sources under test, not dist/.
    env: { STREAMLENS_DEV: '1' },
  },
});
