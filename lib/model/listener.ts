/** Listener fields: resolution of defaults and the checks that need only the listener itself. */
import { checkEnum, checkIntRange, checkLimit, isSniDomain } from './check';
import { CertificateModel, SniCertificateModel } from './certificate';
import { BackendProtocol, ListenerProtocol, TLS_VERSION_ORDER, TlsVersion } from './enums';
import * as limits from './limits';
import { issue, Issue, withArticle } from './messages';

/** TLS versions and ciphers a TLS/HTTPS listener accepts. */
export interface TlsPolicy {
  /**
   * Oldest TLS version accepted.
   * @default TlsVersion.TLS1_2
   */
  readonly minVersion?: TlsVersion;
  /**
   * Newest TLS version accepted.
   * @default TlsVersion.TLS1_3
   */
  readonly maxVersion?: TlsVersion;
  /**
   * OpenSSL cipher list for TLS 1.2 and older (TLS 1.3 suites are not configurable).
   * @default - Node.js's default cipher list
   */
  readonly ciphers?: string;
}

/** HTTP Strict Transport Security on an HTTPS listener. */
export interface HstsOptions {
  /**
   * max-age in seconds (1..94608000).
   * @default 31536000
   */
  readonly maxAgeSeconds?: number;
  /**
   * Add `includeSubDomains`.
   * @default false
   */
  readonly includeSubDomains?: boolean;
}

/**
 * A listener's own fields: ListenerOptions without the construct references (backend
 * service, certificates), which the model receives as models. Not a public type of its own:
 * jsii erases it and lists these fields on ListenerOptions, the public struct.
 * @jsii ignore
 */
export interface ListenerSettings {
  /** Protocol clients speak. Cannot change (replace the listener instead). */
  readonly protocol: ListenerProtocol;
  /** Port (1..65535), unique per load balancer. */
  readonly port: number;
  /**
   * TLS versions and ciphers (TLS/HTTPS listeners).
   * @default - TLS 1.2 to TLS 1.3 with Node.js's default ciphers
   */
  readonly tlsPolicy?: TlsPolicy;
  /**
   * Seconds an idle client connection is kept (1..86400).
   * @default - 60 for HTTP/HTTPS, 1800 for TCP/TLS
   */
  readonly idleTimeoutSeconds?: number;
  /**
   * Requests per second per LB node (HTTP/HTTPS only): -1 (unlimited) or 100..500000.
   * @default -1
   */
  readonly qpsLimit?: number;
  /**
   * Concurrent client connections per LB node: -1 (unlimited) or 100..5000000.
   * @default -1
   */
  readonly connectionLimit?: number;
  /**
   * Send Strict-Transport-Security (HTTPS only).
   * @default - off
   */
  readonly hsts?: HstsOptions;
  /**
   * Whether the listener is open (JD Cloud's status On/Off).
   * @default true
   */
  readonly enabled?: boolean;
}

/** What the listener checks see: the settings and the construct path they are reported under. */
export interface ListenerSpec extends ListenerSettings {
  /** Construct path of the listener, for messages. */
  readonly path: string;
}

export interface TlsPolicyModel {
  readonly minVersion: TlsVersion;
  readonly maxVersion: TlsVersion;
  /** OpenSSL cipher list for TLS <= 1.2; null = Node's default list. */
  readonly ciphers: string | null;
}

export interface HstsModel {
  readonly maxAgeSeconds: number;
  readonly includeSubDomains: boolean;
}

/** A listener with every default applied. Certificates are added separately (addCertificates). */
export interface ListenerModel {
  readonly path: string;
  readonly protocol: ListenerProtocol;
  readonly port: number;
  readonly idleTimeoutSeconds: number;
  readonly qpsLimit: number;
  readonly connectionLimit: number;
  /** Present for TLS and HTTPS listeners. */
  readonly tlsPolicy: TlsPolicyModel | null;
  /** Present when HSTS is on (HTTPS only). */
  readonly hsts: HstsModel | null;
  readonly enabled: boolean;
}

export const DEFAULT_TLS_POLICY: TlsPolicyModel = { minVersion: TlsVersion.TLS1_2, maxVersion: TlsVersion.TLS1_3, ciphers: null };

export function usesTls(protocol: ListenerProtocol): boolean {
  return protocol === ListenerProtocol.TLS || protocol === ListenerProtocol.HTTPS;
}

export function isHttpListener(protocol: ListenerProtocol): boolean {
  return protocol === ListenerProtocol.HTTP || protocol === ListenerProtocol.HTTPS;
}

