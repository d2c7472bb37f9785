import { defineConfig } from 'vitest/config'

// Tiers (npm test runs them all, see scripts/test.mjs):
//   unit        pure core and stage logic, no processes, no network
//   effects     real loopback HTTP servers, real child processes (installer, dkp runner, CLI)
//   integration the real kube-apiserver + etcd test fleet (test/kube)
//   fidelity    real-shape: done-checks on objects verbatim from the release manifests, and the
//               test fleet against the release table (test/fixtures/releases)
//   e2e         the shipped workflows executed against the test fleet
//   faults      the reliability suite (bad input, injected faults, secrets, injection)
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'effects', include: ['test/effects/**/*.test.ts'], testTimeout: 60_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/kube/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'fidelity',
          include: ['test/fidelity/**/*.test.ts'],
          globalSetup: ['test/kube/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/kube/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/kube/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
})
