import { Construct } from 'constructs';
import { AvailabilityGroupInstanceModel, AvailabilityGroupModel, AvailabilityGroupSettings, resolveAvailabilityGroup } from '../lib/model/availability-group';
import { PlacedVm, VmRole } from '../lib/placement/types';
import { AlbValidationError, throwIfProblems, tokenProblems } from './errors';
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
    const path = this.node.path;
    const { infrastructure, vpc, template, ...settings } = props;
    const resolved = resolveAvailabilityGroup({ path, ...settings }, infrastructure.zones.map((z) => z.name));
    throwIfProblems([...tokenProblems(path, '', settings), ...resolved.errors]);
    this.infrastructure = infrastructure;
    this.vpc = vpc;
    this.template = template;
    this.instanceCount = resolved.instanceCount;
    this.defaultWeight = resolved.defaultWeight;
    this.port = template.port;
    this.placementGroupName = placementGroupName(this);

    let vms: PlacedVm[];
    try {
      vms = infrastructure.placeGroup({
        name: this.placementGroupName, role: VmRole.AG_VM, zones: settings.zones, count: this.instanceCount,
      });
    } catch (err) {
      throw new AlbValidationError([`${path}: the infrastructure cannot place ${this.instanceCount} VMs: ${(err as Error).message}`]);
    }
    this.instances = vms.map((vm) => ({ name: vm.name, address: vm.address, zone: vm.zone, rack: vm.rack, availabilityGroup: this }));
    infrastructure.deployAvailabilityGroupVms(this, vms, template.executable, template.args, this.port, template.env, template.files);
  }

  /** The instance with this index (0-based). */
  public instance(index: number): AvailabilityGroupInstance {
    const found = this.instances[index];
    if (found === undefined) {
      throw new AlbValidationError([`${this.node.path}: instance index ${index} does not exist; allowed: 0..${this.instances.length - 1}`]);
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
