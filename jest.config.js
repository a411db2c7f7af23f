/**
 * Unit specs live next to the code (src/**\/*.spec.ts); end-to-end specs in test/ drive the real
 * HTTP server against a real PostgreSQL, one database per test file (see test/setup/).
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  transform: { '^.+\\.(t|j)s$': ['@swc/jest'] },
  // ESM-only dependencies (pg-boss and its own) are compiled to CommonJS for Jest's module system.
  transformIgnorePatterns: [
    '/node_modules/(?!(pg-boss|serialize-error|non-error|rrule-temporal|temporal-spec|content-disposition|fractional-indexing)/)',
  ],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  setupFiles: ['reflect-metadata'],
  testTimeout: 60_000,
  maxWorkers: 2,
  // one database and one app per file: give slow machines room, never share state
  slowTestThreshold: 30,
};
