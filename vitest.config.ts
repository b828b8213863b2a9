import { defineConfig } from 'vitest/config';

// Two projects: fast-ish unit/integration tests over real sockets, shm and files,
// and end-to-end tests that start `hubscope serve` and drive Debian's Chromium.
// Both run with a temporary HOME/XDG_RUNTIME_DIR/discovery dir and fail if they
// leave processes, segments or files behind (test/support/global-setup.ts).
const hygiene = {
  globalSetup: ['test/support/global-setup.ts'],
  setupFiles: ['test/support/file-setup.ts'],
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          ...hygiene,
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'e2e',
          ...hygiene,
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});
