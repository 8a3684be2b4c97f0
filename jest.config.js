/**
 * Two tiers (jest projects), both run by plain `jest` / `./scripts/test`:
 *   fast: test/unit, test/workflows, test/replay. No servers: pure functions, and workflows on Temporal's
 *         time-skipping test server with mocked activities (test/workflows/env.ts starts one per file).
 *         `npm run test:fast`, well under a minute.
 *   full: everything else, against the real local stack (Temporal dev server, FerretDB, Chroma, Ollama)
 *         that test/setup/globalSetup.ts starts once for the run; jest runs a project's global setup only
 *         when a test of that project is selected, so `jest test/unit/...` starts nothing.
 */
const FAST_ROOTS = ['test/unit', 'test/workflows', 'test/replay'];

const common = {
  testEnvironment: '<rootDir>/test/setup/quietLogsEnvironment.ts', // node, app logs to a file
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  setupFiles: ['<rootDir>/test/setup/mainContextTypedArrays.ts'],
};

module.exports = {
  testTimeout: 120000, // a global option: ignored inside a project
  // The full tier's tests share one stack and two cores; `npm run test:fast` raises this for the fast one.
  maxWorkers: 1,
  projects: [
    {
      ...common,
      displayName: 'fast',
      roots: FAST_ROOTS.map((dir) => `<rootDir>/${dir}`),
    },
    {
      ...common,
      displayName: 'full',
      roots: ['<rootDir>/test'],
      testPathIgnorePatterns: ['/node_modules/', ...FAST_ROOTS.map((dir) => `<rootDir>/${dir}/`)],
      globalSetup: '<rootDir>/test/setup/globalSetup.ts',
      globalTeardown: '<rootDir>/test/setup/globalTeardown.ts',
    },
  ],
};
