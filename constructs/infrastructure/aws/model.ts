/**
 * AwsInfrastructure's props, their rules and the address plan: pure functions (no cdktf),
 * every message in the project's one format (`<path>: <field> <value> <problem>; allowed: ...`).
 *
 * Zones are availability zones, each with one subnet whose CIDR is known at synth: a VM's
 * private address is fixed at synth (LB configs name their targets by address, and the
 * configs are written at synth), taken from its zone's subnet by the address plan below.
 * Racks are partitions 1..7 of one partition placement group.
 */
import { Token } from 'cdktf';
import { ipv4ToInt, parseCidr } from '../../../lib/model/check';
import { dedupeIssues, Issue, issue, IssueError } from '../../../lib/model/messages';
import { PlacedGroup, PlacedVm, ZoneSpec } from '../../../lib/placement/types';

/** An availability zone of an AwsInfrastructure. */
export interface AwsZone {
  /** The availability zone, e.g. `eu-west-1a`; also the zone's name in placement and tags. */
  readonly availabilityZone: string;
  /** The subnet (in that zone) the zone's VMs are launched in. May be a token. */
  readonly subnetId: string;
  /**
   * The subnet's IPv4 CIDR block, literal: VM addresses are taken from it at synth
   * (see `addressOffset`).
   */
  readonly subnetCidr: string;
  /**
   * Racks in this zone: partitions 1..racks of the partition placement group.
   * @default 3 with rackSpread, 1 without
   */
  readonly racks?: number;
}

/** Properties of AwsInfrastructure. */
export interface AwsInfrastructureProps {
  /** The availability zones, each with its subnet. */
  readonly zones: AwsZone[];
  /**
   * Spread each zone's VMs over racks: partitions of a partition placement group. Turn off
   * for instance types or accounts without placement groups; then there is one rack per zone.
   * @default true
   */
  readonly rackSpread?: boolean;
  /**
   * EC2 instance type of every VM.
   * @default 't3.small'
   */
  readonly instanceType?: string;
  /**
   * The image: an AMI id (`ami-...`) or the name of an SSM parameter holding one (starting
   * with `/`). Needs Node.js ≥ 20 (installed with dnf or apt-get when missing), the AWS CLI,
   * systemd and cloud-init.
   * @default '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64'
   */
  readonly image?: string;
  /**
   * An EC2 key pair for SSH access.
   * @default - none
   */
  readonly keyName?: string;
  /**
   * Security groups of every VM. Leave out to have one generated (needs vpcId): listener
   * ports open to anyone, availability-group ports and the admin port only to the group's
   * own members, all egress.
   * @default - a generated group
   */
  readonly securityGroupIds?: string[];
  /**
   * The VPC of the subnets, for the generated security group.
   * @default - required when securityGroupIds is left out
   */
  readonly vpcId?: string;
  /**
   * The instance profile of every VM; it must allow s3:GetObject on the bucket's objects
   * under this infrastructure's prefix.
   * @default - a generated role and profile allowing exactly that
   */
  readonly instanceProfile?: string;
  /**
   * The bucket holding the runtime bundle, the LB configs and the program files.
   * @default - a generated bucket (emptied on destroy)
   */
  readonly bucket?: string;
  /**
   * Give LB nodes a public address (true; their subnets must route to an internet gateway)
   * or none (false). Availability-group VMs always follow their subnet's setting.
   * @default - the subnet's setting (map_public_ip_on_launch)
   */
  readonly publicLoadBalancerNodes?: boolean;
  /**
   * A directory shipped to every availability-group VM as its working directory
   * (/opt/alb/program): the program the machine template runs.
   * @default - none (the template's command must be on the image)
   */
  readonly programDir?: string;
  /**
   * The first host offset in each subnet that VMs take (AWS reserves the first four).
   * @default 10
   */
  readonly addressOffset?: number;
  /**
   * Addresses each group (an LB's nodes, an availability group's VMs) gets in each zone:
   * the group with placement ordinal G (declaration order at the first deploy, from 1; kept
   * across deploys by the placement record, see placementFile) owns offsets
   * addressOffset + (G − 1) × addressesPerGroup onward. Groups grow within their block
   * without moving anyone; a recorded VM keeps its address even if these settings change.
   * @default 16
   */
  readonly addressesPerGroup?: number;
  /**
   * How often a node checks the config object for changes.
   * @default 15
   */
  readonly syncIntervalSeconds?: number;
  /**
   * Tags on every resource (besides Name and the alb:* tags).
   * @default {}
   */
  readonly tags?: { [key: string]: string };
  /**
   * The load-balancer runtime bundle LB nodes run.
   * @default - dist/runtime/alb-runtime.js of this package
   */
  readonly runtimeBundle?: string;
  /**
   * The placement record: the zone, rack (partition), subnet and private address of every VM
   * at the last applied deploy, read back by the next synth so that existing instances keep
   * them (a changed address, subnet or partition would replace the instance) when groups are
   * reordered, added or scaled. Written at the end of a successful apply, removed by destroy.
   * Relative to the project directory (where synth runs). Commit it with the code, like a
   * lock file: a teammate or a CI machine deploying the same stack then keeps every instance.
   * @default 'alb-placement/<stack>-<id>.json'
   */
  readonly placementFile?: string;
}

