import * as path from 'path';
import { Construct, IConstruct } from 'constructs';
import { HostSupervisor, SshInfrastructureSettings, hostKeyOf, validateSshInfrastructure, zonesOfHosts } from '../../../lib/model/ssh-infrastructure';
import { WarningIds } from '../../../lib/model/warnings';
import { HostAssignment, HostPlacement, hostPlacementState, parseHostPlacementState } from '../../../lib/placement/hosts';
import { StablePlacement } from '../../../lib/placement/plan';
import { PlacedGroup, PlacedVm, PlacementGroup, ZoneSpec } from '../../../lib/placement/types';
import { issue, Issue, MISSING, ModelWarning, renderIssue } from '../../../lib/model/messages';
import { addProblemValidation, recordIssues, rememberCreationSite } from '../../errors';
import { addDeferredWarnings } from '../../warnings';
import { stackOfThisFramework } from '../../framework';
import { IInfrastructure, VirtualIpDeployment } from '..';
import { runtimeBundlePath } from '../bundles';
import { readPlacementRecord } from '../common/placement-record';
import { SshDeployer, SshHostTarget } from './deployer';

// The prop structs are declared once, documented, beside the rules that check them (lib/model).
export { HostSupervisor, SshHost } from '../../../lib/model/ssh-infrastructure';
// Types of its public members (hosts, hostOf, hostAssignments): jsii needs them exported.
export { HostAssignment, HostSpec } from '../../../lib/placement/hosts';
export { SshHostTarget } from './deployer';

/** Properties of SshInfrastructure. */
export interface SshInfrastructureProps extends SshInfrastructureSettings {
  /**
   * The load-balancer runtime bundle each LB node runs (shipped to the hosts as an asset).
   * @default - dist/runtime/alb-runtime.js of this package
   */
  readonly runtimeBundle?: string;
}

/**
 * Existing hosts reached over SSH: each LB node and availability-group VM runs on a host of
 * its planned zone and rack, installed and supervised there by Terraform's built-in `file`
 * and `remote-exec` provisioners (no provider to download). Use a Vpc whose cidrBlock holds
 * the hosts' addresses.
 */
export class SshInfrastructure extends Construct implements IInfrastructure {
  /** The zones (and their racks), from the hosts. */
  public readonly zones: ZoneSpec[];
  /** Hosts of one segment can move an address between LB nodes (keepalived). */
  public readonly floatsAddresses?: boolean = true;
  /** The hosts with their effective SSH port, user and host key. */
  public readonly hosts: SshHostTarget[];
  public readonly installDir: string;
  public readonly nodeCommand: string;
  /** HostSupervisor value handed to the host agent. */
  public readonly supervisor: string;
  public readonly vmsPerHost: number;
  /** Absolute path of the runtime bundle LB nodes run. */
  public readonly runtimeBundle: string;
  /** Worker processes per LB node (undefined: one per core). */
  public readonly workers?: number;
  /** Absolute path of the placement record (see SshInfrastructureProps.placementFile). */
  public readonly placementFile: string;
  /** The placement recorded by the last applied deploy (empty before the first). */
  public readonly previousPlacement: PlacedGroup[];

  private readonly planner: StablePlacement;
  private readonly hostPlacement: HostPlacement;
  private readonly deployer: SshDeployer;
  /** The ports each VM listens on (read at validation: an LB's listeners are added after it). */
  private readonly vmPorts: { vm: string; ports: () => number[] }[] = [];
  private readonly vips: { lb: string; vip: VirtualIpDeployment }[] = [];

