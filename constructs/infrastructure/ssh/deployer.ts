/**
 * The Terraform side of SshInfrastructure: `terraform_data` resources whose `file` and
 * `remote-exec` provisioners (Terraform built-ins, no provider download) install, start,
 * reload and remove things on the hosts over SSH.
 *
 *  - `<infra>_host` (for_each over the hosts in use): create checks Node.js and makes the
 *    install dir's layout; destroy stops anything left and removes every installed file.
 *    Everything else depends on it, so it is created first and destroyed last.
 *  - `<infra>_ag_vm` (for_each over availability-group VMs): uploads the agent and the
 *    program's files, starts the VM; destroy stops it. Replaced (create before destroy: a
 *    new instance id swaps the process in place) when what it runs changes.
 *  - `<infra>_lb_node` (for_each over LB nodes): a node's lifetime; destroy stops it and
 *    removes its state. It starts nothing itself: the rollout does.
 *  - `<infra>_rollout_<lb>` (one per LB, replaced when its config, the runtime bundle, the
 *    agent or its node list changes): ONE resource whose provisioners walk the LB's nodes in
 *    order — upload config, bundle, agent, then `alb-host lb-apply` (hot reload, restart on a
 *    new bundle, or start; returns once /healthz answers). Terraform runs a resource's
 *    provisioners one after another and stops at the first failure, so a config the first
 *    node refuses fails the deploy before any other node is touched, and a host that cannot
 *    be reached stops the walk there: no node is left between two versions.
 *  - `<infra>_placement_record` / `_placement_cleanup`: the host placement of the last applied
 *    deploy, copied into the project's placement file at the end of each apply (local-exec on
 *    the machine running Terraform) and removed when the infrastructure is destroyed
 *    (common/placement-record.ts, shared with the other targets).
 *
 * Everything Terraform reads from the synth machine is relative to the stack's synth
 * directory: the bundles and program files are TerraformAssets (`assets/...`), the LB configs
 * `alb/<lb>.json`, so cdktf.out can be applied from another directory or machine. The private
 * key is read by `file()` at apply time; only its path is in the synthesized files.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AssetType, DataResource, Fn, Lazy, SSHProvisionerConnection, TerraformAsset } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { sha256Hex } from '../../../lib/config/hash';
import { HostSpec } from '../../../lib/placement/hosts';
import { PlacedVm } from '../../../lib/placement/types';
import { hostBundlePath, packageFile } from '../bundles';
import { LoadBalancerLike, addAvailabilityGroupOutput, addLoadBalancerOutputs, addVipOutput, logical } from '../outputs';
import { VirtualIpDeployment } from '..';
import { PlacementRecorder, fromStackDir } from '../common/placement-record';
import { shellArg, shellCommand } from '../shell';
import { HostContext, agentCommand, nodeCheck, preflight, uninstall, withAgent } from './commands';

/** What the deployer needs from SshInfrastructure. */
export interface SshTarget extends IConstruct {
  readonly installDir: string;
  readonly nodeCommand: string;
  readonly supervisor: string;
  readonly runtimeBundle: string;
  readonly workers?: number;
  readonly placementFile: string;
  /** The host a placed VM runs on. */
  hostOf(vm: string): SshHostTarget | undefined;
  /** The placement record document of this synth (deterministic text). */
  placementRecordText(): string;
}

/** A host as the deployer connects to it. */
export interface SshHostTarget extends HostSpec {
  readonly port: number;
  readonly user: string;
  /**
   * The `host_key` of every connection to it ("<type> <base64>": its own key or the CA's).
   * @default - not verified (insecureSkipHostKeyVerification)
   */
  readonly hostKey?: string;
}

/** Connection settings shared by every block. */
export interface ConnectionSettings {
  readonly privateKeyFile: string;
  readonly connectTimeoutSeconds: number;
}

function fileSha(file: string): string {
  return sha256Hex(fs.readFileSync(file));
}

/** How to reach a host: the fields every for_each entry carries into its connection block. */
interface Reach {
  readonly address: string;
  readonly port: string;
  readonly user: string;
  /** '' when the host is not verified (Terraform then accepts any host key). */
  readonly host_key: string;
}

interface HostEntry extends Reach {
  readonly install_dir: string;
  readonly node_command: string;
  readonly preflight: string;
  readonly uninstall: string;
}

interface AgVmEntry extends Reach {
  readonly host: string;
  readonly mkdir: string;
  readonly agent_source: string;
  readonly agent_destination: string;
  readonly files_source: string;
  readonly files_destination: string;
  readonly start_command: string;
  readonly destroy_command: string;
}

