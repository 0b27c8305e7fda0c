import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx', 'steps/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    globalSetup: ['test/helpers/run-tmpdir.ts'],
    // Real-daemon suites start their own dockerd; two cores do not gain from more parallel files.
    maxWorkers: 2,
  },
});