export const MAX_PARTITIONS = 7;
export const DEFAULT_IMAGE = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
export const DEFAULT_INSTANCE_TYPE = 't3.small';

const AZ = /^[a-z]{2}(-[a-z]+)+-\d+[a-z]$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
const AMI = /^ami-[0-9a-f]{8,17}$/;
const SSM_NAME = /^\/[A-Za-z0-9_.\-/]+$/;
const TAG_KEY = /^(?!aws:)[\p{L}\p{N}\s_.:/=+\-@]{1,128}$/u;

/** The props with defaults applied. */
export interface ResolvedAwsProps {
  readonly zones: { availabilityZone: string; subnetId: string; subnetCidr: string; racks: number }[];
  readonly rackSpread: boolean;
  readonly instanceType: string;
  readonly image: string;
  readonly addressOffset: number;
  readonly addressesPerGroup: number;
  readonly syncIntervalSeconds: number;
}

function intIn(path: string, field: string, value: unknown, min: number, max: number, what: string): Issue[] {
  if (Number.isInteger(value) && (value as number) >= min && (value as number) <= max) return [];
  return [issue(path, field, value, `is not ${what}`, `an integer ${min}..${max}`)];
}

function literal(path: string, field: string, value: unknown): Issue[] {
  return typeof value === 'string' && Token.isUnresolved(value)
    ? [issue(path, field, '<token>', 'is an unresolved Terraform token', 'a literal value (VM addresses are planned at synth)')]
    : [];
}

