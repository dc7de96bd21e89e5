import { Construct } from 'constructs';
import { BackendServiceModel, BackendServiceOptions, resolveBackendService } from '../lib/model/backend-service';
import { Algorithm, BackendProtocol } from '../lib/model/enums';
import { AttachedBackendServiceModel } from '../lib/model/load-balancer';
import { issue } from '../lib/model/messages';
import { AvailabilityGroup } from './availability-group';
import { recordIssues, rememberCallSite, rememberCreationSite, tokenIssues } from './errors';
import type { LoadBalancer } from './load-balancer';
import { VirtualServerGroup } from './virtual-server-group';
import { addDeferredWarnings } from './warnings';
import { markModelChanged } from './model-generation';

// The prop structs are declared once, documented, beside the rules that check them (lib/model).
export { BackendServiceOptions, ForwardedHeaders, PassiveHealthCheck, SessionPersistence } from '../lib/model/backend-service';
export { HealthCheck } from '../lib/model/health-check';

type AttachmentKind = AttachedBackendServiceModel['attachmentOrder'][number];

/** Properties of a BackendService. */
export interface BackendServiceProps extends BackendServiceOptions {
  /** The load balancer the backend service belongs to. */
  readonly loadBalancer: LoadBalancer;
}

/**
 * A backend service: protocol, port, scheduling, persistence and health checking, over
 * the server groups and availability groups it sends traffic to.
 */
export class BackendService extends Construct {
  /** The load balancer the backend service belongs to. */
  public readonly loadBalancer: LoadBalancer;
  /** Protocol spoken to targets. */
  public readonly protocol: BackendProtocol;
  /** Default target port. */
  public readonly port: number;
  /** Scheduling algorithm. */
  public readonly algorithm: Algorithm;
  private readonly model: BackendServiceModel;
  private readonly groups: VirtualServerGroup[] = [];
  private readonly availabilityGroupList: AvailabilityGroup[] = [];
  private readonly attachmentOrder: AttachmentKind[] = [];

  constructor(scope: Construct, id: string, props: BackendServiceProps) {
    super(scope, id);
    rememberCreationSite(this);
    const path = this.node.path;
    const { loadBalancer, ...options } = props;
    const resolved = resolveBackendService({ path, ...options });
    recordIssues(this, [...tokenIssues(path, '', options), ...resolved.errors]);
    this.model = resolved.model;
    this.loadBalancer = loadBalancer;
    this.protocol = resolved.model.protocol;
    this.port = resolved.model.port;
    this.algorithm = resolved.model.algorithm;
    loadBalancer._registerBackendService(this);
    addDeferredWarnings(this, () => resolved.warnings);
  }

  /**
   * Sends traffic to a virtual server group's targets. The group must belong to this
   * backend service's load balancer (checked at synth).
   */
  public addServerGroup(group: VirtualServerGroup): void {
    this.attach('serverGroup', 'server group', this.groups, group);
  }

  /**
   * Sends traffic to an availability group's instances (with the group's default weight and
   * its template's port). The group must be in the load balancer's VPC (checked at synth).
   */
  public addAvailabilityGroup(group: AvailabilityGroup): void {
    this.attach('availabilityGroup', 'availability group', this.availabilityGroupList, group);
  }

  /** The attached server groups, in attachment order. */
  public get serverGroups(): VirtualServerGroup[] {
    return [...this.groups];
  }

  /** The attached availability groups, in attachment order. */
  public get availabilityGroups(): AvailabilityGroup[] {
    return [...this.availabilityGroupList];
  }

  /** Both kinds of group attach alike; attachmentOrder keeps their interleaving, which orders the targets. */
  private attach<T extends Construct>(kind: AttachmentKind, noun: string, list: T[], group: T): void {
    if (list.includes(group)) {
      recordIssues(this, [issue(this.node.path, `${kind}s`, group.node.path, 'is already attached', `each ${noun} once per backend service`)]);
      return;
    }
    list.push(group);
    // A whole-tree problem with this group (another LB's, another VPC's) points at this call.
    rememberCallSite(this, `${kind}s`, group.node.path);
    this.attachmentOrder.push(kind);
    markModelChanged();
  }

  /** @internal */
  public _toModel(): AttachedBackendServiceModel {
    return {
      ...this.model,
      loadBalancerPath: this.loadBalancer.node.path,
      serverGroups: this.groups.map((g) => g._toModel()),
      availabilityGroups: this.availabilityGroupList.map((g) => g._toModel()),
      attachmentOrder: [...this.attachmentOrder],
    };
  }
}
