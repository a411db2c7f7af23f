/**
 * `npm run fuzz`: the OpenAPI fuzzer (test/fuzz), on the e2e harness. Not part of `npm test`;
 * CI runs a seeded 1,000-request pass (see .ci/run).
 * @type {import('jest').Config}
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS config extending the main one
const base = require('./jest.config.js');

module.exports = {
  ...base,
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.fuzz-spec.ts'],
  testTimeout: 3_600_000,
  maxWorkers: 1,
};