/** Every problem of the props; empty when they are usable. */
export function validateAwsProps(path: string, p: AwsInfrastructureProps): Issue[] {
  const errors: Issue[] = [];
  const rackSpread = p.rackSpread ?? true;
  const addressOffset = p.addressOffset ?? 10;
  const perGroup = p.addressesPerGroup ?? 16;
  errors.push(...intIn(path, 'addressOffset', addressOffset, 4, 65_000, 'a host offset past the four addresses AWS reserves'));
  errors.push(...intIn(path, 'addressesPerGroup', perGroup, 1, 65_000, 'a positive block size'));
  errors.push(...intIn(path, 'syncIntervalSeconds', p.syncIntervalSeconds ?? 15, 5, 3600, 'a polling interval in seconds'));
  if (!Array.isArray(p.zones) || p.zones.length === 0) {
    errors.push(issue(path, 'zones', p.zones, 'is empty', 'at least one { availabilityZone, subnetId, subnetCidr }'));
    return errors;
  }
  const seen = new Set<string>();
  p.zones.forEach((z, i) => {
    const f = `zones[${i}]`;
    if (typeof z?.availabilityZone !== 'string' || !AZ.test(z.availabilityZone)) {
      errors.push(issue(path, `${f}.availabilityZone`, z?.availabilityZone, 'is not an availability zone name', 'a literal zone name such as "eu-west-1a"'));
    } else if (seen.has(z.availabilityZone)) {
      errors.push(issue(path, `${f}.availabilityZone`, z.availabilityZone, 'is listed twice', 'each availability zone once'));
    } else {
      seen.add(z.availabilityZone);
    }
    if (typeof z?.subnetId !== 'string' || (!Token.isUnresolved(z.subnetId) && !/^subnet-[0-9a-f]{8,17}$/.test(z.subnetId))) {
      errors.push(issue(path, `${f}.subnetId`, z?.subnetId, 'is not a subnet id', '"subnet-" and 8..17 hex digits, or a token such as a subnet resource\'s id'));
    }
    const literalCidr = literal(path, `${f}.subnetCidr`, z?.subnetCidr);
    errors.push(...literalCidr);
    const cidr = parseCidr(z?.subnetCidr);
    if (literalCidr.length === 0 && (cidr === undefined || cidr.prefixLength < 16 || cidr.prefixLength > 28)) {
      errors.push(issue(path, `${f}.subnetCidr`, z?.subnetCidr, 'is not a subnet CIDR block', 'an IPv4 block /16../28 with zero host bits, as AWS allows for subnets'));
    }
    if (z?.racks !== undefined) {
      if (rackSpread) {
        errors.push(...intIn(path, `${f}.racks`, z.racks, 1, MAX_PARTITIONS, 'a partition count'));
      } else if (z.racks !== 1) {
        errors.push(issue(path, `${f}.racks`, z.racks, 'needs rackSpread (partitions of a placement group are the racks)', '1 or left out when rackSpread is false'));
      }
    }
  });
  if (p.instanceType !== undefined && (typeof p.instanceType !== 'string' || (!Token.isUnresolved(p.instanceType) && !INSTANCE_TYPE.test(p.instanceType)))) {
    errors.push(issue(path, 'instanceType', p.instanceType, 'is not an instance type', 'a family and size such as "t3.small" or "c7g.large"'));
  }
  if (p.image !== undefined && (typeof p.image !== 'string' || (!Token.isUnresolved(p.image) && !AMI.test(p.image) && !SSM_NAME.test(p.image)))) {
    errors.push(issue(path, 'image', p.image, 'is neither an AMI id nor an SSM parameter name', '"ami-" and 8..17 hex digits, or a parameter name starting with "/"'));
  }
  if (p.keyName !== undefined && (typeof p.keyName !== 'string' || p.keyName.length === 0 || p.keyName.length > 255)) {
    errors.push(issue(path, 'keyName', p.keyName, 'is not a key pair name', '1..255 characters, or leave it out'));
  }
  if (p.securityGroupIds !== undefined) {
    if (!Array.isArray(p.securityGroupIds) || p.securityGroupIds.length === 0 || p.securityGroupIds.length > 5) {
      errors.push(issue(path, 'securityGroupIds', p.securityGroupIds, 'is not a list of 1..5 groups', '1..5 security group ids, or leave it out for a generated group'));
    } else {
      p.securityGroupIds.forEach((g, i) => {
        if (typeof g !== 'string' || (!Token.isUnresolved(g) && !/^sg-[0-9a-f]{8,17}$/.test(g))) {
          errors.push(issue(path, `securityGroupIds[${i}]`, g, 'is not a security group id', '"sg-" and 8..17 hex digits, or a token'));
        }
      });
    }
  } else if (typeof p.vpcId !== 'string' || (!Token.isUnresolved(p.vpcId) && !/^vpc-[0-9a-f]{8,17}$/.test(p.vpcId))) {
    errors.push(issue(path, 'vpcId', p.vpcId, 'is needed for the generated security group', 'a VPC id ("vpc-" and 8..17 hex digits, or a token), or give securityGroupIds'));
  }
  if (p.placementFile !== undefined && (typeof p.placementFile !== 'string' || p.placementFile.trim() === '')) {
    errors.push(issue(path, 'placementFile', p.placementFile, 'is empty', 'a file path relative to the project directory'));
  }
  for (const [key, value] of Object.entries(p.tags ?? {})) {
    if (!TAG_KEY.test(key) || key.startsWith('alb:') || key === 'Name') {
      errors.push(issue(path, `tags key`, key, 'is not a tag key this infrastructure leaves to you', '1..128 characters, not starting with "aws:" or "alb:", not "Name"'));
    }
    if (typeof value !== 'string' || value.length > 256) {
      errors.push(issue(path, `tags.${key}`, value, 'is not a tag value', 'a string of at most 256 characters'));
    }
  }
  return errors;
}