/** Resolves defaults; `errors` lists every field that is wrong on its face. */
export function resolveListener(spec: ListenerSpec): { model: ListenerModel; errors: Issue[] } {
  const { path } = spec;
  const errors: Issue[] = [];
  errors.push(...checkEnum(path, 'protocol', spec.protocol, Object.values(ListenerProtocol), 'ListenerProtocol'));
  if (spec.protocol === ListenerProtocol.UDP) {
    errors.push(issue(path, 'protocol', spec.protocol, 'is not supported yet (the runtime does not serve UDP)',
      'ListenerProtocol.TCP, ListenerProtocol.TLS, ListenerProtocol.HTTP, ListenerProtocol.HTTPS'));
  }
  errors.push(...checkIntRange(path, 'port', spec.port, limits.PORT));

  const protocol = spec.protocol;
  const idleDefault = (limits.DEFAULT_IDLE_TIMEOUT_SECONDS as Record<string, number>)[protocol] ?? 60;
  const idleTimeoutSeconds = spec.idleTimeoutSeconds ?? idleDefault;
  errors.push(...checkIntRange(path, 'idleTimeoutSeconds', idleTimeoutSeconds, limits.IDLE_TIMEOUT_SECONDS, 'seconds'));

  const qpsLimit = spec.qpsLimit ?? limits.UNLIMITED;
  errors.push(...checkLimit(path, 'qpsLimit', qpsLimit, limits.QPS_LIMIT));
  if (qpsLimit !== limits.UNLIMITED && !isHttpListener(protocol)) {
    errors.push(issue(path, 'qpsLimit', qpsLimit, `is set on ${withArticle(protocol)} listener`, 'a QPS limit on HTTP and HTTPS listeners only (leave it out or -1)'));
  }
  const connectionLimit = spec.connectionLimit ?? limits.UNLIMITED;
  errors.push(...checkLimit(path, 'connectionLimit', connectionLimit, limits.CONNECTION_LIMIT));

  let tlsPolicy: TlsPolicyModel | null = null;
  if (usesTls(protocol)) {
    tlsPolicy = {
      minVersion: spec.tlsPolicy?.minVersion ?? DEFAULT_TLS_POLICY.minVersion,
      maxVersion: spec.tlsPolicy?.maxVersion ?? DEFAULT_TLS_POLICY.maxVersion,
      ciphers: spec.tlsPolicy?.ciphers ?? null,
    };
    const versions = Object.values(TlsVersion);
    errors.push(...checkEnum(path, 'tlsPolicy.minVersion', tlsPolicy.minVersion, versions, 'TlsVersion'));
    errors.push(...checkEnum(path, 'tlsPolicy.maxVersion', tlsPolicy.maxVersion, versions, 'TlsVersion'));
    if (TLS_VERSION_ORDER.indexOf(tlsPolicy.minVersion) > TLS_VERSION_ORDER.indexOf(tlsPolicy.maxVersion)) {
      errors.push(issue(path, 'tlsPolicy.minVersion', tlsPolicy.minVersion, `is newer than tlsPolicy.maxVersion "${tlsPolicy.maxVersion}"`, 'minVersion <= maxVersion'));
    }
    if (tlsPolicy.ciphers !== null && (typeof tlsPolicy.ciphers !== 'string' || !/^[A-Za-z0-9_:!+@=.-]+$/.test(tlsPolicy.ciphers))) {
      errors.push(issue(path, 'tlsPolicy.ciphers', tlsPolicy.ciphers, 'is not an OpenSSL cipher list', 'e.g. "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256"'));
    }
  } else if (spec.tlsPolicy !== undefined) {
    errors.push(issue(path, 'tlsPolicy', spec.tlsPolicy, `is set on ${withArticle(protocol)} listener`, 'a TLS policy on TLS and HTTPS listeners only'));
  }

  let hsts: HstsModel | null = null;
  if (spec.hsts !== undefined) {
    hsts = {
      maxAgeSeconds: spec.hsts.maxAgeSeconds ?? limits.DEFAULT_HSTS_MAX_AGE_SECONDS,
      includeSubDomains: spec.hsts.includeSubDomains ?? false,
    };
    if (protocol !== ListenerProtocol.HTTPS) {
      errors.push(issue(path, 'hsts', spec.hsts, `is set on ${withArticle(protocol)} listener`, 'HSTS on HTTPS listeners only'));
    }
    errors.push(...checkIntRange(path, 'hsts.maxAgeSeconds', hsts.maxAgeSeconds, limits.HSTS_MAX_AGE_SECONDS, 'seconds'));
  }

  const model: ListenerModel = {
    path, protocol, port: spec.port, idleTimeoutSeconds, qpsLimit, connectionLimit, tlsPolicy, hsts,
    enabled: spec.enabled ?? true,
  };
  return { model, errors };
}

