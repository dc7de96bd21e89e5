/**
 * The placement contract: where each VM of an LB cluster or an availability group runs.
 * Pure data, no cdktf imports; jsii-compatible (these structs appear in the public API).
 * The planner (lib/placement/plan.ts) fills these in; the constructs use the addresses as
 * targets and the infrastructure target creates one VM per PlacedVm.
 */

/** A zone of the infrastructure and its racks (fault domains), in declaration order. */
export interface ZoneSpec {
  /** Zone name, e.g. `az-1`. */
  readonly name: string;
  /** Rack names in this zone, e.g. `['r1', 'r2']`. Unique across the whole topology. */
  readonly racks: string[];
}

/** What a VM is for. */
export enum VmRole {
  /** A node of a load balancer's cluster, running the bundled runtime. */
  LB_NODE = 'lb-node',
  /** An availability-group instance, running the machine template's command. */
  AG_VM = 'ag-vm',
}

/** One group of VMs to place: an LB's cluster nodes or an availability group's instances. */
export interface PlacementGroup {
  /** Stable, unique name of the group (e.g. the construct's unique id). */
  readonly name: string;
  readonly role: VmRole;
  /**
   * Zones the group may use.
   * @default - all zones of the topology
   */
  readonly zones?: string[];
  /**
   * Number of VMs per zone (LB nodes). Exactly one of perZone and count is set.
   * @default - use count
   */
  readonly perZone?: number;
  /**
   * Total number of VMs spread over the zones (availability groups).
   * @default - use perZone
   */
  readonly count?: number;
}

/** One placed VM. */
export interface PlacedVm {
  /** Unique VM name, stable across re-plans (a VM keeps its name when its group grows). */
  readonly name: string;
  /** PlacementGroup.name of its group. */
  readonly group: string;
  readonly role: VmRole;
  /** Index of the VM within its group (0-based, stable when the group grows). */
  readonly index: number;
  readonly zone: string;
  readonly rack: string;
  /** Address of the VM (a loopback address on LocalInfrastructure). */
  readonly address: string;
}

/**
 * A placed group: its address block and its VMs. What an infrastructure records at a deploy
 * and hands back to the planner at the next synth, so that groups stay where they are.
 */
export interface PlacedGroup {
  /** PlacementGroup.name. */
  readonly name: string;
  /** The group's address block G (the second octet of its addresses on LocalInfrastructure). */
  readonly ordinal: number;
  /** Its VMs, in index order. */
  readonly vms: PlacedVm[];
}