interface LbNodeEntry extends Reach {
  readonly host: string;
  readonly destroy_command: string;
}

export class SshDeployer {
  private readonly scope: Construct;
  private readonly hosts: { [name: string]: HostEntry } = {};
  private readonly agVms: { [name: string]: AgVmEntry } = {};
  private readonly lbNodes: { [name: string]: LbNodeEntry } = {};
  private readonly hostBlock: DataResource;
  private readonly agVmBlock: DataResource;
  private readonly lbNodeBlock: DataResource;
  private readonly rollouts: DataResource[] = [];
  private readonly runtimeAsset: TerraformAsset;
  private readonly agentAsset: TerraformAsset;
  private readonly runtimeOnHost: string;
  private readonly agentOnHost: string;
  private readonly noFiles: TerraformAsset;
  private readonly fileAssets = new Map<string, TerraformAsset>();

  constructor(private readonly target: SshTarget, private readonly settings: ConnectionSettings) {
    this.scope = new Construct(target, 'deploy');
    const prefix = logical(target.node.id);
    const agentBundle = hostBundlePath('alb-host');
    for (const [what, file] of [['runtime bundle', target.runtimeBundle], ['host agent bundle', agentBundle]]) {
      if (!fs.existsSync(file)) throw new Error(`${target.node.path}: the ${what} ${file} does not exist; build it first: npm run build:runtime`);
    }
    this.runtimeAsset = new TerraformAsset(this.scope, 'runtime-bundle', { path: target.runtimeBundle, type: AssetType.FILE });
    this.agentAsset = new TerraformAsset(this.scope, 'agent-bundle', { path: agentBundle, type: AssetType.FILE });
    this.noFiles = new TerraformAsset(this.scope, 'no-program-files', { path: packageFile('hosts', 'ssh', 'no-program-files'), type: AssetType.DIRECTORY });
    // Content-addressed on the host: nodes and VMs of one host share a bundle, a new bundle
    // never overwrites one a running process was started from, and uploads are idempotent.
    this.runtimeOnHost = `${target.installDir}/bin/alb-runtime-${fileSha(target.runtimeBundle).slice(0, 16)}.js`;
    this.agentOnHost = `${target.installDir}/bin/alb-host-${fileSha(agentBundle).slice(0, 16)}.js`;

    // Destroy-time provisioners may read only `self`: each resource keeps how to reach its host in its input.
    const selfConnection = this.connection({ address: '${self.input.address}', port: '${self.input.port}', user: '${self.input.user}', host_key: '${self.input.host_key}' });
    const perEntry = <T>(entries: { [name: string]: T }) => Lazy.anyValue({ produce: () => ({ ...entries }) });

    // The placement record (common/placement-record.ts), relative to the stack's synth dir so
    // that cdktf.out can be applied from another directory at the same depth.
    const recorder = new PlacementRecorder(this.scope, target, prefix, {
      node: 'node', synthFile: `alb/placement-${prefix}.json`, recordFile: fromStackDir(target, target.placementFile), text: () => this.target.placementRecordText(),
    }, () => [this.hostBlock, this.agVmBlock, this.lbNodeBlock, ...this.rollouts]);
    const placementCleanup = recorder.cleanup;

    this.hostBlock = new DataResource(this.scope, 'hosts', {
      dependsOn: [placementCleanup],
      input: {
        host: '${each.key}', address: '${each.value.address}', port: '${each.value.port}', user: '${each.value.user}', host_key: '${each.value.host_key}',
        install_dir: '${each.value.install_dir}', uninstall: '${each.value.uninstall}',
      },
      triggersReplace: { host: '${each.key}', address: '${each.value.address}', port: '${each.value.port}', user: '${each.value.user}', install_dir: '${each.value.install_dir}', node_command: '${each.value.node_command}' },
      connection: selfConnection,
      provisioners: [
        { type: 'remote-exec', inline: ['set -e', '${each.value.preflight}'] },
        { type: 'remote-exec', when: 'destroy', inline: ['set -e', '${self.input.uninstall}'] } as any,
      ],
    });
    this.hostBlock.overrideLogicalId(`${prefix}_host`);
    this.hostBlock.addOverride('for_each', perEntry(this.hosts));

    this.agVmBlock = new DataResource(this.scope, 'ag-vms', {
      lifecycle: { createBeforeDestroy: true },
      dependsOn: [this.hostBlock],
      input: {
        vm: '${each.key}', host: '${each.value.host}', address: '${each.value.address}', port: '${each.value.port}', user: '${each.value.user}', host_key: '${each.value.host_key}',
        destroy_command: '${each.value.destroy_command}',
      },
      triggersReplace: {
        vm: '${each.key}', host: '${each.value.host}', start_command: '${each.value.start_command}',
        files: '${each.value.files_source}', agent: '${each.value.agent_destination}',
      },
      connection: selfConnection,
      provisioners: [
        { type: 'remote-exec', inline: ['set -e', '${each.value.mkdir}'] },
        { type: 'file', source: '${each.value.agent_source}', destination: '${each.value.agent_destination}' },
        { type: 'file', source: '${each.value.files_source}', destination: '${each.value.files_destination}' },
        // The start command ends in an option list ready for `--instance <this instance's id>`.
        { type: 'remote-exec', inline: ['set -e', '${each.value.start_command} --instance ${self.id}'] },
        { type: 'remote-exec', when: 'destroy', inline: ['set -e', '${self.input.destroy_command} --instance ${self.id}'] } as any,
      ],
    });
    this.agVmBlock.overrideLogicalId(`${prefix}_ag_vm`);
    this.agVmBlock.addOverride('for_each', perEntry(this.agVms));

    this.lbNodeBlock = new DataResource(this.scope, 'lb-nodes', {
      dependsOn: [this.hostBlock, this.agVmBlock],
      input: {
        vm: '${each.key}', host: '${each.value.host}', address: '${each.value.address}', port: '${each.value.port}', user: '${each.value.user}', host_key: '${each.value.host_key}',
        destroy_command: '${each.value.destroy_command}',
      },
      triggersReplace: { vm: '${each.key}', host: '${each.value.host}' },
      connection: selfConnection,
      provisioners: [{ type: 'remote-exec', when: 'destroy', inline: ['set -e', '${self.input.destroy_command}'] } as any],
    });
    this.lbNodeBlock.overrideLogicalId(`${prefix}_lb_node`);
    this.lbNodeBlock.addOverride('for_each', perEntry(this.lbNodes));
  }

