/** Shared by the jest global setup and teardown (they run in the same process, but apart). */
const path = require('path');

module.exports = {
  ROOT: path.join(__dirname, '..', '..'),
  /** The project secret directory (lib/config/cookie-secret.ts PROJECT_SECRET_DIR). */
  SECRET_DIR: '.cdktf-alb',
  /** What cdktf's Testing.app() / Testing.fullSynth() create when given no outdir. */
  CDKTF_OUTDIR_PREFIX: 'cdktf.outdir.',
  STATE_FILE: (tmp) => path.join(tmp, '.jest-hygiene.json'),
};
