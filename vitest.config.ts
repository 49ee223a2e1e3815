import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Starts throwaway PostgreSQL and Redis servers for test/adapters (see the file).
    globalSetup: ['test/setup/services.ts'],
  },
});
