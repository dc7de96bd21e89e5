/**
 * The runtime's own checks of a document that passed lib/config/validate (schema, ids,
 * references, port clashes): what a node needs beyond that before it may serve the document —
 * addresses it can bind/connect, listener/backend protocol pairs it can proxy, and the
 * certificate files it must be able to read on this host. They assume a well-typed document.
 */
import * as fs from 'fs';
import * as net from 'net';
import { LbConfig, CertificateFiles } from '../../lib/config/types';
import { ConfigIssue } from './issues';

/** Which protocols a listener may forward to (JD ALB: L7 listeners → HTTP, L4 → TCP). */
const BACKEND_PROTOCOL_FOR_LISTENER: Record<string, string> = {
  HTTP: 'HTTP', HTTPS: 'HTTP', TCP: 'TCP', TLS: 'TCP',
};

export function semanticIssues(config: LbConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const backends = new Map(config.backendServices.map((b) => [b.id, b]));

  config.nodes.forEach((n, i) => {
    if (net.isIP(n.address) === 0) {
      issues.push({ path: `/nodes/${i}/address`, message: 'node address is not an IP address', value: n.address,
        allowed: 'an IPv4 or IPv6 address' });
    }
  });

  config.listeners.forEach((listener, i) => {
    const at = `/listeners/${i}`;
    const backend = backends.get(listener.backendService);
    if (backend && BACKEND_PROTOCOL_FOR_LISTENER[listener.protocol] !== backend.protocol) {
      issues.push({ path: `${at}/backendService`, message: `a ${listener.protocol} listener cannot forward to a ${backend.protocol} backend service`,
        value: listener.backendService, allowed: `a ${BACKEND_PROTOCOL_FOR_LISTENER[listener.protocol]} backend service` });
    }
    if (listener.tls) {
      listener.tls.defaultCertificates.forEach((c, j) => certificateIssues(c, `${at}/tls/defaultCertificates/${j}`, issues));
      listener.tls.sniCertificates.forEach((s, j) => {
        if (!/^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(s.domain)) {
          issues.push({ path: `${at}/tls/sniCertificates/${j}/domain`, message: 'invalid SNI domain', value: s.domain,
            allowed: '`exact.name` or `*.suffix`' });
        }
        certificateIssues(s.certificate, `${at}/tls/sniCertificates/${j}/certificate`, issues);
      });
    }
  });

  config.backendServices.forEach((backend, i) => {
    const at = `/backendServices/${i}`;
    if (backend.sessionPersistence && backend.protocol !== 'HTTP') {
      issues.push({ path: `${at}/sessionPersistence`, message: 'cookie persistence needs an HTTP backend service',
        value: backend.protocol, allowed: 'null for TCP backends' });
    }
    if (backend.healthCheck.enabled && backend.healthCheck.protocol === 'HTTP' && !backend.healthCheck.httpPath.startsWith('/')) {
      issues.push({ path: `${at}/healthCheck/httpPath`, message: 'health check path must start with /',
        value: backend.healthCheck.httpPath, allowed: 'a path starting with /' });
    }
  });
  return issues;
}

/** The node this process plays must exist in the document. */
export function nodeIssues(config: LbConfig, nodeName: string): ConfigIssue[] {
  if (config.nodes.some((n) => n.name === nodeName)) return [];
  return [{ path: '/nodes', message: `unknown node "${nodeName}"`, value: nodeName,
    allowed: listOf(config.nodes.map((n) => n.name)) }];
}

function certificateIssues(cert: CertificateFiles, at: string, issues: ConfigIssue[]): void {
  for (const field of ['certFile', 'keyFile'] as const) {
    const file = cert[field];
    try {
      fs.accessSync(file, fs.constants.R_OK);
      if (!fs.statSync(file).isFile()) throw new Error('not a regular file');
    } catch (err) {
      issues.push({ path: `${at}/${field}`, message: `certificate "${cert.name}": file not readable (${errorCode(err)})`,
        value: file, allowed: 'a readable PEM file on this node' });
    }
  }
}

function listOf(names: string[]): string {
  return names.length ? names.map((n) => JSON.stringify(n)).join(', ') : '(none defined)';
}

function errorCode(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message;
}
