/**
 * A throwaway certificate for the HTTPS scenarios. ECDSA P-256: the key type most production
 * LBs serve first, and cheap enough that handshakes/s measures the proxy, not RSA signing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';

export interface TlsFiles { certFile: string; keyFile: string; /** cert + key in one file (HAProxy's crt). */ bundleFile: string }

export function makeCertificate(dir: string): TlsFiles {
  const keyFile = path.join(dir, 'bench-key.pem');
  const certFile = path.join(dir, 'bench-cert.pem');
  const bundleFile = path.join(dir, 'bench-bundle.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=bench.local',
    '-addext', 'subjectAltName=DNS:bench.local,IP:127.0.0.1'], { stdio: 'ignore' });
  fs.writeFileSync(bundleFile, fs.readFileSync(certFile, 'utf8') + fs.readFileSync(keyFile, 'utf8'));
  return { certFile, keyFile, bundleFile };
}
