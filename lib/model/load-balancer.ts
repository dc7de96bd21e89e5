/**
 * The load balancer as a whole: its own fields, and every rule that needs the whole tree
 * (port clashes, protocol pairing, ownership, VPC membership, quotas, empty backends).
 */
import { checkIntRange, cidrContains, isInteger, parseCidr } from './check';
import { AvailabilityGroupModel } from './availability-group';
import { BackendServiceModel } from './backend-service';
import { CertificateModel, SniCertificateModel } from './certificate';
import * as limits from './limits';
import { checkListenerCertificates, checkProtocolPairing, checkUniquePorts, ListenerModel } from './listener';
import { dedupeIssues as dedupe, issue, Issue, ModelWarning, ValidationResult } from './messages';
import { TargetModel } from './target';
import { validateZoneSelection } from './topology';
import { VpcModel } from './vpc';
import { WarningIds } from './warnings';

export interface QuotasModel {
  readonly maxListeners: number;
  readonly maxBackendServices: number;
  readonly maxServerGroups: number;
  readonly maxTargetsPerServerGroup: number;
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
   * Hex secret (at least 64 hex characters) that signs session cookies on every node.
   * @default - HMAC-SHA256 of the project secret (`.cdktf-alb/secret` in the project
   * directory, created on first synth) and this LB's id: stable across synths, different per LB
   */
  readonly cookieSecret?: string;
  /**
   * Quotas (listeners, backend services, server groups, targets per group).
   * @default - JD Cloud's defaults: 20, 20, 20, 100
   */
  readonly quotas?: LoadBalancerQuotas;
}

/** What the load-balancer checks see: the settings and the construct path they are reported under. */
export interface LoadBalancerSpec extends LoadBalancerSettings {
  /** Construct path of the load balancer, for messages. */
  readonly path: string;
}

export function resolveLoadBalancer(spec: LoadBalancerSpec, infrastructureZones: readonly string[]):
{ nodesPerZone: number; adminPort: number; quotas: QuotasModel; errors: Issue[]; warnings: ModelWarning[] } {
  const { path } = spec;
  const nodesPerZone = spec.nodesPerZone ?? limits.DEFAULT_NODES_PER_ZONE;
  const adminPort = spec.adminPort ?? limits.DEFAULT_ADMIN_PORT;
  const quotas: QuotasModel = { ...limits.DEFAULT_QUOTAS, ...definedOnly(spec.quotas ?? {}) };
  const errors = [
    ...checkIntRange(path, 'nodesPerZone', nodesPerZone, limits.NODES_PER_ZONE),
    ...checkIntRange(path, 'adminPort', adminPort, limits.PORT),
    ...validateZoneSelection(path, 'zones', spec.zones, infrastructureZones),
  ];
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
  return { nodesPerZone, adminPort, quotas, errors, warnings };
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
}

export interface LoadBalancerTree {
  readonly path: string;
  readonly vpc: VpcModel;
  readonly adminPort: number;
  readonly quotas: QuotasModel;
  readonly listeners: readonly AttachedListenerModel[];
  readonly backendServices: readonly AttachedBackendServiceModel[];
  /** Server groups owned by this LB. */
  readonly serverGroups: readonly ServerGroupModel[];
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
    errors.push(...checkProtocolPairing(listener.path, listener.protocol, backend.path, backend.protocol));
    errors.push(...checkListenerCertificates(listener.path, listener.protocol, listener.certificates.length));
  }

  const usedBackends = new Set(tree.listeners.map((l) => l.backendService.path));
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
      warnings.push({ id: WarningIds.UNUSED_BACKEND_SERVICE, path: backend.path, message: 'backend service is not the default backend of any listener: it receives no traffic' });
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
