/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The stack tests run on their own (npm run test:stack, jest.stack.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/stack/'],
  // got 14 (and its dependencies) are ESM-only: transform everything with swc into CommonJS.
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  transformIgnorePatterns: [],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testTimeout: 120_000,
  slowTestThreshold: 30,
  verbose: true,
  // Some suite leaves a handle open after the run (seen 2026-12-05, not yet found): exit when the run is done.
  forceExit: true,
};
