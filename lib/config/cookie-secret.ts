/**
 * The session-cookie signing secret. It must be identical on every node of one LB (any node
 * honours a cookie any other node issued), must not be a constant in the code (anyone could
 * forge cookies), and must survive re-synths (a redeploy must not invalidate every session).
 *
 * So: one random project secret, created once per project directory and kept out of git
 * (`.cdktf-alb/secret`), and per LB an HMAC of it with the LB's id — different LBs get
 * unrelated secrets, and nothing secret is derived from public data alone.
 */
import { createHmac, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export const PROJECT_SECRET_DIR = '.cdktf-alb';
export const PROJECT_SECRET_FILE = 'secret';

/** Reads the project secret, creating it (32 random bytes, hex, mode 0600) on first use. */
export function loadOrCreateProjectSecret(projectDir: string): string {
  const dir = path.join(projectDir, PROJECT_SECRET_DIR);
  const file = path.join(dir, PROJECT_SECRET_FILE);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Write a private temp file, then hard-link it into place: link() is atomic and fails
    // if a concurrent synth won the race, in which case its secret is the one we read.
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    fs.writeFileSync(temp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    try {
      fs.linkSync(temp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.unlinkSync(temp);
    }
  }
  const secret = fs.readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64,}$/.test(secret)) {
    throw new Error(`${file}: the project secret is not at least 64 hex characters; delete the file to create a new one (existing session cookies become invalid)`);
  }
  return secret;
}

/** The LB's cookie secret: HMAC-SHA256(project secret, LB id), hex (64 characters). */
export function deriveCookieSecret(projectSecret: string, lbId: string): string {
  return createHmac('sha256', projectSecret).update(`cdktf-alb/cookie-secret/v1/${lbId}`).digest('hex');
}
