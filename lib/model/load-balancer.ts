/**
 * The load balancer as a whole: its own fields, and every rule that needs the whole tree
 * (port clashes, protocol pairing, ownership, VPC membership, quotas, empty backends).
 */
import { AdminEndpointModel, adminEndpointProblems } from './admin-endpoint';
import { VirtualIp } from './virtual-ip';
import { checkIntRange, cidrContains, isInteger, parseCidr } from './check';
import { AvailabilityGroupModel } from './availability-group';
import { BackendServiceModel, checkUniqueCookieNames } from './backend-service';
import { CertificateModel, SniCertificateModel } from './certificate';
import * as limits from './limits';
import { checkListenerCertificates, checkProtocolPairing, checkUniquePorts, ListenerModel } from './listener';
import { dedupeIssues as dedupe, issue, Issue, ModelWarning, ValidationResult } from './messages';
import { TargetModel } from './target';
import { backendsUsedBy, checkListenerUrlMap, UrlMapModel } from './url-map';
import { validateZoneSelection } from './topology';
import { VpcModel } from './vpc';
import { WarningIds } from './warnings';

export interface QuotasModel {
  readonly maxListeners: number;
  readonly maxBackendServices: number;
  readonly maxServerGroups: number;
  readonly maxTargetsPerServerGroup: number;
  readonly maxUrlMaps: number;
  readonly maxRulesPerUrlMap: number;
}

/** Per-LB quotas. JD Cloud's defaults apply unless raised here. */
export interface LoadBalancerQuotas {
  /**
   * Listeners per load balancer.
   * @default 20
   */
  readonly maxListeners?: number;
  /**
   * Backend services per load balancer.
   * @default 20
   */
  readonly maxBackendServices?: number;
  /**
   * Virtual server groups per load balancer.
   * @default 20
   */
  readonly maxServerGroups?: number;
  /**
   * Targets per virtual server group.
   * @default 100
   */
  readonly maxTargetsPerServerGroup?: number;
  /**
   * URL maps (forwarding rule groups) per load balancer.
   * @default 50
   */
  readonly maxUrlMaps?: number;
  /**
   * Rules per URL map.
   * @default 50
   */
  readonly maxRulesPerUrlMap?: number;
}

/**
 * A load balancer's own fields: LoadBalancerProps without the construct references
 * (infrastructure, VPC). Not a public type of its own: jsii erases it and lists these
 * fields on LoadBalancerProps, the public struct.
 * @jsii ignore
 */
export interface LoadBalancerSettings {
  /**
   * Zones the LB's nodes run in.
   * @default - all zones of the infrastructure
   */
  readonly zones?: string[];
  /**
   * LB nodes per zone (1..16), spread over the zone's racks. Losing a node moves its
   * traffic to the others.
   * @default 2
   */
  readonly nodesPerZone?: number;
  /**
   * Port of each node's admin endpoint (/healthz, /status, /metrics), on the node's address.
   * Must not clash with a listener port.
   * @default 9900
   */
  readonly adminPort?: number;
  /**
   * Address the admin endpoint binds to on each node: e.g. `127.0.0.1` to reach it only from
   * the node itself, `0.0.0.0` for every address.
   * @default - the node's own address
   */
  readonly adminBindAddress?: string;
  /**
   * Absolute path of a file on each node holding a bearer token: /status and /metrics then
   * answer only requests with `Authorization: Bearer <token>` (401 otherwise); /healthz stays
   * open for health probes. The file is read by the runtime at start and reload; the token
   * is never logged nor shown in /status, and it is not part of the synthesized config.
   * @default - no token: whoever reaches the admin address may read /status and /metrics
   */
  readonly adminTokenFile?: string;
  /**
   * Hex secret (at least 64 hex characters) that signs session cookies on every node.
   * @default - HMAC-SHA256 of the project secret (`.cdktf-alb/secret` in the project
   * directory, created on first synth) and this LB's id: stable across synths, different per LB
   */
  readonly cookieSecret?: string;
  /**
   * One virtual IP for the whole LB, moved between its nodes by VRRP (keepalived): clients
   * use this one address and a lost node does not break them. Needs an infrastructure that
   * can float an address (SshInfrastructure); LocalInfrastructure refuses it.
   * @default - no virtual IP: clients use the nodes' own addresses
   */
  readonly vip?: VirtualIp;
  /**
   * Quotas (listeners, backend services, server groups, targets per group, URL maps, rules per map).
   * @default - JD Cloud's defaults: 20, 20, 20, 100, 50, 50
   */
  readonly quotas?: LoadBalancerQuotas;
}

/** What the load-balancer checks see: the settings and the construct path they are reported under. */
export interface LoadBalancerSpec extends LoadBalancerSettings {
  /** Construct path of the load balancer, for messages. */
  readonly path: string;
}

