/** The cookie secret: random per project, created once, per-LB derivation, never a constant. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { deriveCookieSecret, loadOrCreateProjectSecret } from '../../lib/config/cookie-secret';

describe('cookie secret', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alb-secret-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates a 32-byte random project secret once (mode 0600) and then reuses it', () => {
    const first = loadOrCreateProjectSecret(dir);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    const file = path.join(dir, '.cdktf-alb', 'secret');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateProjectSecret(dir)).toBe(first);
    expect(fs.readdirSync(path.join(dir, '.cdktf-alb'))).toEqual(['secret']);
  });

  it('different projects get different secrets', () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'alb-secret-'));
    try {
      expect(loadOrCreateProjectSecret(dir)).not.toBe(loadOrCreateProjectSecret(other));
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('derives a stable, per-LB secret', () => {
    const project = loadOrCreateProjectSecret(dir);
    const a = deriveCookieSecret(project, 'web');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(deriveCookieSecret(project, 'web')).toBe(a);
    expect(deriveCookieSecret(project, 'api')).not.toBe(a);
    expect(a).not.toBe(project);
  });

  it('refuses a corrupted secret file with a message saying what to do', () => {
    fs.mkdirSync(path.join(dir, '.cdktf-alb'));
    fs.writeFileSync(path.join(dir, '.cdktf-alb', 'secret'), 'short\n');
    expect(() => loadOrCreateProjectSecret(dir)).toThrow(/the project secret is not at least 64 hex characters; delete the file to create a new one/);
  });
});
