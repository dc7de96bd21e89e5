/**
 * Renders the LB config document (types.ts) from a validated model. Pure: the same model
 * gives byte-identical output, so the document's hash only changes when the LB changes.
 * The model speaks JD Cloud's seconds; the document speaks milliseconds.
 */
import { AttachedBackendServiceModel, AttachedListenerModel, LoadBalancerTree } from '../model/load-balancer';
import { CertificateModel } from '../model/certificate';
import { DEFAULT_COOKIE_NAME_PREFIX } from '../model/limits';
import { UrlMapModel, UrlMapRuleModel, HeaderRulesModel } from '../model/url-map';
import { sha256Hex } from './hash';
import {
  AdminConfig, BackendServiceConfig, CertificateFiles, HeaderRulesConfig, LB_CONFIG_SCHEMA_VERSION, LbConfig, ListenerConfig, NodeInfo,
  RuleActionConfig, TargetConfig, UrlMapConfig, UrlMapRuleConfig, VipInfo,
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
    admin: renderAdmin(tree),
    listeners: tree.listeners.map((l) => renderListener(l, idOf)),
    backendServices: tree.backendServices.map((b) => renderBackendService(b, idOf)),
    urlMaps: tree.urlMaps.map((m) => renderUrlMap(m, idOf)),
  };
}

/** The admin section; the optional fields only when set, so documents without them stay as they were. */
function renderAdmin(tree: LoadBalancerTree): AdminConfig {
  const admin: AdminConfig = { port: tree.adminPort };
  if (tree.admin !== undefined && tree.admin.bindAddress !== null) admin.bindAddress = tree.admin.bindAddress;
  if (tree.admin !== undefined && tree.admin.tokenFile !== null) admin.tokenFile = tree.admin.tokenFile;
  return admin;
}

/**
 * The session cookie of a backend service that names none: distinct per backend service, so
 * a client that URL maps route to several backends keeps its target in each of them, and
 * derived from the id alone, so every node and every synth agrees on it.
 */
export function defaultCookieName(backendId: string): string {
  return `${DEFAULT_COOKIE_NAME_PREFIX}${sha256Hex(backendId).slice(0, 8)}`;
}

function renderUrlMap(m: UrlMapModel, idOf: (path: string) => string): UrlMapConfig {
  return { id: idOf(m.path), path: m.path, rules: m.rules.map((r) => renderRule(r, idOf)) };
}

function renderRule(r: UrlMapRuleModel, idOf: (path: string) => string): UrlMapRuleConfig {
  const a = r.action;
  const action: RuleActionConfig = { type: a.kind, backendService: null, redirect: null, fixedResponse: null };
  if (a.kind === 'forward') action.backendService = idOf(a.backendPath);
  else if (a.kind === 'redirect') action.redirect = { ...a.redirect, statusCode: a.redirect.statusCode as 301 | 302 | 307 | 308 };
  else action.fixedResponse = { ...a.fixedResponse };
  return {
    id: r.name,
    host: r.host,
    path: r.path,
    action,
    rewrite: r.rewrite === null ? null : { ...r.rewrite },
    requestHeaders: headerRules(r.requestHeaders),
    responseHeaders: headerRules(r.responseHeaders),
    mirror: r.mirrorBackendPath === null ? null : idOf(r.mirrorBackendPath),
    ...(r.mirrorMaxBodyBytes === null ? {} : { mirrorMaxBodyBytes: r.mirrorMaxBodyBytes }),
  };
}

function headerRules(h: HeaderRulesModel | null): HeaderRulesConfig | null {
  if (h === null) return null;
  return { set: h.set.map(([name, value]) => ({ name, value })), remove: [...h.remove] };
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
    urlMap: l.urlMap === null ? null : idOf(l.urlMap.path),
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
      cookieName: b.sessionPersistence.cookieName ?? defaultCookieName(idOf(b.path)),
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
