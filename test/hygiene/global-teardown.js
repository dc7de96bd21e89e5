/**
 * jest globalTeardown: fails the run when the tests left cdktf output directories in the
 * run's private TMPDIR (each test must remove what it synthesizes; test/constructs/helpers.ts
 * testApp() / fullSynth() do) or created the project secret in the working tree; then removes
 * the private TMPDIR with whatever else is in it.
 */
const fs = require('fs');
const path = require('path');
const { ROOT, SECRET_DIR, CDKTF_OUTDIR_PREFIX, STATE_FILE } = require('./paths');

module.exports = async function globalTeardown() {
  const tmp = process.env.TMPDIR;
  const state = JSON.parse(fs.readFileSync(STATE_FILE(tmp), 'utf8'));
  const problems = [];
  const outdirs = fs.readdirSync(tmp).filter((name) => name.startsWith(CDKTF_OUTDIR_PREFIX));
  if (outdirs.length > 0) {
    problems.push(`${outdirs.length} cdktf output directories were left in the temporary directory (${outdirs.slice(0, 3).join(', ')}${outdirs.length > 3 ? ', …' : ''}); create apps with testApp() and synthesize with fullSynth() from test/constructs/helpers.ts`);
  }
  const secretDir = path.join(ROOT, SECRET_DIR);
  if (!state.secretDirExisted && fs.existsSync(secretDir)) {
    fs.rmSync(secretDir, { recursive: true, force: true });
    problems.push(`a test created ${SECRET_DIR}/ in the working tree (removed it); synthesize from a temporary project directory`);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  if (state.previousTmpdir === null) delete process.env.TMPDIR;
  else process.env.TMPDIR = state.previousTmpdir;
  if (problems.length > 0) throw new Error(`test hygiene:\n  ${problems.join('\n  ')}`);
};
