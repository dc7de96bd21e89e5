import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { AssetType, Lazy, TerraformAsset, TerraformOutput, TerraformResource, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { issue } from '../../../lib/model/messages';
import { StablePlacement } from '../../../lib/placement/plan';
import { placementState } from '../../../lib/placement/state';
import { PlacedGroup, PlacedVm, PlacementGroup, ZoneSpec } from '../../../lib/placement/types';
import { recordIssues, rememberCreationSite, throwIfIssues } from '../../errors';
import { stackOfThisFramework } from '../../framework';
import { IInfrastructure, VirtualIpDeployment } from '..';
import { runtimeBundlePath } from '../bundles';
import { PlacementRecorder, fromStackDir, previousPlacementOf } from '../common/placement-record';
import { LoadBalancerLike, addAvailabilityGroupOutput, logical, outputScope } from '../outputs';
import {
  AddressPlanError, AwsInfrastructureProps, ResolvedAwsProps, SubnetAddressPlan, partitionOf, resolveAwsProps, topologyOf, validateAwsProps,
} from './model';
import {
  Ec2Instance, Ec2PartitionPlacementGroup, Ec2SecurityGroup, IamInstanceProfile, IamRole, IamRolePolicy, S3Bucket, S3Object,
  SecurityGroupRule, SsmParameter,
} from './resources';
import { userDataScript } from './user-data';

export type { AwsInfrastructureProps, AwsZone } from './model';

/**
 * The same stack on EC2: every LB node and availability-group VM is an instance in its
 * zone's subnet (zone = availability zone) and, with rackSpread, in its rack's partition of
 * one partition placement group (rack = partition: partitions are disjoint sets of racks).
 * Each VM's private address is planned at synth from its subnet's CIDR, so LB configs name
 * their targets before anything exists. The runtime bundle, each LB's config and the
 * program files are S3 objects; a VM's user data installs them and runs them under systemd,
 * and on LB nodes a systemd timer watches the config object and hot-reloads the node when
 * it changes, so a config change never replaces or restarts an instance.
 *
 * Like the other targets it keeps a placement record (placementFile, written after each
 * successful apply, forgotten by destroy): the next synth keeps every recorded instance's
 * zone, partition, subnet and address, so reordering, adding or scaling groups replaces no
 * existing instance.
 */
export class AwsInfrastructure extends Construct implements IInfrastructure {
  /** The zones (availability zones) and their racks (`<az>-p<partition>`). */
  public readonly zones: ZoneSpec[];
  /** The region of the availability zones. */
  public readonly region: string;
  /** The bucket holding the objects (a reference when generated). */
  public readonly bucket: string;
  /** The prefix of this infrastructure's object keys. */
  public readonly keyPrefix: string;
  /** Absolute path of the runtime bundle LB nodes run. */
  public readonly runtimeBundle: string;
  /** Absolute path of the placement record (see AwsInfrastructureProps.placementFile). */
  public readonly placementFile: string;
  /** The placement recorded by the last applied deploy (empty before the first), with each VM's private address. */
  public readonly previousPlacement: PlacedGroup[];

  private get runtimeKey(): string {
    return `${this.keyPrefix}/runtime/alb-runtime.js`;
  }


  private readonly props: AwsInfrastructureProps;
  /** False when the props have issues: nothing is placed or created (synth reports the issues). */
  private readonly usable: boolean;
  private readonly settings: ResolvedAwsProps;
  private readonly placement: StablePlacement;
  private readonly addresses: SubnetAddressPlan;
  private readonly placed: PlacedVm[] = [];
  /** Every instance depends on it: destroy forgets the record only once every instance is gone. */
  private recordCleanup?: TerraformResource;
  private readonly lbs: LoadBalancerLike[] = [];
  private readonly agPorts: number[] = [];
  private readonly instances = new Map<string, Ec2Instance>();
  private readonly ami: string;
  private readonly securityGroupIds: string[];
  private readonly instanceProfile: string;
  private readonly placementGroup?: Ec2PartitionPlacementGroup;
  private runtimeObject?: S3Object;
  /** Program zips by source directory: programDir's, and each distinct MachineTemplate `files` directory. */
  private readonly programs = new Map<string, { object: S3Object; key: string }>();

  constructor(scope: Construct, id: string, props: AwsInfrastructureProps) {
    super(scope, id);
    rememberCreationSite(this);
    stackOfThisFramework(this); // a stack of the other framework fails here, not deep inside its synth
    const problems = validateAwsProps(this.node.path, props);
    const regions = new Set((props.zones ?? []).map((z) => String(z?.availabilityZone).replace(/[a-z]$/, '')));
    if (problems.length === 0 && regions.size > 1) {
      problems.push(issue(this.node.path, 'zones', props.zones.map((z) => z.availabilityZone), `span the regions ${[...regions].join(', ')}`, 'availability zones of one region'));
    }
    recordIssues(this, problems);
    // Wrong props give an infrastructure without zones or resources: groups on it place nothing and report nothing more.
    this.usable = problems.length === 0;
    this.props = props;
    this.settings = resolveAwsProps(this.usable ? props : { ...props, zones: [] });
    this.zones = topologyOf(this.settings);
    this.region = [...regions][0] ?? '';
    this.runtimeBundle = path.resolve(props.runtimeBundle ?? runtimeBundlePath());
    this.placementFile = path.resolve((this.usable ? props.placementFile : undefined) ?? path.join('alb-placement', `${TerraformStack.of(this).node.id}-${id}.json`));
    this.previousPlacement = this.usable ? previousPlacementOf(this, this.placementFile) : [];
    this.placement = new StablePlacement(this.zones, this.previousPlacement);
    this.addresses = new SubnetAddressPlan(this.node.path, this.settings, this.previousPlacement);
    this.keyPrefix = `cdktf-alb/${createHash('sha256').update(this.node.path).digest('hex').slice(0, 12)}`;
    const tags = this.tags({});
    if (!this.usable) {
      this.bucket = '';
      this.ami = '';
      this.securityGroupIds = [];
      this.instanceProfile = '';
      return;
    }

    this.bucket = props.bucket ?? new S3Bucket(this, 'bucket', { bucketPrefix: 'cdktf-alb-', forceDestroy: true, tags }).attr('bucket');
    this.ami = this.settings.image.startsWith('/') ? new SsmParameter(this, 'image', this.settings.image).value : this.settings.image;
    this.securityGroupIds = props.securityGroupIds ?? [this.generatedSecurityGroup(props.vpcId as string, tags).attr('id')];
    this.instanceProfile = props.instanceProfile ?? this.generatedInstanceProfile(tags);
    // The record waits for every resource of this infrastructure (instances, objects, ...).
    const recorder: PlacementRecorder = new PlacementRecorder(this, this, logical(id), {
      node: 'node', synthFile: `alb/placement-${logical(id)}.json`, recordFile: fromStackDir(this, this.placementFile), text: () => this.placementRecordText(),
    }, () => this.node.children.filter((c): c is TerraformResource => c instanceof TerraformResource && c !== recorder.cleanup && c !== recorder.record));
    this.recordCleanup = recorder.cleanup;
    if (this.settings.rackSpread) {
      this.placementGroup = new Ec2PartitionPlacementGroup(this, 'racks', {
        name: `cdktf-alb-${this.node.addr.slice(0, 16)}`,
        partitionCount: Math.max(...this.settings.zones.map((z) => z.racks)),
        tags,
      });
    }
  }

  /**
   * The placement record of this synth (what a successful apply writes to placementFile): the
   * planner's groups with their ordinals, each VM with its private address in its subnet.
   */
  public placementRecordText(): string {
    const groups = this.placement.groups.map((g) => ({ ...g, vms: this.placed.filter((vm) => vm.group === g.name) }));
    return JSON.stringify(placementState(this.node.path, groups), null, 2) + '\n';
  }

  /** Every VM placed on this infrastructure so far, in placement order. */
  public get placedVms(): PlacedVm[] {
    return [...this.placed];
  }

  /**
   * Places a group with the shared planner (zones balanced, racks balanced within a zone),
   * then gives each VM its address in its zone's subnet (the group's block: see
   * AwsInfrastructureProps.addressesPerGroup).
   */
  public placeGroup(group: PlacementGroup): PlacedVm[] {
    if (!this.usable) return [];
    const vms = this.placement.place(group);
    const ordinal = this.placement.groups[this.placement.groups.length - 1].ordinal;
    let addressed: PlacedVm[];
    try {
      addressed = this.addresses.address(ordinal, vms);
    } catch (e) {
      // All of the group's address problems at once (the LB or AG reports its placement failure with the first).
      if (e instanceof AddressPlanError) throwIfIssues(e.issues);
      throw e;
    }
    this.placed.push(...addressed);
    return addressed;
  }

  /**
   * Creates the LB's nodes: its config as an S3 object (updated in place when configHash
   * changes; the nodes' timers pick it up and hot-reload) and one instance per node. Outputs
   * `<lb>_endpoints` (per listener, every node's private and public address:port) and
   * `<lb>_nodes`.
   */
  public deployLoadBalancerNodes(lb: IConstruct, nodes: PlacedVm[], configFile: string, configHash: string, _vip?: VirtualIpDeployment): void {
    if (!this.usable) return;
    const lbLike = lb as LoadBalancerLike;
    const group = nodes[0]?.group ?? lbLike.loadBalancerId ?? logical(lb.node.id);
    this.lbs.push(lbLike);
    const runtime = this.runtime();
    const configKey = `${this.keyPrefix}/configs/${group}.json`;
    const config = new S3Object(this, `config-${group}`, {
      // Relative to Terraform's working directory, the stack's synth directory, where the LB writes it.
      bucket: this.bucket, key: configKey, source: configFile, sourceHash: configHash, contentType: 'application/json', tags: this.tags({}),
    });
    for (const vm of nodes) {
      this.instance(vm, userDataScript({
        role: 'lb-node', vm: vm.name, zone: vm.zone, rack: vm.rack, address: vm.address, region: this.region, bucket: this.bucket,
        syncIntervalSeconds: this.settings.syncIntervalSeconds, runtimeKey: this.runtimeKey, configKey,
      }), this.props.publicLoadBalancerNodes, [runtime, config]);
    }
    this.loadBalancerOutputs(lbLike, group, nodes);
  }

  /**
   * Creates the availability group's VMs: one instance each, running `command args` in
   * /opt/alb/program under systemd. The program's files: the template's `files` directory
   * when given, else programDir's, else none. Output `<group>_vms` (with each VM's instance).
   */
  public deployAvailabilityGroupVms(ag: IConstruct, vms: PlacedVm[], command: string, args: string[], port: number, env: { [key: string]: string }, files?: string): void {
    if (!this.usable) return;
    const group = vms[0]?.group ?? logical(ag.node.id);
    this.agPorts.push(port);
    const program = this.programObject(ag, files);
    for (const vm of vms) {
      this.instance(vm, userDataScript({
        role: 'ag-vm', vm: vm.name, zone: vm.zone, rack: vm.rack, address: vm.address, region: this.region, bucket: this.bucket,
        syncIntervalSeconds: this.settings.syncIntervalSeconds, programKey: program?.key, command, args, port, env,
      }), undefined, program ? [program.object] : []);
    }
    addAvailabilityGroupOutput(this, ag, group, vms, port, (vm) => ({ instance: this.instances.get(vm.name)?.attr('id') as string }));
  }

  private instance(vm: PlacedVm, userData: string, publicAddress: boolean | undefined, dependsOn: S3Object[]): void {
    const instance = new Ec2Instance(this, `vm-${vm.name}`, {
      ami: this.ami,
      instanceType: this.settings.instanceType,
      subnetId: this.settings.zones.find((z) => z.availabilityZone === vm.zone)?.subnetId as string,
      privateIp: vm.address,
      vpcSecurityGroupIds: this.securityGroupIds,
      keyName: this.props.keyName,
      iamInstanceProfile: this.instanceProfile,
      placementGroup: this.placementGroup?.attr('name'),
      placementPartitionNumber: this.placementGroup ? partitionOf(vm.rack) : undefined,
      associatePublicIpAddress: publicAddress,
      userData,
      tags: this.tags({ 'Name': vm.name, 'alb:group': vm.group, 'alb:role': vm.role, 'alb:zone': vm.zone, 'alb:rack': vm.rack }),
    }, { dependsOn: [...dependsOn, ...(this.recordCleanup ? [this.recordCleanup] : [])] });
    instance.overrideLogicalId(`${logical(this.node.id)}_${logical(vm.name)}`);
    this.instances.set(vm.name, instance);
  }

  /** The runtime bundle object (one per infrastructure; a new bundle restarts nodes one timer tick at a time). */
  private runtime(): S3Object {
    if (this.runtimeObject === undefined) {
      if (!fs.existsSync(this.runtimeBundle)) {
        throwIfIssues([issue(this.node.path, 'runtimeBundle', this.runtimeBundle, 'does not exist', 'a built runtime bundle (npm run build:runtime)')]);
      }
      const hash = createHash('sha256').update(fs.readFileSync(this.runtimeBundle)).digest('hex');
      this.runtimeObject = new S3Object(this, 'runtime', {
        bucket: this.bucket, key: this.runtimeKey, source: this.runtimeBundle, sourceHash: hash,
        contentType: 'application/javascript', tags: this.tags({}),
      });
    }
    return this.runtimeObject;
  }

  /**
   * An AG's program files as a zip object (one per distinct directory; the first is
   * `program.zip`), or none. A template's `files` must be a directory here: the VM unpacks a zip.
   */
  private programObject(ag: IConstruct, files: string | undefined): { object: S3Object; key: string } | undefined {
    const source = files ?? this.props.programDir;
    if (source === undefined) return undefined;
    const dir = path.resolve(source);
    const existing = this.programs.get(dir);
    if (existing) return existing;
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      throwIfIssues([files === undefined
        ? issue(this.node.path, 'programDir', source, 'is not a directory', 'a directory of program files')
        : issue(ag.node.path, 'template.files', source, `is not a directory (${this.node.path} ships program files as a zip)`, 'a directory of program files on AwsInfrastructure')]);
    }
    const suffix = this.programs.size === 0 ? '' : `-${this.programs.size + 1}`;
    const key = `${this.keyPrefix}/program${suffix}.zip`;
    const asset = new TerraformAsset(this, `program-files${suffix}`, { path: dir, type: AssetType.ARCHIVE });
    const object = new S3Object(this, `program${suffix}`, {
      bucket: this.bucket, key, source: asset.path, sourceHash: asset.assetHash, contentType: 'application/zip', tags: this.tags({}),
    });
    const program = { object, key };
    this.programs.set(dir, program);
    return program;
  }

  /** Listener ports open to anyone; AG ports and admin ports only within the group; all egress. */
  private generatedSecurityGroup(vpcId: string, tags: { [key: string]: string }): Ec2SecurityGroup {
    return new Ec2SecurityGroup(this, 'security-group', {
      namePrefix: 'cdktf-alb-', description: `cdktf-alb ${this.node.path}: LB listeners, availability groups, admin`, vpcId, tags,
      ingress: () => {
        const rules: SecurityGroupRule[] = [];
        const seen = new Set<string>();
        const add = (r: SecurityGroupRule) => {
          const key = `${r.fromPort}/${r.self ? 'self' : 'any'}`;
          if (!seen.has(key)) rules.push(r);
          seen.add(key);
        };
        for (const lb of this.lbs) {
          for (const l of lb.listeners ?? []) add({ description: `listener ${l.node.id} of ${lb.node.path}`, protocol: 'tcp', fromPort: l.port, toPort: l.port, cidrBlocks: ['0.0.0.0/0'] });
          if (lb.adminPort !== undefined) add({ description: `admin of ${lb.node.path} (members only)`, protocol: 'tcp', fromPort: lb.adminPort, toPort: lb.adminPort, self: true });
        }
        for (const port of this.agPorts) add({ description: 'availability-group program (members only)', protocol: 'tcp', fromPort: port, toPort: port, self: true });
        return rules;
      },
      egress: [{ description: 'all egress (S3, package mirrors, targets)', protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'] }],
    });
  }

  /** A role EC2 may assume, allowed to read this infrastructure's objects, and its profile. */
  private generatedInstanceProfile(tags: { [key: string]: string }): string {
    const role = new IamRole(this, 'role', {
      namePrefix: 'cdktf-alb-', tags,
      assumeRolePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    });
    new IamRolePolicy(this, 'role-policy', {
      namePrefix: 'cdktf-alb-read-', role: role.attr('id'),
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: `arn:aws:s3:::${this.bucket}/${this.keyPrefix}/*` }],
      }),
    });
    return new IamInstanceProfile(this, 'profile', { namePrefix: 'cdktf-alb-', role: role.attr('name'), tags }).attr('name');
  }

  private loadBalancerOutputs(lb: LoadBalancerLike, group: string, nodes: PlacedVm[]): void {
    const publicIp = (vm: PlacedVm) => (this.props.publicLoadBalancerNodes ? this.instances.get(vm.name)?.attr('public_ip') : undefined);
    const endpoints = new TerraformOutput(outputScope(this, group), 'endpoints', {
      description: `Per listener of ${lb.node.path}: every LB node's private (and public) address:port`,
      value: Lazy.anyValue({
        produce: () => Object.fromEntries((lb.listeners ?? []).map((l) => [l.node.id, nodes.map((n) => {
          const ip = publicIp(n);
          return ip === undefined ? { node: n.name, private: `${n.address}:${l.port}` } : { node: n.name, private: `${n.address}:${l.port}`, public: `${ip}:${l.port}` };
        })])),
      }),
    });
    endpoints.overrideLogicalId(`${logical(group)}_endpoints`);
    const nodeList = new TerraformOutput(outputScope(this, group), 'nodes', {
      description: `Nodes of ${lb.node.path}: name, zone, rack, partition, instance, address, admin endpoint`,
      value: nodes.map((n) => ({
        name: n.name, zone: n.zone, rack: n.rack, ...(this.placementGroup ? { partition: partitionOf(n.rack) } : {}),
        instance: this.instances.get(n.name)?.attr('id'), address: n.address,
        ...(lb.adminPort === undefined ? {} : { admin: `${n.address}:${lb.adminPort}` }),
      })),
    });
    nodeList.overrideLogicalId(`${logical(group)}_nodes`);
  }

  private tags(extra: { [key: string]: string }): { [key: string]: string } {
    return { ...(this.props.tags ?? {}), 'alb:infrastructure': this.node.path, ...extra };
  }
}