  /**
   * The one connection block: this key only (an ssh-agent of the machine running Terraform is
   * not asked), a bounded connect time, and the host's identity checked against host_key
   * (Terraform accepts any host key only when it is '').
   */
  private connection(r: Omit<Reach, 'port'> & { readonly port: string | number }): SSHProvisionerConnection {
    return {
      // A '${self.input.port}' reference is a number once Terraform resolves it.
      type: 'ssh', host: r.address, port: r.port as number, user: r.user, hostKey: r.host_key,
      privateKey: Fn.file(this.settings.privateKeyFile), agent: 'false', timeout: `${this.settings.connectTimeoutSeconds}s`,
    };
  }

  /** How the for_each entries of `host` reach it. */
  private reach(host: SshHostTarget): Reach {
    return { address: host.address, port: String(host.port), user: host.user, host_key: host.hostKey ?? '' };
  }

  /** The VM's host; undefined when the fleet had none for it (synth then fails with every shortage). */
  private host(vm: PlacedVm): SshHostTarget | undefined {
    return this.target.hostOf(vm.name);
  }

  private context(host: SshHostTarget): HostContext {
    return { host: host.name, address: host.address, installDir: this.target.installDir, nodeCommand: this.target.nodeCommand };
  }

  private useHost(host: SshHostTarget): void {
    const h = this.context(host);
    this.hosts[host.name] = {
      ...this.reach(host), install_dir: this.target.installDir, node_command: this.target.nodeCommand,
      preflight: preflight(h).join('\n'), uninstall: uninstall(h),
    };
  }

  /** The program files of a template as an asset (one per distinct path). */
  private filesAsset(files: string | undefined): TerraformAsset {
    if (files === undefined) return this.noFiles;
    let asset = this.fileAssets.get(files);
    if (asset === undefined) {
      asset = new TerraformAsset(this.scope, `program-files-${this.fileAssets.size + 1}`, { path: files });
      this.fileAssets.set(files, asset);
    }
    return asset;
  }

