/**
 * Preloaded (`node -r`) into the e2e app's synth when the suites run against CDK Terrain
 * (ALB_TEST_FRAMEWORK=cdktn, set by jest.cdktn.config.js): the app and the library sources it
 * loads import 'cdktf', which this resolves to cdktn — what the config's moduleNameMapper does
 * for the suites that synthesize in-process, and what scripts/package.js does for cdktn-alb.
 */
'use strict';
const Module = require('module');

const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveCdktfToCdktn(request, ...rest) {
  return resolve.call(this, request === 'cdktf' ? 'cdktn' : request, ...rest);
};