/** Applies the defaults (props already validated). */
export function resolveAwsProps(p: AwsInfrastructureProps): ResolvedAwsProps {
  const rackSpread = p.rackSpread ?? true;
  return {
    zones: p.zones.map((z) => ({ availabilityZone: z.availabilityZone, subnetId: z.subnetId, subnetCidr: z.subnetCidr, racks: z.racks ?? (rackSpread ? 3 : 1) })),
    rackSpread,
    instanceType: p.instanceType ?? DEFAULT_INSTANCE_TYPE,
    image: p.image ?? DEFAULT_IMAGE,
    addressOffset: p.addressOffset ?? 10,
    addressesPerGroup: p.addressesPerGroup ?? 16,
    syncIntervalSeconds: p.syncIntervalSeconds ?? 15,
  };
}

/** The rack name of partition n (1-based) of a zone: unique across the topology. */
export function rackName(availabilityZone: string, partition: number): string {
  return `${availabilityZone}-p${partition}`;
}

/** The placement topology: zone = availability zone, rack = partition. */
export function topologyOf(props: ResolvedAwsProps): ZoneSpec[] {
  return props.zones.map((z) => ({
    name: z.availabilityZone,
    racks: Array.from({ length: z.racks }, (_, i) => rackName(z.availabilityZone, i + 1)),
  }));
}

/** The 1-based partition of a rack name made by rackName. */
export function partitionOf(rack: string): number {
  return Number(/-p(\d+)$/.exec(rack)?.[1]);
}

function intToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/**
 * The private addresses of one infrastructure's VMs, in each zone's subnet. A VM the last
 * applied deploy recorded keeps its address (the same VM: same name, so same zone, rack and
 * instance resource; the address still in its zone's subnet): a changed `private_ip` would
 * replace the instance. Every other VM takes the lowest free offset of its group's block:
 * group ordinal G (1-based, StablePlacement's: kept across deploys, so reordering or adding
 * groups moves no block) owns offsets addressOffset + (G − 1) × addressesPerGroup onward,
 * addressesPerGroup of them. "Free" means held by no VM of this synth and by no recorded VM:
 * a recorded VM that this deploy removes or moves still holds its address until Terraform
 * destroys it, in the same apply that creates the new one.
 * Without a record this is the k-th VM of a group in a zone (by index) at the block's k-th offset.
 */
export class SubnetAddressPlan {
  /** Recorded VMs by name, whose addresses they may keep. */
  private readonly recorded = new Map<string, PlacedVm>();
  /** Per zone, the host offsets recorded VMs hold. */
  private readonly held = new Map<string, Set<number>>();
  /** Per zone, the host offsets given in this synth. */
  private readonly given = new Map<string, Set<number>>();
  private readonly subnets = new Map<string, { network: number; size: number; cidr: string }>();

  constructor(private readonly path: string, private readonly props: ResolvedAwsProps, previous: readonly PlacedGroup[] = []) {
    for (const z of props.zones) {
      const cidr = parseCidr(z.subnetCidr);
      if (cidr === undefined) throw new Error(`${path}: zone ${z.availabilityZone} has no subnet CIDR`);
      this.subnets.set(z.availabilityZone, { network: cidr.network, size: 2 ** (32 - cidr.prefixLength), cidr: z.subnetCidr });
      this.held.set(z.availabilityZone, new Set());
      this.given.set(z.availabilityZone, new Set());
    }
    for (const vm of previous.flatMap((g) => g.vms)) {
      const offset = this.offsetIn(vm.zone, vm.address);
      if (offset === undefined) continue; // a zone or subnet that is gone: its instances are replaced anyway
      this.recorded.set(vm.name, vm);
      this.held.get(vm.zone)?.add(offset);
    }
  }

