import { defineConfig } from 'vitest/config';

// Test files run one at a time: process-level suites spawn real nodes and proxies, and on
// a 2-core machine two such suites side by side would measure each other's noise.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
