/**
 * LB config documents (lib/config/types.ts) for the benchmark: one HTTP and one HTTPS
 * listener in front of an HTTP backend service with the fixed backend set as targets, and
 * one TCP listener in front of the TCP source. Health checks off (the backends do not fail;
 * probes would only add noise), forwarded headers off (nginx/HAProxy add none either),
 * limits unlimited.
 */
import type { LbConfig, AlgorithmName, BackendServiceConfig, TargetConfig, ListenerConfig, UrlMapConfig, UrlMapRuleConfig } from '../../lib/config/types';
import { AlgorithmVariant, HTTP_PORT, HTTPS_PORT, TCP_PORT, ADMIN_PORT } from './types';
import { TlsFiles } from '../lib/tls';

const ALGORITHM: Record<AlgorithmVariant, AlgorithmName> = {
  WRR: 'WEIGHTED_ROUND_ROBIN',
  WLC: 'WEIGHTED_LEAST_CONNECTIONS',
  IP_HASH: 'SOURCE_IP_HASH',
  WRR_COOKIE: 'WEIGHTED_ROUND_ROBIN',
};

export const COOKIE_NAME = 'ALBBENCH';

function backendService(id: string, protocol: 'HTTP' | 'TCP', port: number, algorithm: AlgorithmName,
  cookie: boolean, targets: TargetConfig[]): BackendServiceConfig {
  return {
    id, path: `bench/${id}`, protocol, port, algorithm,
    sessionPersistence: cookie ? { cookieName: COOKIE_NAME, cookieTimeoutSeconds: 600 } : null,
    healthCheck: {
      enabled: false, protocol: 'TCP', port: 0, intervalMs: 5000, timeoutMs: 2000,
      healthyThreshold: 3, unhealthyThreshold: 3, httpVersion: 'HTTP1.1', httpDomain: null,
      httpPath: '/', httpCodes: '2xx',
    },
    forwardedHeaders: { proto: false, port: false, host: false, lbIp: false, clientPort: false },
    proxyProtocol: false,
    timeouts: { connectTimeoutMs: 5000, responseTimeoutMs: 60000 },
    passiveHealth: { maxFails: 0, failTimeoutMs: 10000 },
    targets,
  };
}

function listener(id: string, protocol: 'HTTP' | 'HTTPS' | 'TCP', port: number, backend: string,
  tls: TlsFiles | null): ListenerConfig {
  return {
    id, path: `bench/${id}`, protocol, port, backendService: backend, enabled: true,
    idleTimeoutMs: 600000,
    limits: { qps: -1, activeConnections: -1 },
    tls: tls === null ? null : {
      defaultCertificates: [{ name: 'bench', certFile: tls.certFile, keyFile: tls.keyFile }],
      sniCertificates: [], minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: null,
    },
    hsts: null,
  };
}

export interface AlbConfigInput {
  httpTargets: { host: string; port: number }[];
  /** Extra HTTP targets for the reload scenario: this many targets cycling over httpTargets. */
  httpTargetCount?: number;
  tcpSource: { host: string; port: number };
  tls: TlsFiles;
  algorithm: AlgorithmVariant;
  /** Distinguishes otherwise equal documents (the reload scenario needs a new hash). */
  generation?: number;
  /** When set, the HTTP/HTTPS listeners get a URL map of this many rules (see benchUrlMap). */
  urlMapRules?: number;
}

/**
 * A URL map of `count` rules shaped like a real site's (a quarter exact hosts, some `*.suffix`
 * and `prefix.*` hosts, the rest paths on any host) whose last rule, the exact path `/small`,
 * is the one wrk's requests match: each request first misses every wildcard host the matcher
 * scans. Every rule forwards to the same backend service, so the proxied work is unchanged
 * and the difference to a listener without a map is the cost of choosing a rule.
 */
export function benchUrlMap(count: number): UrlMapConfig {
  const rules: UrlMapRuleConfig[] = [];
  const add = (id: string, host: string | null, path: string | null): void => {
    rules.push({ id, host, path, action: { type: 'forward', backendService: 'web', redirect: null, fixedResponse: null },
      rewrite: null, requestHeaders: null, responseHeaders: null, mirror: null });
  };
  for (let i = 0; rules.length < count - 1; i++) {
    const kind = i % 4;
    if (kind === 0) add(`exact${i}`, `h${i}.example.com`, `/v${i}/*`);
    else if (kind === 1) add(`suffix${i}`, `*.s${i}.example.com`, null);
    else if (kind === 2) add(`prefix${i}`, `p${i}.*`, null);
    else add(`path${i}`, null, `/api${i}/*`);
  }
  add('small', null, '/small');
  return { id: 'bench-map', path: 'bench/map', rules };
}

export function albConfig(input: AlbConfigInput): LbConfig {
  const count = input.httpTargetCount ?? input.httpTargets.length;
  const httpTargets: TargetConfig[] = [];
  for (let i = 0; i < count; i++) {
    const t = input.httpTargets[i % input.httpTargets.length];
    httpTargets.push({
      id: `t${i}`, address: t.host, port: t.port, weight: 10,
      source: { kind: 'serverGroup', path: 'bench/targets', instance: null },
    });
  }
  const map = input.urlMapRules ? benchUrlMap(input.urlMapRules) : null;
  const withMap = (l: ListenerConfig): ListenerConfig => (map === null ? l : { ...l, urlMap: map.id });
  return {
    schemaVersion: 1,
    loadBalancer: { id: `bench-g${input.generation ?? 0}`, path: 'bench', vpcCidr: '127.0.0.0/8' },
    cookieSecret: 'b'.repeat(64),
    nodes: [],
    admin: { port: ADMIN_PORT },
    listeners: [
      withMap(listener('http', 'HTTP', HTTP_PORT, 'web', null)),
      withMap(listener('https', 'HTTPS', HTTPS_PORT, 'web', input.tls)),
      listener('tcp', 'TCP', TCP_PORT, 'tcp', null),
    ],
    backendServices: [
      backendService('web', 'HTTP', input.httpTargets[0].port, ALGORITHM[input.algorithm],
        input.algorithm === 'WRR_COOKIE', httpTargets),
      backendService('tcp', 'TCP', input.tcpSource.port, 'WEIGHTED_ROUND_ROBIN', false, [{
        id: 'src', address: input.tcpSource.host, port: input.tcpSource.port, weight: 10,
        source: { kind: 'serverGroup', path: 'bench/tcp', instance: null },
      }]),
    ],
    ...(map === null ? {} : { urlMaps: [map] }),
  };
}
