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

/**
 * The SSH and AWS deploy suites spend their minutes on the hosts' side (sshd, keepalived, moto,
 * user data), which is the same code under either framework; what differs, the synthesized
 * Terraform, is covered here by test/constructs and by deploy.test.ts's real apply. So a local
 * `npm test` runs them under cdktn only when asked (ALB_TEST_ALL=1) and CI (CI=true) always
 * does: the local run stays inside its 10-minute budget and nothing goes untested before landing.
 */
const HOST_SIDE_E2E = ['<rootDir>/test/e2e/ssh-deploy.test.ts', '<rootDir>/test/e2e/ssh-vip.test.ts', '<rootDir>/test/e2e/aws/aws-moto.test.ts'];
const everything = process.env.CI === 'true' || process.env.ALB_TEST_ALL === '1';

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/constructs', '<rootDir>/test/e2e'],
  // package.test.ts already runs each package with its own framework and Node.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/package.test.ts', ...(everything ? [] : HOST_SIDE_E2E)],
  moduleNameMapper: { '^cdktf$': 'cdktn' },
};
