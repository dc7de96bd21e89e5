import { Construct } from 'constructs';
import { AvailabilityGroupInstanceModel, AvailabilityGroupModel, AvailabilityGroupSettings, resolveAvailabilityGroup } from '../lib/model/availability-group';
import { PlacedVm, VmRole } from '../lib/placement/types';
import { issue, renderIssue } from '../lib/model/messages';
import {
  AlbValidationError, hasRecordedIssues, placementIssue, recordedProblems, recordIssues, rememberCreationSite, tokenIssues,
} from './errors';
import { IInfrastructure } from './infrastructure';
import { MachineTemplate } from './machine-template';
import { placementGroupName } from './names';
import { Vpc } from './vpc';

/** Properties of an AvailabilityGroup. */
export interface AvailabilityGroupProps extends AvailabilityGroupSettings {
  /** Where the group's VMs are created. */
  readonly infrastructure: IInfrastructure;
  /** The VPC the VMs belong to; only load balancers of this VPC may use the group. */
  readonly vpc: Vpc;
  /** What each VM runs, and the port it serves on. */
  readonly template: MachineTemplate;
}

/** One VM of an availability group; can also be registered as an instance target. */
export interface AvailabilityGroupInstance extends AvailabilityGroupInstanceModel {
  /** The group it belongs to. */
  readonly availabilityGroup: AvailabilityGroup;
}

/**
 * A set of identical VMs made from one machine template, spread over zones and racks. It
 * stands on its own: attach it to backend services of one or several load balancers of its
 * VPC with `backendService.addAvailabilityGroup(group)`.
 */
export class AvailabilityGroup extends Construct {
  /** Where the VMs are created. */
  public readonly infrastructure: IInfrastructure;
  /** The VPC of the VMs. */
  public readonly vpc: Vpc;
  /** What each VM runs. */
  public readonly template: MachineTemplate;
  /** Number of VMs. */
  public readonly instanceCount: number;
  /** Weight of every instance. */
  public readonly defaultWeight: number;
  /** The VMs' traffic port (the template's port). */
  public readonly port: number;
  /** The name of the group's placement (VM names start with it). */
  public readonly placementGroupName: string;
  /** The VMs, in index order. */
  public readonly instances: AvailabilityGroupInstance[];

  constructor(scope: Construct, id: string, props: AvailabilityGroupProps) {
    super(scope, id);
    rememberCreationSite(this);
    const path = this.node.path;
    const { infrastructure, vpc, template, ...settings } = props;
    const resolved = resolveAvailabilityGroup({ path, ...settings }, infrastructure.zones.map((z) => z.name));
    const fieldIssues = [...tokenIssues(path, '', settings), ...resolved.errors];
    recordIssues(this, fieldIssues);
    this.infrastructure = infrastructure;
    this.vpc = vpc;
    this.template = template;
    this.instanceCount = resolved.instanceCount;
    this.defaultWeight = resolved.defaultWeight;
    this.port = template.port;
    this.placementGroupName = placementGroupName(this);

    // Placed even when a prop is wrong (user code may go on to use ag.instance(i)); a refusal
    // is reported only when it is news, not a repeat of the props' or the infrastructure's problems.
    let vms: PlacedVm[] = [];
    if (!hasRecordedIssues(infrastructure)) {
      try {
        vms = infrastructure.placeGroup({
          name: this.placementGroupName, role: VmRole.AG_VM, zones: settings.zones, count: this.instanceCount,
        });
      } catch (err) {
        if (fieldIssues.length === 0) recordIssues(this, [placementIssue(path, `${this.instanceCount} VMs`, err)]);
      }
    }
    this.instances = vms.map((vm) => ({ name: vm.name, address: vm.address, zone: vm.zone, rack: vm.rack, availabilityGroup: this }));
    infrastructure.deployAvailabilityGroupVms(this, vms, template.executable, template.args, this.port, template.env, template.files);
  }

  /** The instance with this index (0-based). */
  public instance(index: number): AvailabilityGroupInstance {
    const found = this.instances[index];
    if (found === undefined) {
      // A lookup must return a value, so it cannot wait for synth; the group's own problems,
      // if any, are why it has fewer instances than asked for: say them too.
      const allowed = this.instances.length > 0 ? `0..${this.instances.length - 1}` : 'none: the group has no instances';
      throw new AlbValidationError([...recordedProblems([this]), renderIssue(issue(this.node.path, 'instance index', index, 'does not exist', allowed))]);
    }
    return found;
  }

  /** @internal */
  public _toModel(): AvailabilityGroupModel {
    return {
      path: this.node.path, vpcPath: this.vpc.node.path, port: this.port, defaultWeight: this.defaultWeight,
      instances: this.instances.map((i) => ({ name: i.name, address: i.address, zone: i.zone, rack: i.rack })),
    };
  }
}
