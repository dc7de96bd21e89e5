/**
 * Renders the LB config document (types.ts) from a validated model. Pure: the same model
 * gives byte-identical output, so the document's hash only changes when the LB changes.
 * The model speaks JD Cloud's seconds; the document speaks milliseconds.
 */
import { AttachedBackendServiceModel, AttachedListenerModel, LoadBalancerTree } from '../model/load-balancer';
import { CertificateModel } from '../model/certificate';
import {
  BackendServiceConfig, CertificateFiles, LB_CONFIG_SCHEMA_VERSION, LbConfig, ListenerConfig, NodeInfo, TargetConfig, VipInfo,
} from './types';

export interface RenderInput {
  /** The validated tree of one load balancer. */
  readonly tree: LoadBalancerTree;
  /** Stable id of the LB (also its placement group name). */
  readonly id: string;
  /**
   * Path prefix stripped from construct paths to form ids (the stack's path), so ids do not
   * change when the app around the stack is renamed.
   */
  readonly idPrefix: string;
  readonly nodes: readonly NodeInfo[];
  readonly cookieSecret: string;
  /** The LB's virtual IP, if it has one. */
  readonly vip?: VipInfo;
}

const MS = 1000;

export function renderLbConfig(input: RenderInput): LbConfig {
  const { tree } = input;
  const idOf = (path: string) => relativeId(path, input.idPrefix);
  return {
    schemaVersion: LB_CONFIG_SCHEMA_VERSION,
    loadBalancer: { id: input.id, path: tree.path, vpcCidr: tree.vpc.cidrBlock },
    cookieSecret: input.cookieSecret,
    nodes: input.nodes.map((n) => ({ name: n.name, zone: n.zone, rack: n.rack, address: n.address })),
    ...(input.vip ? { vip: { address: input.vip.address, virtualRouterId: input.vip.virtualRouterId } } : {}),
    admin: { port: tree.adminPort },
    listeners: tree.listeners.map((l) => renderListener(l, idOf)),
    backendServices: tree.backendServices.map((b) => renderBackendService(b, idOf)),
  };
}

/** Serialization used for the file on disk and its hash. */
export function serializeLbConfig(config: LbConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** `a/b/c` relative to `a` is `b/c`; a path outside the prefix keeps its full form. */
export function relativeId(path: string, prefix: string): string {
  if (prefix && path.startsWith(`${prefix}/`)) return path.slice(prefix.length + 1);
  return path;
}

function renderListener(l: AttachedListenerModel, idOf: (path: string) => string): ListenerConfig {
  return {
    id: idOf(l.path),
    path: l.path,
    protocol: l.protocol as ListenerConfig['protocol'],
    port: l.port,
    backendService: idOf(l.backendService.path),
    enabled: l.enabled,
    idleTimeoutMs: l.idleTimeoutSeconds * MS,
    limits: { qps: l.qpsLimit, activeConnections: l.connectionLimit },
    tls: l.tlsPolicy === null ? null : {
      defaultCertificates: l.certificates.map(certificateFiles),
      sniCertificates: l.sniCertificates.map((s) => ({ domain: s.domain, certificate: certificateFiles(s.certificate) })),
      minVersion: l.tlsPolicy.minVersion,
      maxVersion: l.tlsPolicy.maxVersion,
      ciphers: l.tlsPolicy.ciphers,
    },
    hsts: l.hsts === null ? null : { maxAgeSeconds: l.hsts.maxAgeSeconds, includeSubDomains: l.hsts.includeSubDomains },
  };
}

function certificateFiles(c: CertificateModel): CertificateFiles {
  return { name: c.name, certFile: c.certFile, keyFile: c.keyFile };
}

function renderBackendService(b: AttachedBackendServiceModel, idOf: (path: string) => string): BackendServiceConfig {
  const hc = b.healthCheck;
  return {
    id: idOf(b.path),
    path: b.path,
    protocol: b.protocol,
    port: b.port,
    algorithm: b.algorithm,
    sessionPersistence: b.sessionPersistence === null ? null : {
      cookieName: b.sessionPersistence.cookieName,
      cookieTimeoutSeconds: b.sessionPersistence.cookieTimeoutSeconds,
    },
    healthCheck: {
      enabled: hc.enabled,
      protocol: hc.protocol,
      port: hc.port,
      intervalMs: hc.intervalSeconds * MS,
      timeoutMs: hc.timeoutSeconds * MS,
      healthyThreshold: hc.healthyThresholdCount,
      unhealthyThreshold: hc.unhealthyThresholdCount,
      httpVersion: hc.httpVersion,
      httpDomain: hc.domain,
      httpPath: hc.path,
      httpCodes: hc.healthyHttpCodes,
    },
    forwardedHeaders: { ...b.forwardedHeaders },
    proxyProtocol: b.proxyProtocol,
    timeouts: { connectTimeoutMs: b.connectTimeoutSeconds * MS, responseTimeoutMs: b.responseTimeoutSeconds * MS },
    passiveHealth: { maxFails: b.passiveMaxFails, failTimeoutMs: b.passiveFailTimeoutSeconds * MS },
    targets: resolveTargets(b, idOf),
  };
}

/**
 * Fully resolved targets in attachment order (server groups and availability groups as
 * they were added to the backend service; targets of a group in registration/index order).
 * Server-group port 0 inherits the backend's port; AG instances use the machine template's
 * port. Ids are `<group id>/<address>:<port>`, identical on every node.
 */
export function resolveTargets(b: AttachedBackendServiceModel, idOf: (path: string) => string): TargetConfig[] {
  const targets: TargetConfig[] = [];
  let nextServerGroup = 0;
  let nextAvailabilityGroup = 0;
  for (const kind of b.attachmentOrder) {
    if (kind === 'serverGroup') {
      const group = b.serverGroups[nextServerGroup++];
      const groupId = idOf(group.path);
      for (const t of group.targets) {
        const port = t.port === 0 ? b.port : t.port;
        targets.push({
          id: `${groupId}/${t.address}:${port}`, address: t.address, port, weight: t.weight,
          source: { kind: 'serverGroup', path: group.path, instance: t.instance },
        });
      }
    } else {
      const ag = b.availabilityGroups[nextAvailabilityGroup++];
      const groupId = idOf(ag.path);
      for (const vm of ag.instances) {
        targets.push({
          id: `${groupId}/${vm.address}:${ag.port}`, address: vm.address, port: ag.port, weight: ag.defaultWeight,
          source: { kind: 'availabilityGroup', path: ag.path, instance: vm.name },
        });
      }
    }
  }
  return targets;
}
