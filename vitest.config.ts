import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['protos/**/*.test.ts', 'envoy/**/*.test.ts', 'deploy/**/*.test.ts', '*.test.ts', 'sidecar/**/*.test.ts', 'sim/**/*.test.ts', 'e2e/**/*.test.ts', 'bench/**/*.test.ts'],
    // e2e tests start real Envoy processes on fixed ports: run files one at a time.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