/** Errors of certificates being added to a listener (immediately checkable). */
export function checkCertificatesAddable(path: string, protocol: ListenerProtocol, existing: number, added: readonly CertificateModel[]): Issue[] {
  if (!usesTls(protocol)) {
    return [issue(path, 'certificates', added.map((c) => c.name), `are given to ${withArticle(protocol)} listener`, 'certificates on TLS and HTTPS listeners only')];
  }
  if (existing + added.length > limits.MAX_DEFAULT_CERTIFICATES) {
    return [issue(path, 'certificates', [...added.map((c) => c.name)], `would make ${existing + added.length} default certificates`,
      `at most ${limits.MAX_DEFAULT_CERTIFICATES} (e.g. one RSA and one ECDSA); use SNI certificates for more domains`)];
  }
  return [];
}

/** Errors of an SNI certificate being added to a listener. */
export function checkSniCertificateAddable(path: string, protocol: ListenerProtocol, existing: readonly SniCertificateModel[], added: SniCertificateModel): Issue[] {
  const errors: Issue[] = [];
  if (!usesTls(protocol)) {
    errors.push(issue(path, 'sniCertificates', added.domain, `is given to ${withArticle(protocol)} listener`, 'SNI certificates on TLS and HTTPS listeners only'));
  }
  errors.push(...checkSniDomain(path, added.domain, existing.map((s) => s.domain)));
  return errors;
}

/** The SNI domain rule: `exact.name` or `*.suffix`, once per listener (case-insensitive). */
export function checkSniDomain(path: string, domain: unknown, existing: readonly string[]): Issue[] {
  if (!isSniDomain(domain)) {
    return [issue(path, 'sniCertificates.domain', domain, 'is not a domain', 'an exact host name ("api.example.com") or a wildcard ("*.example.com")')];
  }
  if (existing.some((d) => d.toLowerCase() === (domain as string).toLowerCase())) {
    return [issue(path, 'sniCertificates.domain', domain, 'already has a certificate', 'one certificate per SNI domain')];
  }
  return [];
}

/** Which backend protocol each listener protocol forwards to (JD Cloud's pairing: L7 → HTTP, L4 → TCP). */
export function backendProtocolFor(protocol: ListenerProtocol): BackendProtocol {
  return isHttpListener(protocol) ? BackendProtocol.HTTP : BackendProtocol.TCP;
}

/**
 * The listener/backend protocol pairing rule. The model checks the construct tree with it,
 * lib/config/validate.ts every document a node loads, and the data plane what it serves.
 */
export function checkProtocolPairing(listenerPath: string, listenerProtocol: ListenerProtocol, backendPath: string, backendProtocol: BackendProtocol): Issue[] {
  const expected = backendProtocolFor(listenerProtocol);
  if (backendProtocol === expected) return [];
  return [issue(listenerPath, 'backendService', backendPath,
    `is ${withArticle(backendProtocol)} backend service behind ${withArticle(listenerProtocol)} listener`,
    `a BackendProtocol.${expected} backend service (HTTP/HTTPS listeners → HTTP backends, TCP/TLS listeners → TCP backends)`)];
}

/** "A TLS/HTTPS listener needs a certificate", for the tree, documents and the data plane alike. */
export function checkListenerCertificates(listenerPath: string, protocol: ListenerProtocol, certificateCount: number): Issue[] {
  if (!usesTls(protocol) || certificateCount > 0) return [];
  return [issue(listenerPath, 'certificates', [], `are missing on ${withArticle(protocol)} listener`,
    `1..${limits.MAX_DEFAULT_CERTIFICATES} default certificates (certificates prop or listener.addCertificates(Certificate.fromFiles(...)))`)];
}

/**
 * The port rule: one port per listener and the admin endpoint, per load balancer (every node
 * binds them all on its own address). `adminOwner` names the admin endpoint in messages.
 */
export function checkUniquePorts(adminOwner: string, adminPort: number, listeners: readonly { readonly path: string; readonly port: number }[]): Issue[] {
  const issues: Issue[] = [];
  const portOwner = new Map<number, string>([[adminPort, adminOwner]]);
  for (const listener of listeners) {
    const owner = portOwner.get(listener.port);
    if (owner !== undefined) {
      issues.push(issue(listener.path, 'port', listener.port, `is already used by ${owner}`, 'a port unique per load balancer (listeners and adminPort)'));
    } else {
      portOwner.set(listener.port, listener.path);
    }
  }
  return issues;
}
