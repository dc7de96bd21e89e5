/**
 * Certificates generated at test time with the openssl command line (self-signed, one day).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CertificateFiles } from '../../../lib/config/types';

export interface CertDir {
  readonly dir: string;
  /** Creates a self-signed certificate for `commonName` (also its DNS SAN). */
  make(name: string, commonName: string, keyType?: 'ec' | 'rsa'): CertificateFiles;
  remove(): void;
}

export function certDir(): CertDir {
  const dir = mkdtempSync(join(tmpdir(), 'alb-certs-'));
  return {
    dir,
    make(name, commonName, keyType = 'ec') {
      const certFile = join(dir, `${name}.crt`);
      const keyFile = join(dir, `${name}.key`);
      const keyArgs = keyType === 'ec'
        ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']
        : ['-newkey', 'rsa:2048'];
      execFileSync('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-keyout', keyFile, '-out', certFile,
        '-days', '1', '-subj', `/CN=${commonName}`, '-addext', `subjectAltName=DNS:${commonName}`], { stdio: 'pipe' });
      return { name, certFile, keyFile };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
