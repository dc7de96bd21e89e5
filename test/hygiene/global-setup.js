/**
 * jest globalSetup: every test run gets a private temporary directory (TMPDIR, which
 * os.tmpdir() reads on each call and which the jest workers and the processes the tests start
 * inherit), so what a test leaves behind can be told apart from what other runs on the same
 * machine create, and global-teardown.js can check it. Also notes whether the project secret
 * directory exists in the working tree, which the tests must not create.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ROOT, SECRET_DIR, STATE_FILE } = require('./paths');

module.exports = async function globalSetup() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-alb-jest-'));
  const state = { tmp, previousTmpdir: process.env.TMPDIR ?? null, secretDirExisted: fs.existsSync(path.join(ROOT, SECRET_DIR)) };
  fs.writeFileSync(STATE_FILE(tmp), JSON.stringify(state));
  process.env.TMPDIR = tmp;
};
