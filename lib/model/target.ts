/** Virtual-server-group targets: an IP address or an instance, a port (0 = inherit) and a weight. */
import { checkIntRange, isIpv4 } from './check';
import * as limits from './limits';
import { issue, Issue } from './messages';

/** A VM that can be registered as an instance target (an availability-group instance). */
export interface InstanceRef {
  readonly name: string;
  readonly address: string;
  /** Path of the VPC the instance belongs to. */
  readonly vpcPath: string;
}

/**
 * A target's own fields: TargetProps without the instance, which the constructs give as an
 * availability-group instance and the model as an InstanceRef. Not a public type of its own:
 * jsii erases it and lists these fields on TargetProps, the public struct.
 * @jsii ignore
 */
export interface TargetSettings {
  /**
   * IPv4 address of the server; it must lie in the load balancer's VPC.
   * @default - none; give exactly one of address and instance
   */
  readonly address?: string;
  /**
   * Port on the server (0..65535). 0 uses the backend service's port.
   * @default 0
   */
  readonly port?: number;
  /**
   * Weight (0..100). 0 = the target receives no new traffic.
   * @default 10
   */
  readonly weight?: number;
}

/** What the target checks see: the settings and the instance as a reference. */
export interface TargetSpec extends TargetSettings {
  readonly instance?: InstanceRef;
}

export interface TargetModel {
  readonly address: string;
  /** 0 = the backend service's port. */
  readonly port: number;
  readonly weight: number;
  /** Instance name for instance targets; null for ip targets. */
  readonly instance: string | null;
  /** VPC path of an instance target; null for ip targets (checked against the CIDR instead). */
  readonly instanceVpcPath: string | null;
}

/**
 * The weight rule (0..100, an integer), for a target (`target.weight`) or an availability
 * group's instances (`defaultWeight`): the model checks props with it, lib/config/validate.ts
 * documents, and the runtime's balancer the weights it is handed.
 */
export function checkWeight(where: string, field: 'target.weight' | 'defaultWeight', value: unknown): Issue[] {
  return checkIntRange(where, field, value, limits.WEIGHT, '(0 = no new traffic)');
}

/**
 * Target ids are unique within a backend service: health verdicts, passive-health state,
 * session cookies and the source-IP hash ring are keyed on them. `whereOf(j)` names the j-th
 * target in messages (a JSON pointer in a document, a position in the balancer).
 */
export function checkUniqueTargetIds(ids: readonly string[], whereOf: (index: number) => string, backend: string): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  ids.forEach((id, j) => {
    if (seen.has(id)) issues.push(issue(whereOf(j), '', id, `is not unique in backend service "${backend}"`, 'one target per id'));
    seen.add(id);
  });
  return issues;
}

/**
 * Resolves a target; `errors` covers the fields and a duplicate address:port in the group
 * (the same server on another port is fine: reuse rule 4).
 */
export function resolveTarget(groupPath: string, spec: TargetSpec, existing: readonly TargetModel[]): { model: TargetModel; errors: Issue[] } {
  const errors: Issue[] = [];
  const hasAddress = spec.address !== undefined;
  const hasInstance = spec.instance !== undefined;
  if (hasAddress === hasInstance) {
    errors.push(issue(groupPath, 'target', { address: spec.address, instance: spec.instance?.name },
      hasAddress ? 'names both an address and an instance' : 'names neither an address nor an instance',
      'exactly one of address (an IPv4 address) and instance (an AvailabilityGroup instance)'));
  }
  if (hasAddress && !isIpv4(spec.address)) {
    errors.push(issue(groupPath, 'target.address', spec.address, 'is not an IPv4 address', 'a dotted-quad IPv4 address in the load balancer\'s VPC, e.g. "127.0.0.1"'));
  }
  const port = spec.port ?? 0;
  const weight = spec.weight ?? limits.DEFAULT_WEIGHT;
  errors.push(...checkIntRange(groupPath, 'target.port', port, limits.PORT_OR_INHERIT, '(0 = the backend service\'s port)'));
  errors.push(...checkWeight(groupPath, 'target.weight', weight));
  const model: TargetModel = {
    address: hasInstance ? spec.instance!.address : (spec.address ?? ''),
    port, weight,
    instance: spec.instance?.name ?? null,
    instanceVpcPath: spec.instance?.vpcPath ?? null,
  };
  if (errors.length === 0 && existing.some((t) => t.address === model.address && t.port === model.port)) {
    errors.push(issue(groupPath, 'target', `${model.address}:${model.port}`, 'is already registered in this group',
      'each address:port once per group (the same server on another port, or in another group, is fine)'));
  }
  return { model, errors };
}