  constructor(scope: Construct, id: string, props: SshInfrastructureProps) {
    super(scope, id);
    rememberCreationSite(this);
    const stack = stackOfThisFramework(this); // a stack of the other framework fails here, not deep inside its synth
    const propIssues = validateSshInfrastructure(this.node.path, props);
    recordIssues(this, propIssues);
    // Wrong props give a fleet without hosts: groups on it place nothing and report nothing more.
    const usable = propIssues.length === 0;
    const user = props.user ?? 'root';
    const port = props.port ?? 22;
    this.hosts = usable
      ? props.hosts.map((h) => ({ name: h.name, address: h.address, zone: h.zone, rack: h.rack, port: h.port ?? port, user: h.user ?? user, hostKey: hostKeyOf(h, props) }))
      : [];
    this.zones = usable ? zonesOfHosts(props.hosts) : [];
    this.installDir = props.installDir ?? '/opt/cdktf-alb';
    this.nodeCommand = props.nodeCommand ?? 'node';
    this.supervisor = props.supervisor ?? HostSupervisor.AUTO;
    this.vmsPerHost = props.vmsPerHost ?? 1;
    this.workers = props.workers;
    this.runtimeBundle = path.resolve(props.runtimeBundle ?? runtimeBundlePath());
    const stackName = stack.node.id;
    this.placementFile = path.resolve((usable ? props.placementFile : undefined) ?? path.join('alb-placement', `${stackName}-${id}.json`));

    const previous = usable ? readPrevious(this.placementFile, this.node.path) : { groups: [], hosts: [] };
    this.previousPlacement = previous.groups;
    this.planner = new StablePlacement(this.zones, previous.groups, { spreadAcrossGroups: true });
    this.hostPlacement = new HostPlacement(this.hosts, this.vmsPerHost, previous.hosts);
    // The key path goes into the synthesized files: never a value that failed its check (it may be the key itself).
    this.deployer = new SshDeployer(this, { privateKeyFile: usable ? props.privateKeyFile : '', connectTimeoutSeconds: props.connectTimeoutSeconds ?? 20 });

    addProblemValidation(this, () => [...this.portClashes(), ...this.vipIssues(), ...this.shortages()].map(renderIssue));
    addDeferredWarnings(this, () => this.unverifiedHostsWarning());
  }

  /** The opt-out is explicit, but its reach should stay visible at every synth: which hosts are not verified. */
  private unverifiedHostsWarning(): ModelWarning[] {
    const unverified = this.hosts.filter((h) => h.hostKey === undefined).map((h) => `${h.name} (${h.address})`);
    if (unverified.length === 0) return [];
    return [{
      id: WarningIds.UNVERIFIED_HOST_KEYS, path: this.node.path,
      message: `insecureSkipHostKeyVerification: the identity of ${unverified.length} host${unverified.length === 1 ? '' : 's'} is not checked: ${unverified.join(', ')}; whoever answers on those addresses receives the deploy (set each host's hostKey or hostCertificateAuthority)`,
    }];
  }

  /**
   * VMs sharing a host (vmsPerHost > 1) serve on the host's one address: two of them on one
   * port would not both start. One message per clash.
   */
  private portClashes(): Issue[] {
    const problems: Issue[] = [];
    const seen = new Map<string, string>(); // host:port → VM
    for (const { vm, ports } of this.vmPorts) {
      const host = this.hostOf(vm);
      if (host === undefined) continue;
      for (const port of new Set(ports())) {
        const key = `${host.name}:${port}`;
        const other = seen.get(key);
        if (other !== undefined) {
          problems.push(issue(this.node.path, '', MISSING, `host "${host.name}" would run ${other} and ${vm}, both on port ${port}`, 'distinct ports for VMs that share a host, or vmsPerHost 1'));
        } else {
          seen.set(key, vm);
        }
      }
    }
    return problems;
  }

  /** Each LB's VIP: not a host's address, not another LB's VIP, its own virtual router id. */
  private vipIssues(): Issue[] {
    const problems: Issue[] = [];
    this.vips.forEach(({ lb, vip }, i) => {
      const host = this.hosts.find((h) => h.address === vip.address);
      if (host) problems.push(issue(lb, 'vip.address', vip.address, `is the address of host "${host.name}" of ${this.node.path}`, "an unused address of the hosts' network"));
      for (const other of this.vips.slice(0, i)) {
        if (other.vip.address === vip.address) problems.push(issue(lb, 'vip.address', vip.address, `is already the vip of ${other.lb}`, 'one address per load balancer'));
        if (other.vip.virtualRouterId === vip.virtualRouterId) {
          problems.push(issue(lb, 'vip.virtualRouterId', vip.virtualRouterId, `is already the virtual router id of ${other.lb} on ${this.node.path}`, 'a distinct id 1..255 per load balancer (set vip.virtualRouterId)'));
        }
      }
    });
    return problems;
  }

