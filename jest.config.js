/** Tests run against the real local stack (Temporal dev server, FerretDB, Chroma) that
 * test/setup/globalSetup.ts starts once for the whole run. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  globalSetup: '<rootDir>/test/setup/globalSetup.ts',
  setupFiles: ['<rootDir>/test/setup/mainContextTypedArrays.ts'],
  globalTeardown: '<rootDir>/test/setup/globalTeardown.ts',
  testTimeout: 120000,
  maxWorkers: 1,
};
