/**
 * `npm run chaos` (test/chaos): its own project, outside `npm test`. It owns its PostgreSQL,
 * Redis, Stripe-compatible server and SMTP sink, so it needs none of the e2e global setup.
 * CHAOS_SECONDS (default 600) and CHAOS_SEED (printed at the start) are its knobs.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/chaos'],
  testMatch: ['**/*.chaos-spec.ts'],
  transform: { '^.+\\.(t|j)s$': ['@swc/jest'] },
  // as in jest.config.js: ESM-only dependencies compiled to CommonJS
  transformIgnorePatterns: [
    '/node_modules/(?!(pg-boss|serialize-error|non-error|rrule-temporal|temporal-spec|content-disposition|fractional-indexing)/)',
  ],
  setupFiles: ['reflect-metadata'],
  // the run itself plus setup, settling and the checks
  testTimeout: (Number(process.env.CHAOS_SECONDS || 600) + 900) * 1000,
  maxWorkers: 1,
};