  /** Racks with fewer hosts than VMs: one issue each, naming the VMs left without a host. */
  private shortages(): Issue[] {
    return this.hostPlacement.shortages.map((s) => issue(this.node.path, '', MISSING,
      `zone "${s.zone}" rack "${s.rack}" lacks ${s.lacking} host${s.lacking === 1 ? '' : 's'} (it has ${s.hosts}, vmsPerHost ${this.vmsPerHost}; VMs without a host: ${s.vms.join(', ')})`,
      'add hosts to that rack, raise vmsPerHost, or place fewer VMs there'));
  }

  /**
   * Places a group: zones and racks by the shared planner (stable against the last applied
   * deploy), then a host of that zone and rack for each VM (lib/placement/hosts.ts). The VMs'
   * addresses are their hosts' addresses.
   */
  public placeGroup(group: PlacementGroup): PlacedVm[] {
    return this.hostPlacement.assign(this.planner.place(group));
  }

  /** The host a placed VM runs on (undefined when the fleet had none for it). */
  public hostOf(vm: string): SshHostTarget | undefined {
    const host = this.hostPlacement.hostOf(vm);
    return host === undefined ? undefined : this.hosts.find((h) => h.name === host.name);
  }

  /** Which host each VM of this synth runs on. */
  public get hostAssignments(): HostAssignment[] {
    return this.hostPlacement.assignments;
  }

  /** The placement record of this synth (what a successful apply writes to placementFile). */
  public placementRecordText(): string {
    return JSON.stringify(hostPlacementState(this.node.path, this.planner.groups, this.hostPlacement.assignments), null, 2) + '\n';
  }

  /**
   * Creates the LB's nodes on their hosts: the runtime bundle and config are uploaded and the
   * node is started, reloaded or restarted by one rollout resource that walks the nodes in
   * order with a health check after each (see deployer.ts). Outputs `<lb>_endpoints` and
   * `<lb>_nodes` (with each node's host).
   */
  public deployLoadBalancerNodes(lb: IConstruct, nodes: PlacedVm[], configFile: string, configHash: string, vip?: VirtualIpDeployment): void {
    if (vip !== undefined) this.vips.push({ lb: lb.node.path, vip });
    const lbLike = lb as IConstruct & { readonly adminPort?: number; readonly listeners?: { readonly port: number }[] };
    for (const vm of nodes) {
      this.vmPorts.push({ vm: vm.name, ports: () => [...(lbLike.listeners ?? []).map((l) => l.port), ...(lbLike.adminPort === undefined ? [] : [lbLike.adminPort])] });
    }
    this.deployer.addLoadBalancer(lb, nodes, configFile, configHash, vip);
  }

  /**
   * Creates the availability group's VMs on their hosts: the template's files are uploaded to
   * `<installDir>/state/<vm>/files` (its working directory) and `command args` runs there
   * with HOST (the host's address), PORT, VM_NAME, VM_ZONE, VM_RACK. Output `<group>_vms`.
   */
  public deployAvailabilityGroupVms(ag: IConstruct, vms: PlacedVm[], command: string, args: string[], port: number, env: { [key: string]: string }, files?: string): void {
    for (const vm of vms) this.vmPorts.push({ vm: vm.name, ports: () => [port] });
    this.deployer.addAvailabilityGroup(ag, vms, command, args, port, env, files);
  }
}

/** The last applied placement of this infrastructure (common/placement-record.ts). */
function readPrevious(file: string, infrastructure: string): { groups: PlacedGroup[]; hosts: HostAssignment[] } {
  const state = readPlacementRecord(file, infrastructure, parseHostPlacementState);
  return { groups: state?.groups ?? [], hosts: state?.hosts ?? [] };
}
