import { IConstruct } from 'constructs';
import { PlacedVm, PlacementGroup, ZoneSpec } from '../../lib/placement/types';

/**
 * Where the VMs of load balancers and availability groups are created. LocalInfrastructure
 * (processes on loopback addresses of this machine) is the embedded default; SSH hosts and
 * cloud instances plug in behind the same interface.
 */
/** A load balancer's virtual IP as handed to deployLoadBalancerNodes. */
export interface VirtualIpDeployment {
  /** The virtual address. */
  readonly address: string;
  /** VRRP virtual router id (1..255). */
  readonly virtualRouterId: number;
  /** VRRP advertisement interval in milliseconds. */
  readonly advertisementIntervalMs: number;
  /**
   * Interface carrying the address.
   * @default - the one holding the node's own address
   */
  readonly interface?: string;
}

export interface IInfrastructure extends IConstruct {
  /**
   * Whether this infrastructure can move a virtual IP between LB nodes (VRRP). A
   * LoadBalancer with a `vip` is refused on one that cannot.
   * @default false
   */
  readonly floatsAddresses?: boolean;

  /** The zones (and their racks) this infrastructure offers. */
  readonly zones: ZoneSpec[];

  /**
   * Places a group of VMs across zones and racks (deterministic: same input, same answer).
   * Called once per LoadBalancer (role LB_NODE) and per AvailabilityGroup (role AG_VM) at
   * construction time; group names must be unique per infrastructure.
   */
  placeGroup(group: PlacementGroup): PlacedVm[];

  /**
   * Creates the LB's cluster nodes. `configFile` is the path of the synthesized LB config
   * document relative to the stack's synth directory (Terraform's working directory);
   * `configHash` is its SHA-256 (hex). Both may be tokens resolved at synth. A changed hash
   * must reach running nodes as a hot reload, not a restart. `vip`: the LB's virtual IP,
   * only given to an infrastructure that `floatsAddresses`.
   */
  deployLoadBalancerNodes(lb: IConstruct, nodes: PlacedVm[], configFile: string, configHash: string, vip?: VirtualIpDeployment): void;

  /**
   * Creates the availability group's VMs, each running `command args` with HOST, PORT,
   * VM_NAME, VM_ZONE, VM_RACK in its environment. `files` (an absolute path of a file or
   * directory on the synth machine, MachineTemplate `files`) is the program's working
   * directory: a target shipping programs to other machines carries it as an asset.
   */
  deployAvailabilityGroupVms(ag: IConstruct, vms: PlacedVm[], command: string, args: string[], port: number, env: { [key: string]: string }, files?: string): void;
}
