/**
 * The construct and deploy suites against CDK Terrain (cdktn, the community fork of cdktf)
 * instead of cdktf: every `from 'cdktf'` — in the constructs and in the tests — loads cdktn,
 * as the cdktn-alb package does (scripts/package.js). `npm run test:cdktn` runs it on the Node of
 * scripts/cdktn-toolchain.js (cdktn's CLI needs Node >= 22.19).
 */
const base = require('./jest.config');

// Read by test/constructs/app-synth.test.ts (which checks the mapping is in force) and by
// test/e2e/harness.ts (whose synth runs in a child process: app/use-cdktn.js maps it there).
// Set here, before jest starts its workers, so that they inherit it.
process.env.ALB_TEST_FRAMEWORK = 'cdktn';

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/constructs', '<rootDir>/test/e2e'],
  // package.test.ts already runs each package with its own framework and Node.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/package.test.ts'],
  moduleNameMapper: { '^cdktf$': 'cdktn' },
};