export function resolveLoadBalancer(spec: LoadBalancerSpec, infrastructureZones: readonly string[]):
{ nodesPerZone: number; adminPort: number; admin: AdminEndpointModel; quotas: QuotasModel; errors: Issue[]; warnings: ModelWarning[] } {
  const { path } = spec;
  const nodesPerZone = spec.nodesPerZone ?? limits.DEFAULT_NODES_PER_ZONE;
  const adminPort = spec.adminPort ?? limits.DEFAULT_ADMIN_PORT;
  const quotas: QuotasModel = { ...limits.DEFAULT_QUOTAS, ...definedOnly(spec.quotas ?? {}) };
  const errors = [
    ...checkIntRange(path, 'nodesPerZone', nodesPerZone, limits.NODES_PER_ZONE),
    ...checkIntRange(path, 'adminPort', adminPort, limits.PORT),
    ...validateZoneSelection(path, 'zones', spec.zones, infrastructureZones),
    ...adminEndpointProblems(path, 'adminBindAddress', spec.adminBindAddress, 'adminTokenFile', spec.adminTokenFile),
  ];
  const admin: AdminEndpointModel = { bindAddress: spec.adminBindAddress ?? null, tokenFile: spec.adminTokenFile ?? null };
  for (const [name, value] of Object.entries(quotas)) {
    if (!isInteger(value) || value < 1) {
      errors.push(issue(path, `quotas.${name}`, value, 'is not a positive integer',
        `an integer >= 1 (JD Cloud's default is ${(limits.DEFAULT_QUOTAS as Record<string, number>)[name]})`));
    }
  }
  if (spec.cookieSecret !== undefined && (typeof spec.cookieSecret !== 'string' || !/^[0-9a-f]{64,}$/.test(spec.cookieSecret))) {
    errors.push(issue(path, 'cookieSecret', '<redacted>', 'is not a hex secret of at least 32 bytes',
      'at least 64 lowercase hex characters, e.g. the output of `openssl rand -hex 32`'));
  }
  const warnings: ModelWarning[] = [];
  if (nodesPerZone === 1) {
    warnings.push({ id: WarningIds.SINGLE_NODE_PER_ZONE, path, message: 'nodesPerZone is 1: losing that node takes the zone out of the cluster (JD Cloud runs at least 2 per zone)' });
  }
  return { nodesPerZone, adminPort, admin, quotas, errors, warnings };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface ServerGroupModel {
  readonly path: string;
  /** Path of the LB that owns the group. */
  readonly loadBalancerPath: string;
  readonly targets: readonly TargetModel[];
}

export interface AttachedBackendServiceModel extends BackendServiceModel {
  /** Path of the LB that owns the backend service. */
  readonly loadBalancerPath: string;
  readonly serverGroups: readonly ServerGroupModel[];
  readonly availabilityGroups: readonly AvailabilityGroupModel[];
  /**
   * The order groups were attached in, as kinds: the i-th 'serverGroup' entry is
   * serverGroups[i] and likewise for availability groups. Targets are listed in this order.
   */
  readonly attachmentOrder: readonly ('serverGroup' | 'availabilityGroup')[];
}

export interface AttachedListenerModel extends ListenerModel {
  readonly certificates: readonly CertificateModel[];
  readonly sniCertificates: readonly SniCertificateModel[];
  /** The default backend service. */
  readonly backendService: AttachedBackendServiceModel;
  /** Forwarding rules (HTTP/HTTPS listeners), or null. */
  readonly urlMap: UrlMapModel | null;
}

export interface LoadBalancerTree {
  readonly path: string;
  readonly vpc: VpcModel;
  readonly adminPort: number;
  /** Admin bind address and token file; absent: the node's address, no token. */
  readonly admin?: AdminEndpointModel;
  readonly quotas: QuotasModel;
  readonly listeners: readonly AttachedListenerModel[];
  readonly backendServices: readonly AttachedBackendServiceModel[];
  /** Server groups owned by this LB. */
  readonly serverGroups: readonly ServerGroupModel[];
  /** URL maps owned by this LB. */
  readonly urlMaps: readonly UrlMapModel[];
}

/** How port-clash messages name an LB's admin endpoint. */
export function adminPortOwner(loadBalancerPath: string): string {
  return `${loadBalancerPath} (adminPort)`;
}

/** Every whole-tree rule. All problems are reported, not only the first. */
export function validateLoadBalancerTree(tree: LoadBalancerTree): ValidationResult {
  const errors: Issue[] = [];
  const warnings: ModelWarning[] = [];
  const { path, quotas } = tree;

  const quota = (field: string, count: number, max: number, what: string) => {
    if (count > max) {
      errors.push(issue(path, field, count, `${what} exceed the quota`, `at most ${max} (raise it with LoadBalancerProps.quotas.${field})`));
    }
  };
  quota('maxListeners', tree.listeners.length, quotas.maxListeners, 'listeners');
  quota('maxBackendServices', tree.backendServices.length, quotas.maxBackendServices, 'backend services');
  quota('maxServerGroups', tree.serverGroups.length, quotas.maxServerGroups, 'server groups');
  quota('maxUrlMaps', tree.urlMaps.length, quotas.maxUrlMaps, 'URL maps');
  for (const map of tree.urlMaps) {
    if (map.rules.length > quotas.maxRulesPerUrlMap) {
      errors.push(issue(map.path, 'rules', map.rules.length, 'rules exceed the quota',
        `at most ${quotas.maxRulesPerUrlMap} per URL map (raise it with LoadBalancerProps.quotas.maxRulesPerUrlMap on ${path})`));
    }
  }
  for (const group of tree.serverGroups) {
    if (group.targets.length > quotas.maxTargetsPerServerGroup) {
      errors.push(issue(group.path, 'targets', group.targets.length, 'targets exceed the quota',
        `at most ${quotas.maxTargetsPerServerGroup} per server group (raise it with LoadBalancerProps.quotas.maxTargetsPerServerGroup on ${path})`));
    }
  }

  errors.push(...checkUniquePorts(adminPortOwner(path), tree.adminPort, tree.listeners));
  for (const listener of tree.listeners) {
    const backend = listener.backendService;
    if (backend.loadBalancerPath !== path) {
      errors.push(issue(listener.path, 'backendService', backend.path, `belongs to load balancer ${backend.loadBalancerPath}`, `a backend service of ${path}`));
    }
    if (listener.urlMap !== null) {
      errors.push(...checkListenerUrlMap(listener.path, listener.protocol, listener.urlMap.path));
      if (listener.urlMap.loadBalancerPath !== path) {
        errors.push(issue(listener.path, 'urlMap', listener.urlMap.path, `belongs to load balancer ${listener.urlMap.loadBalancerPath}`, `a URL map of ${path}`));
      }
    }
    errors.push(...checkProtocolPairing(listener.path, listener.protocol, backend.path, backend.protocol));
    errors.push(...checkListenerCertificates(listener.path, listener.protocol, listener.certificates.length));
  }

  errors.push(...checkUniqueCookieNames(tree.backendServices.map((b) => ({ path: b.path, cookieName: b.sessionPersistence?.cookieName ?? null }))));

  const usedBackends = new Set(tree.listeners.map((l) => l.backendService.path));
  for (const l of tree.listeners) if (l.urlMap !== null) backendsUsedBy(l.urlMap).forEach((b) => usedBackends.add(b));
  const cidr = parseCidr(tree.vpc.cidrBlock);
  for (const backend of tree.backendServices) {
    let targetCount = 0;
    let positiveWeights = 0;
    for (const group of backend.serverGroups) {
      if (group.loadBalancerPath !== path) {
        errors.push(issue(backend.path, 'serverGroups', group.path, `belongs to load balancer ${group.loadBalancerPath}`,
          `server groups of ${path} (a virtual server group belongs to one LB; an AvailabilityGroup may serve several)`));
      }
      for (const target of group.targets) {
        targetCount++;
        if (target.weight > 0) positiveWeights++;
        errors.push(...checkTargetInVpc(group.path, target, tree.vpc, cidr, path));
      }
    }
    for (const ag of backend.availabilityGroups) {
      targetCount += ag.instances.length;
      if (ag.defaultWeight > 0) positiveWeights += ag.instances.length;
      if (ag.vpcPath !== tree.vpc.path) {
        errors.push(issue(backend.path, 'availabilityGroups', ag.path, `is in VPC ${ag.vpcPath}`,
          `availability groups in the load balancer's VPC ${tree.vpc.path} (${tree.vpc.cidrBlock})`));
      }
    }
    if (targetCount === 0) {
      warnings.push({ id: WarningIds.NO_TARGETS, path: backend.path, message: 'backend service has no targets at all: add a server group with targets or an availability group, or every request gets 503' });
    } else if (positiveWeights === 0) {
      warnings.push({ id: WarningIds.ALL_WEIGHTS_ZERO, path: backend.path, message: `all ${targetCount} targets have weight 0: the backend service cannot serve traffic` });
    }
    if (!usedBackends.has(backend.path)) {
      warnings.push({ id: WarningIds.UNUSED_BACKEND_SERVICE, path: backend.path, message: 'backend service is neither the default backend of a listener nor the target of a rule of a listener\'s URL map: it receives no traffic' });
    }
  }
  // Groups not attached to any backend are still checked: a wrong target is wrong wherever it sits.
  const attached = new Set(tree.backendServices.flatMap((b) => b.serverGroups.map((g) => g.path)));
  for (const group of tree.serverGroups) {
    if (attached.has(group.path)) continue;
    for (const target of group.targets) errors.push(...checkTargetInVpc(group.path, target, tree.vpc, cidr, path));
  }
  return { errors: dedupe(errors), warnings };
}

function checkTargetInVpc(groupPath: string, target: TargetModel, vpc: VpcModel, cidr: ReturnType<typeof parseCidr>, lbPath: string): Issue[] {
  if (target.instance !== null) {
    if (target.instanceVpcPath !== vpc.path) {
      return [issue(groupPath, 'target.instance', target.instance, `is in VPC ${target.instanceVpcPath}`,
        `instances in the VPC of load balancer ${lbPath}: ${vpc.path} (${vpc.cidrBlock})`)];
    }
    return [];
  }
  if (cidr && !cidrContains(cidr, target.address)) {
    return [issue(groupPath, 'target.address', target.address, `is outside the VPC ${vpc.path} of load balancer ${lbPath}`,
      `addresses in ${vpc.cidrBlock}`)];
  }
  return [];
}
