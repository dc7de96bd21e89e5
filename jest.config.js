/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json', isolatedModules: true }] },
  // Runtime and e2e tests start real processes and bind real ports: keep them from starving
  // each other on a 2-core machine.
  maxWorkers: 2,
  testTimeout: 60000,
  // A private TMPDIR per run, and a check that the tests leave no cdktf output directories in
  // it and no project secret in the working tree (test/hygiene).
  globalSetup: '<rootDir>/test/hygiene/global-setup.js',
  globalTeardown: '<rootDir>/test/hygiene/global-teardown.js',
};
