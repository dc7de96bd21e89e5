/** Availability-group fields: instance count, default weight and zones. */
import { checkIntRange } from './check';
import * as limits from './limits';
import { validateZoneSelection } from './topology';

export interface AvailabilityGroupSpec {
  readonly path: string;
  readonly instanceCount?: number;
  readonly defaultWeight?: number;
  readonly zones?: string[];
}

/** An instance of an availability group as placed by the infrastructure. */
export interface AvailabilityGroupInstanceModel {
  readonly name: string;
  readonly address: string;
  readonly zone: string;
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
{ instanceCount: number; defaultWeight: number; errors: string[] } {
  const instanceCount = spec.instanceCount ?? limits.DEFAULT_INSTANCE_COUNT;
  const defaultWeight = spec.defaultWeight ?? limits.DEFAULT_WEIGHT;
  const errors = [
    ...checkIntRange(spec.path, 'instanceCount', instanceCount, limits.INSTANCE_COUNT),
    ...checkIntRange(spec.path, 'defaultWeight', defaultWeight, limits.WEIGHT, '(0 = no new traffic)'),
    ...validateZoneSelection(spec.path, 'zones', spec.zones, infrastructureZones),
  ];
  return { instanceCount, defaultWeight, errors };
}
