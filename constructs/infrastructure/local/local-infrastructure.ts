import * as path from 'path';
import { Construct, IConstruct } from 'constructs';
import { validateTopology } from '../../../lib/model/topology';
import { StablePlacement } from '../../../lib/placement/plan';
import { PLACEMENT_STATE_FILE } from '../../../lib/placement/state';
import { PlacedGroup, PlacedVm, PlacementGroup, ZoneSpec } from '../../../lib/placement/types';
import { issue } from '../../../lib/model/messages';
import { recordIssues, rememberCreationSite } from '../../errors';
import { IInfrastructure, VirtualIpDeployment } from '..';
import { runtimeBundlePath } from '../bundles';
import { previousPlacementOf } from '../common/placement-record';
import { deployerOf } from './deployer';
import { stackOfThisFramework } from '../../framework';

/** Properties of LocalInfrastructure. */
export interface LocalInfrastructureProps {
  /** The zones and their racks. Zone and rack are labels that placement honours. */
  readonly zones: ZoneSpec[];
  /**
   * Where pid files and logs of the local VMs live, and `placement.json`, the placement of
   * the last applied deploy (which keeps VMs where they are across synths). Relative paths
   * are resolved against the project directory (where `cdktf synth` runs). Each
   * LocalInfrastructure of an app needs its own.
   * @default '.alb-state'
   */
  readonly stateDir?: string;
  /**
   * The load-balancer runtime bundle each LB node runs.
   * @default - dist/runtime/alb-runtime.js of this package
   */
  readonly runtimeBundle?: string;
}

/** A load balancer's nodes as handed to deployLoadBalancerNodes. */
export interface LoadBalancerNodesDeployment {
  /** The load balancer construct. */
  readonly loadBalancer: IConstruct;
  /** Its placed nodes. */
  readonly nodes: PlacedVm[];
  /** Path of its config document relative to the stack's synth directory. */
  readonly configFile: string;
  /** SHA-256 of the config document (a token resolved at synth). */
  readonly configHash: string;
}

/** An availability group's VMs as handed to deployAvailabilityGroupVms. */
export interface AvailabilityGroupVmsDeployment {
  /** The availability group construct. */
  readonly availabilityGroup: IConstruct;
  /** Its placed VMs. */
  readonly vms: PlacedVm[];
  /** The program each VM runs. */
  readonly command: string;
  /** Its arguments. */
  readonly args: string[];
  /** The port it serves on. */
  readonly port: number;
  /** Extra environment variables. */
  readonly env: { [key: string]: string };
  /** The program's files (its working directory), if the template ships any. */
  readonly files?: string;
}

/**
 * The embedded infrastructure: every VM is a process on this machine with its own loopback
 * address (all of 127.0.0.0/8 routes to `lo` on Linux), so each LB node can listen on the
 * listeners' real ports. Use a Vpc with cidrBlock `127.0.0.0/8` with it.
 */
export class LocalInfrastructure extends Construct implements IInfrastructure {
  /** The zones (and their racks) this infrastructure offers. */
  public readonly zones: ZoneSpec[];
  /** Absolute path of the state directory (pid files, logs). */
  public readonly stateDir: string;
  /** Absolute path of the runtime bundle LB nodes run. */
  public readonly runtimeBundle: string;
  /**
   * The groups as the last applied deploy placed them (`<stateDir>/placement.json`; empty
   * before the first deploy). Groups found there keep their address block and VMs.
   */
  public readonly previousPlacement: PlacedGroup[];

  private readonly placement: StablePlacement;
  private readonly placed: PlacedVm[] = [];
  private readonly lbDeployments: LoadBalancerNodesDeployment[] = [];
  private readonly agDeployments: AvailabilityGroupVmsDeployment[] = [];

