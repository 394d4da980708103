import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: '@whis/cli',
    include: ['src/**/*.test.ts'],
    environment: 'node',
    passWithNoTests: true,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // files side by side (vitest's default on two cores is one at a time): most of an end-to-end
    // file's time is spent waiting on real processes, and each file makes its own X server, sound
    // server, transcription server and sandbox, so files never share a resource. VITEST_MAX_WORKERS
    // overrides it.
    maxWorkers: 3,
  },
});
