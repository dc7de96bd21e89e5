/**
 * TLS termination material for HTTPS and TLS listeners: the default certificate(s) and the
 * SNI table, built once per config load from the certificate files on the node. A listener
 * whose files are unreadable or invalid makes apply() fail with the listener, certificate name
 * and path in the message, and the previous config keeps serving.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, SecureContext, SecureContextOptions } from 'node:tls';
import { CertificateFiles, TlsConfig } from '../../lib/config/types';

export interface SniTable {
  /** Exact server names (lower case). */
  readonly exact: ReadonlyMap<string, SecureContext>;
  /** `*.suffix` entries keyed by `.suffix` (lower case): one label matches, as in RFC 6125. */
  readonly wildcard: ReadonlyMap<string, SecureContext>;
}

export interface TlsMaterial {
  /** Options for the server's default context (also what setSecureContext takes). */
  readonly defaults: SecureContextOptions;
  readonly sni: SniTable;
}

function readPem(listenerPath: string, cert: CertificateFiles, which: 'certFile' | 'keyFile'): Buffer {
  const file = cert[which];
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`listener ${listenerPath}: cannot read ${which} of certificate "${cert.name}" at ${file}: ${(err as Error).message}`);
  }
}

function contextOptions(listenerPath: string, certs: readonly CertificateFiles[], tls: TlsConfig): SecureContextOptions {
  const opts: SecureContextOptions = {
    cert: certs.map((c) => readPem(listenerPath, c, 'certFile')),
    key: certs.map((c) => readPem(listenerPath, c, 'keyFile')),
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
  };
  if (tls.ciphers !== null) opts.ciphers = tls.ciphers;
  // Validate now (bad PEM, key not matching the certificate, unknown cipher list) so apply()
  // fails instead of the first handshake.
  try {
    createSecureContext(opts);
  } catch (err) {
    const names = certs.map((c) => `"${c.name}" (${c.certFile}, ${c.keyFile})`).join(', ');
    throw new Error(`listener ${listenerPath}: invalid TLS material ${names}: ${(err as Error).message}`);
  }
  return opts;
}

export function buildTlsMaterial(listenerPath: string, tls: TlsConfig): TlsMaterial {
  // The data plane checked the listener with the model's certificate rule before calling this.
  const defaults = contextOptions(listenerPath, tls.defaultCertificates, tls);
  const exact = new Map<string, SecureContext>();
  const wildcard = new Map<string, SecureContext>();
  for (const s of tls.sniCertificates) {
    const ctx = createSecureContext(contextOptions(listenerPath, [s.certificate], tls));
    const domain = s.domain.toLowerCase();
    if (domain.startsWith('*.')) wildcard.set(domain.slice(1), ctx);
    else exact.set(domain, ctx);
  }
  return { defaults, sni: { exact, wildcard } };
}

/** The SNI context for a server name; undefined → the server's default certificate(s). */
export function lookupSni(table: SniTable | null, servername: string): SecureContext | undefined {
  if (table === null) return undefined;
  const name = servername.toLowerCase();
  const hit = table.exact.get(name);
  if (hit !== undefined) return hit;
  const dot = name.indexOf('.');
  return dot > 0 ? table.wildcard.get(name.slice(dot)) : undefined;
}