  /** The host offset of address in zone's subnet, if it lies there (and is not the network or broadcast address). */
  private offsetIn(zone: string, address: string): number | undefined {
    const subnet = this.subnets.get(zone);
    if (subnet === undefined || typeof address !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return undefined;
    const offset = ipv4ToInt(address) - subnet.network;
    return offset > 0 && offset < subnet.size - 1 ? offset : undefined;
  }

  /**
   * Addresses the VMs of one placed group (`ordinal`: its StablePlacement ordinal, 1-based).
   * Throws an AddressPlanError naming the infrastructure when the group's block or the subnet
   * has no free address left.
   */
  public address(ordinal: number, vms: PlacedVm[]): PlacedVm[] {
    const { addressOffset, addressesPerGroup } = this.props;
    const first = addressOffset + (ordinal - 1) * addressesPerGroup;
    const problems: Issue[] = [];
    const sorted = [...vms].sort((a, b) => a.index - b.index);
    const offsets = new Map<string, number>();
    // Recorded VMs first: a new VM of a lower index must not take an address a kept VM holds.
    for (const vm of sorted) {
      const before = this.recorded.get(vm.name);
      const offset = before === undefined || before.zone !== vm.zone ? undefined : this.offsetIn(vm.zone, before.address);
      const given = this.given.get(vm.zone) as Set<number>;
      if (offset !== undefined && !given.has(offset)) {
        given.add(offset);
        offsets.set(vm.name, offset);
      }
    }
    for (const vm of sorted) {
      if (offsets.has(vm.name)) continue;
      const subnet = this.subnets.get(vm.zone);
      if (subnet === undefined) throw new Error(`${this.path}: zone ${vm.zone} of VM ${vm.name} has no subnet`);
      const held = this.held.get(vm.zone) as Set<number>;
      const given = this.given.get(vm.zone) as Set<number>;
      let offset = first;
      while (offset < first + addressesPerGroup && (held.has(offset) || given.has(offset))) offset++;
      if (offset >= first + addressesPerGroup) {
        problems.push(issue(this.path, 'addressesPerGroup', addressesPerGroup, `is too small for group "${vm.group}" (more VMs in zone ${vm.zone})`, 'at least the VMs one group has in one zone'));
        continue;
      }
      if (offset >= subnet.size - 1) {
        problems.push(issue(this.path, `subnetCidr of ${vm.zone}`, subnet.cidr, `has no host offset ${offset} for VM ${vm.name} (group ${ordinal}, addressOffset ${addressOffset}, addressesPerGroup ${addressesPerGroup})`, `a larger subnet, or smaller addressOffset/addressesPerGroup (the last address is AWS's)`));
        given.add(offset); // the next VM is reported at the next offset
        continue;
      }
      given.add(offset);
      offsets.set(vm.name, offset);
    }
    if (problems.length > 0) throw new AddressPlanError(dedupeIssues(problems));
    return sorted.map((vm) => ({ ...vm, address: intToIpv4((this.subnets.get(vm.zone) as { network: number }).network + (offsets.get(vm.name) as number)) }));
  }
}

/** A group the subnets cannot hold. */
export class AddressPlanError extends IssueError {
  constructor(issues: readonly Issue[]) {
    super(issues);
    this.name = 'AddressPlanError';
  }
}

/** Whether an address lies in a literal CIDR (for tests and checks). */
export function inSubnet(address: string, cidr: string): boolean {
  const c = parseCidr(cidr);
  if (c === undefined) return false;
  const v = ipv4ToInt(address);
  return v >= c.network && v < c.network + 2 ** (32 - c.prefixLength);
}
