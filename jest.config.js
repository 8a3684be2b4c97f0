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

/**
 * Dependencies of the admin server that jest cannot load as they are: ES-module-only packages
 * (content-disposition of @fastify/static, cookie), which Node 20.19+ loads with require() and
 * jest's module loader does not, and @fastify/cookie, which import()s cookie (jest needs
 * --experimental-vm-modules for that). They are compiled to CommonJS like the sources.
 */
const ESM_ONLY = '(content-disposition|cookie|@fastify/cookie)';

const common = {
  testEnvironment: '<rootDir>/test/setup/quietLogsEnvironment.ts', // node, app logs to a file
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'], [`/node_modules/${ESM_ONLY}/.+\\.js$`]: ['@swc/jest'] },
  transformIgnorePatterns: [`/node_modules/(?!${ESM_ONLY}/)`],
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