  public addAvailabilityGroup(ag: IConstruct, vms: PlacedVm[], command: string, args: string[], port: number, env: { [key: string]: string }, files?: string): void {
    const group = vms[0]?.group ?? logical(ag.node.id);
    const asset = this.filesAsset(files);
    const isDir = asset.type === AssetType.DIRECTORY;
    const envArgs = Object.keys(env).sort().flatMap((key) => ['--env', `${key}=${env[key]}`]);
    const state = `${this.target.installDir}/state`;
    for (const vm of vms) {
      const host = this.host(vm);
      if (host === undefined) continue;
      this.useHost(host);
      const h = this.context(host);
      const filesDir = `${state}/${vm.name}/files`;
      const start = [nodeCheck(h), agentCommand(this.agentOnHost, this.target.supervisor, [
        'start', '--group', group, '--name', vm.name, '--state-dir', state, '--address', vm.address, '--port', String(port),
        '--zone', vm.zone, '--rack', vm.rack, '--cwd', filesDir, ...envArgs, '--command', command, ...args.flatMap((a) => ['--arg', a]),
      ])].join('\n');
      this.agVms[vm.name] = {
        host: host.name, ...this.reach(host),
        mkdir: shellCommand(['mkdir', '-p', filesDir, `${this.target.installDir}/bin`]),
        agent_source: this.agentAsset.path, agent_destination: this.agentOnHost,
        // A directory's contents go into the files dir (trailing "/"); a file keeps its name.
        files_source: isDir ? `${asset.path}/` : asset.path,
        files_destination: isDir ? filesDir : `${filesDir}/${path.basename(files as string)}`,
        start_command: start,
        destroy_command: withAgent(h, this.agentOnHost, this.target.supervisor, ['stop', '--name', vm.name, '--state-dir', state]),
      };
    }
    addAvailabilityGroupOutput(this.scope, ag, group, vms, port, (vm) => ({ host: this.host(vm)?.name ?? '' }));
  }

  public addLoadBalancer(lb: IConstruct, nodes: PlacedVm[], configFile: string, configHash: string, vip?: VirtualIpDeployment): void {
    const lbLike = lb as LoadBalancerLike;
    const group = nodes[0]?.group ?? lbLike.loadBalancerId ?? logical(lb.node.id);
    const dir = this.target.installDir;
    const provisioners: any[] = [];
    for (const vm of nodes) {
      const host = this.host(vm);
      if (host === undefined) continue;
      this.useHost(host);
      const h = this.context(host);
      this.lbNodes[vm.name] = {
        host: host.name, ...this.reach(host),
        destroy_command: withAgent(h, this.agentOnHost, this.target.supervisor, ['lb-stop', '--install-dir', dir, '--node', vm.name]),
      };
      const connection = this.connection({ ...this.reach(host), port: host.port });
      const incoming = `${dir}/incoming/${vm.name}.json`;
      const apply = agentCommand(this.agentOnHost, this.target.supervisor, [
        'lb-apply', '--install-dir', dir, '--node', vm.name, '--config', incoming, '--runtime', this.runtimeOnHost,
        ...(this.target.workers !== undefined ? ['--workers', String(this.target.workers)] : []),
      ]);
      // With a VIP: this node's keepalived (priority by node order: stable across deploys).
      const vrrp = vip === undefined ? [] : [agentCommand(this.agentOnHost, this.target.supervisor, [
        'vip-apply', '--install-dir', dir, '--node', vm.name, '--vip', vip.address, '--vrid', String(vip.virtualRouterId),
        '--priority', String(250 - nodes.indexOf(vm)), '--advert-ms', String(vip.advertisementIntervalMs),
        '--node-address', vm.address, '--admin-port', String(lbLike.adminPort ?? 9900), ...(vip.interface ? ['--interface', vip.interface] : []),
      ])];
      provisioners.push(
        { type: 'remote-exec', connection, inline: ['set -e', nodeCheck(h), shellCommand(['mkdir', '-p', `${dir}/incoming`, `${dir}/bin`])] },
        { type: 'file', connection, source: configFile, destination: incoming },
        { type: 'file', connection, source: this.runtimeAsset.path, destination: this.runtimeOnHost },
        { type: 'file', connection, source: this.agentAsset.path, destination: this.agentOnHost },
        { type: 'remote-exec', connection, inline: ['set -e', nodeCheck(h), `echo ${shellArg(`cdktf-alb: LB node ${vm.name} on host ${host.name} (${host.address})`)}`, apply, ...vrrp] },
      );
    }
    const rollout = new DataResource(this.scope, `rollout-${group}`, {
      dependsOn: [this.hostBlock, this.agVmBlock, this.lbNodeBlock],
      input: { load_balancer: lb.node.path, config_sha256: configHash },
      triggersReplace: {
        config_sha256: configHash, vip: vip === undefined ? '' : JSON.stringify(vip), runtime: this.runtimeOnHost, agent: this.agentOnHost,
        nodes: nodes.map((n) => `${n.name}@${this.host(n)?.name}`).join(','),
      },
      provisioners,
    });
    rollout.overrideLogicalId(`${logical(this.target.node.id)}_rollout_${logical(group)}`);
    this.rollouts.push(rollout);
    addLoadBalancerOutputs(this.scope, lbLike, group, nodes, (vm) => ({ host: this.host(vm)?.name ?? '' }));
    if (vip !== undefined) addVipOutput(this.scope, lbLike, group, vip.address);
  }
}
