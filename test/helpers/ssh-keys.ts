/**
 * Real OpenSSH keys for tests, made by ssh-keygen (openssh-client) in a temporary directory:
 * the public key lines users paste into hostKey / hostCertificateAuthority.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** ssh-keygen -t arguments by name: ed25519, ecdsa256/384/521, rsa2048, rsa1024, dsa. */
const KINDS: { [kind: string]: string[] } = {
  ed25519: ['-t', 'ed25519'], ecdsa256: ['-t', 'ecdsa', '-b', '256'], ecdsa384: ['-t', 'ecdsa', '-b', '384'], ecdsa521: ['-t', 'ecdsa', '-b', '521'],
  rsa2048: ['-t', 'rsa', '-b', '2048'], rsa1024: ['-t', 'rsa', '-b', '1024'], dsa: ['-t', 'dsa'],
};

export interface GeneratedKey {
  /** The private key file (its public half is `${file}.pub`). */
  readonly file: string;
  /** The .pub line: "<type> <base64> <comment>". */
  readonly publicLine: string;
}

/** Generates a key of `kind` into `dir` (name: `<name>`), with the comment `comment`. */
export function generateKey(dir: string, name: string, kind = 'ed25519', comment = `test ${name}`): GeneratedKey {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', ...KINDS[kind], '-N', '', '-C', comment, '-f', file], { stdio: 'pipe' });
  return { file, publicLine: fs.readFileSync(`${file}.pub`, 'utf8').trim() };
}

/** `count` ed25519 public key lines, made once in a directory that is removed again at once. */
export function hostKeyLines(count: number): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssh-keys-'));
  try {
    return Array.from({ length: count }, (_, i) => generateKey(dir, `host${i}`).publicLine);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
