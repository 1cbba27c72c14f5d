/**
 * The stack tests (npm run test:stack): fault tests on the production topology, a Temporal server on
 * PostgreSQL (src/dev/stack), with the real worker and simulator processes. Not part of `npm test`.
 * @type {import('jest').Config}
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/stack'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 600_000,
  slowTestThreshold: 120,
  globalSetup: '<rootDir>/test/stack/global-setup.ts',
  globalTeardown: '<rootDir>/test/stack/global-teardown.ts',
};
