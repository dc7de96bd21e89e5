/** Availability-group fields: instance count, default weight and zones. */
import { checkIntRange } from './check';
import { Issue } from './messages';
import * as limits from './limits';
import { checkWeight } from './target';
import { validateZoneSelection } from './topology';

/**
 * An availability group's own fields: AvailabilityGroupProps without the construct
 * references (infrastructure, VPC, machine template). Not a public type of its own: jsii
 * erases it and lists these fields on AvailabilityGroupProps, the public struct.
 * @jsii ignore
 */
export interface AvailabilityGroupSettings {
  /**
   * Number of VMs, spread evenly over the zones and their racks (0..300).
   * @default 2
   */
  readonly instanceCount?: number;
  /**
   * Zones the VMs are spread over (fixed at creation, as on JD Cloud).
   * @default - all zones of the infrastructure
   */
  readonly zones?: string[];
  /**
   * Weight of every instance in the backend services it serves (0..100; 0 = no new traffic).
   * @default 10
   */
  readonly defaultWeight?: number;
}

/** What the availability-group checks see: the settings and the construct path they are reported under. */
export interface AvailabilityGroupSpec extends AvailabilityGroupSettings {
  /** Construct path of the availability group, for messages. */
  readonly path: string;
}

/**
 * An instance of an availability group as placed by the infrastructure. The public
 * AvailabilityGroupInstance adds the group itself; jsii erases this base into it.
 * @jsii ignore
 */
export interface AvailabilityGroupInstanceModel {
  /** Unique VM name, e.g. `app-az-1-r1-0`. */
  readonly name: string;
  /** The VM's address. */
  readonly address: string;
  /** Its zone. */
  readonly zone: string;
  /** Its rack. */
  readonly rack: string;
}

export interface AvailabilityGroupModel {
  readonly path: string;
  readonly vpcPath: string;
  /** The machine template's traffic port: the port every instance target uses. */
  readonly port: number;
  readonly defaultWeight: number;
  readonly instances: readonly AvailabilityGroupInstanceModel[];
}

export function resolveAvailabilityGroup(spec: AvailabilityGroupSpec, infrastructureZones: readonly string[]):
{ instanceCount: number; defaultWeight: number; errors: Issue[] } {
  const instanceCount = spec.instanceCount ?? limits.DEFAULT_INSTANCE_COUNT;
  const defaultWeight = spec.defaultWeight ?? limits.DEFAULT_WEIGHT;
  const errors = [
    ...checkIntRange(spec.path, 'instanceCount', instanceCount, limits.INSTANCE_COUNT),
    ...checkWeight(spec.path, 'defaultWeight', defaultWeight),
    ...validateZoneSelection(spec.path, 'zones', spec.zones, infrastructureZones),
  ];
  return { instanceCount, defaultWeight, errors };
}
