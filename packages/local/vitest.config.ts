import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: '@whis/local',
    include: ['src/**/*.test.ts'],
    environment: 'node',
    passWithNoTests: true,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
