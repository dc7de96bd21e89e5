import { Construct } from 'constructs';
import { ServerGroupModel } from '../lib/model/load-balancer';
import { resolveTarget, TargetModel, TargetSettings } from '../lib/model/target';
import { AvailabilityGroupInstance } from './availability-group';
import { recordIssues, rememberCreationSite, tokenIssues } from './errors';
import type { LoadBalancer } from './load-balancer';
import { markModelChanged } from './model-generation';

/** A target to register in a virtual server group: an IP address or an instance. */
export interface TargetProps extends TargetSettings {
  /**
   * An availability-group instance; its group must be in the load balancer's VPC.
   * @default - none; give exactly one of address and instance
   */
  readonly instance?: AvailabilityGroupInstance;
}

/** A registered target as the group holds it. */
export interface RegisteredTarget {
  /** Its address. */
  readonly address: string;
  /** Its port (0 = the backend service's port). */
  readonly port: number;
  /** Its weight. */
  readonly weight: number;
  /**
   * The instance name, for instance targets.
   * @default - an ip target
   */
  readonly instanceName?: string;
}

/** Options of lb.addServerGroup. */
export interface VirtualServerGroupOptions {
  /**
   * Targets to register right away.
   * @default - none; add them with addTarget
   */
  readonly targets?: TargetProps[];
}

/** Properties of a VirtualServerGroup. */
export interface VirtualServerGroupProps extends VirtualServerGroupOptions {
  /** The load balancer the group belongs to (a server group belongs to exactly one LB). */
  readonly loadBalancer: LoadBalancer;
}

/**
 * A virtual server group: a list of targets (IP addresses or instances) with ports and
 * weights. It belongs to one load balancer; several backend services of that LB may share it.
 */
export class VirtualServerGroup extends Construct {
  /** The load balancer the group belongs to. */
  public readonly loadBalancer: LoadBalancer;
  private readonly targetModels: TargetModel[] = [];

  constructor(scope: Construct, id: string, props: VirtualServerGroupProps) {
    super(scope, id);
    rememberCreationSite(this);
    this.loadBalancer = props.loadBalancer;
    props.loadBalancer._registerServerGroup(this);
    (props.targets ?? []).forEach((t) => this.addTarget(t));
  }

  /**
   * Registers a target. The same server may be registered on different ports, and in
   * other groups; the same address:port twice in one group is an error. A target with a
   * wrong field is not registered; the problem is reported at synth.
   */
  public addTarget(target: TargetProps): void {
    const path = this.node.path;
    const { instance, ...settings } = target;
    const tokens = tokenIssues(path, 'target', settings);
    const { model, errors } = resolveTarget(path, {
      ...settings,
      instance: instance && { name: instance.name, address: instance.address, vpcPath: instance.availabilityGroup.vpc.node.path },
    }, this.targetModels);
    if (tokens.length > 0 || errors.length > 0) {
      recordIssues(this, [...tokens, ...errors]);
      return;
    }
    this.targetModels.push(model);
    markModelChanged();
  }

  /** The registered targets, in registration order. */
  public get targets(): RegisteredTarget[] {
    return this.targetModels.map((t) => ({ address: t.address, port: t.port, weight: t.weight, instanceName: t.instance ?? undefined }));
  }

  /** @internal */
  public _toModel(): ServerGroupModel {
    return { path: this.node.path, loadBalancerPath: this.loadBalancer.node.path, targets: this.targetModels };
  }
}
