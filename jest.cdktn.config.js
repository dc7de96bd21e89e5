/**
 * The construct suites against CDK Terrain (cdktn, the community fork of cdktf) instead of
 * cdktf: every `from 'cdktf'` — in the constructs and in the tests — loads cdktn, as the
 * cdktn-alb package does (scripts/package.js). `npm run test:cdktn` runs it on the Node of
 * scripts/cdktn-toolchain.js (cdktn's CLI needs Node >= 22.19).
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/constructs'],
  moduleNameMapper: { '^cdktf$': 'cdktn' },
  // test/constructs/app-synth.test.ts checks that this mapping is what it runs against.
  globals: { ALB_TEST_FRAMEWORK: 'cdktn' },
};