  constructor(scope: Construct, id: string, props: LocalInfrastructureProps) {
    super(scope, id);
    rememberCreationSite(this);
    stackOfThisFramework(this); // a stack of the other framework fails here, not deep inside its synth
    const topologyIssues = validateTopology(this.node.path, props.zones);
    recordIssues(this, topologyIssues);
    // A wrong topology places nothing (groups on it report nothing more; synth fails with its issues).
    this.zones = topologyIssues.length > 0 ? [] : props.zones.map((z) => ({ name: z.name, racks: [...z.racks] }));
    this.stateDir = path.resolve(props.stateDir ?? '.alb-state');
    this.runtimeBundle = path.resolve(props.runtimeBundle ?? runtimeBundlePath());
    claimStateDir(this);
    this.previousPlacement = previousPlacementOf(this, path.join(this.stateDir, PLACEMENT_STATE_FILE));
    this.placement = new StablePlacement(this.zones, this.previousPlacement);
  }

  /** The groups placed in this synth with their address blocks, in placement order. */
  public get placedGroups(): PlacedGroup[] {
    return this.placement.groups;
  }

  /** Every VM placed on this infrastructure so far, in placement order. */
  public get placedVms(): PlacedVm[] {
    return [...this.placed];
  }

  /** The load balancers whose nodes this infrastructure deploys. */
  public get loadBalancerDeployments(): LoadBalancerNodesDeployment[] {
    return [...this.lbDeployments];
  }

  /** The availability groups whose VMs this infrastructure deploys. */
  public get availabilityGroupDeployments(): AvailabilityGroupVmsDeployment[] {
    return [...this.agDeployments];
  }

  /**
   * Places a group with the shared planner (lib/placement/plan.ts), stable against the last
   * applied deploy: a group placed then keeps its address block and its VMs (removing a rack
   * moves only that rack's VMs), a new group takes the lowest free block, whatever the order
   * of declarations in the code.
   */
  public placeGroup(group: PlacementGroup): PlacedVm[] {
    const vms = this.placement.place(group);
    this.placed.push(...vms);
    return vms;
  }

  /**
   * Creates the LB's nodes: per node a `terraform_data` whose provisioners start the runtime
   * as a daemon (`alb-runtime start`) and stop it on destroy, and a config resource whose
   * trigger is `configHash` and whose provisioner hot-reloads the node (`alb-runtime
   * reload`: same pid, no dropped request) when the config changes. Also the outputs
   * `<lb>_endpoints` (per listener, every node's address:port) and `<lb>_nodes`. `_vip` is
   * never given: this infrastructure does not float addresses (the LoadBalancer refuses a vip).
   */
  public deployLoadBalancerNodes(lb: IConstruct, nodes: PlacedVm[], configFile: string, configHash: string, _vip?: VirtualIpDeployment): void {
    this.lbDeployments.push({ loadBalancer: lb, nodes: [...nodes], configFile, configHash });
    deployerOf(this).addLoadBalancer(lb, nodes, configFile, configHash);
  }

  /**
   * Creates the availability group's VMs: per VM a `terraform_data` whose provisioners start
   * `command args` detached on the VM's address (HOST, PORT, VM_NAME, VM_ZONE, VM_RACK in its
   * environment; working directory: the template's files directory (the directory of its
   * file), else the project directory) and stop it on destroy. Also the output `<group>_vms`.
   */
  public deployAvailabilityGroupVms(ag: IConstruct, vms: PlacedVm[], command: string, args: string[], port: number, env: { [key: string]: string }, files?: string): void {
    this.agDeployments.push({ availabilityGroup: ag, vms: [...vms], command, args: [...args], port, env: { ...env }, files });
    deployerOf(this).addAvailabilityGroup(ag, vms, command, args, port, env, files);
  }
}

const stateDirOwners = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Two LocalInfrastructures of one app must not share a state dir: their placement records
 * (and VM directories) would overwrite each other.
 */
function claimStateDir(infra: LocalInfrastructure): void {
  const root = infra.node.root;
  const owners = stateDirOwners.get(root) ?? new Map<string, string>();
  stateDirOwners.set(root, owners);
  const owner = owners.get(infra.stateDir);
  if (owner !== undefined) {
    recordIssues(infra, [issue(infra.node.path, 'stateDir', infra.stateDir, `is already the state dir of ${owner}`, 'a state dir of its own per LocalInfrastructure')]);
    return;
  }
  owners.set(infra.stateDir, infra.node.path);
}
