/**
 * What only a node can check about a document that passed lib/config/validate.ts (schema,
 * references and the model's rules, shared with synth): addresses it can bind, the certificate
 * files it must read on this host, and that it is one of the document's nodes.
 */
import * as fs from 'fs';
import * as net from 'net';
import { CertificateFiles, LbConfig } from '../../lib/config/types';
import { issue, Issue } from '../../lib/model/messages';

export function semanticIssues(config: LbConfig): Issue[] {
  const issues: Issue[] = [];
  config.nodes.forEach((n, i) => {
    if (net.isIP(n.address) === 0) {
      issues.push(issue(`/nodes/${i}/address`, '', n.address, 'is not an IP address', 'an IPv4 or IPv6 address'));
    }
  });
  config.listeners.forEach((listener, i) => {
    if (listener.tls === null) return;
    const at = `/listeners/${i}/tls`;
    listener.tls.defaultCertificates.forEach((c, j) => certificateIssues(c, `${at}/defaultCertificates/${j}`, issues));
    listener.tls.sniCertificates.forEach((s, j) => certificateIssues(s.certificate, `${at}/sniCertificates/${j}/certificate`, issues));
  });
  return issues;
}

/** The node this process plays must exist in the document. */
export function nodeIssues(config: LbConfig, nodeName: string): Issue[] {
  if (config.nodes.some((n) => n.name === nodeName)) return [];
  return [issue('/nodes', '--node', nodeName, 'is not a node of this document', listOf(config.nodes.map((n) => n.name)))];
}

function certificateIssues(cert: CertificateFiles, at: string, issues: Issue[]): void {
  for (const field of ['certFile', 'keyFile'] as const) {
    const file = cert[field];
    try {
      fs.accessSync(file, fs.constants.R_OK);
      if (!fs.statSync(file).isFile()) throw new Error('not a regular file');
    } catch (err) {
      issues.push(issue(`${at}/${field}`, '', file, `(certificate "${cert.name}") is not readable on this node (${errorCode(err)})`, 'a readable PEM file on this node'));
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
