/**
 * The Terraform side of LocalInfrastructure: `terraform_data` instances (one per VM, in
 * `for_each` blocks) whose create-time provisioners start the processes and whose
 * destroy-time provisioners stop them, one config instance per LB node whose trigger is the
 * config hash and whose provisioner hot-reloads the node, the Terraform outputs, and the plan
 * document (`alb/plan.json`) in the synth output.
 *
 * Terraform facts this is built around (DESIGN.md "Deploying"):
 *  - provisioners run only at create: a config change is a resource of its own (replaced
 *    when the hash changes) so it reaches running nodes as a reload, not a restart;
 *  - local-exec waits for every holder of its stdout: the launchers detach their daemons;
 *  - destroy provisioners may only reference `self`: each instance carries its complete,
 *    already-quoted stop command in `input`;
 *  - destroy provisioners run only while their block is in the configuration: blocks are
 *    per kind with `for_each`, so a VM dropped from the plan is still stopped;
 *  - Terraform runs in cdktf.out/stacks/<stack>: every path handed to it is absolute.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DataResource, ISynthesisSession, Lazy, TerraformResource, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { issue } from '../../../lib/model/messages';
import { PLAN_DOCUMENT_VERSION, PLAN_FILE, PlanDocument } from '../../../lib/placement/document';
import { PLACEMENT_STATE_FILE, placementState } from '../../../lib/placement/state';
import { PlacedGroup, PlacedVm, ZoneSpec } from '../../../lib/placement/types';
import { hostBundlePath } from '../bundles';
import { registerSynthesis } from '../synthesis';
import { LoadBalancerLike, addAvailabilityGroupOutput, addLoadBalancerOutputs, logical } from '../outputs';
import { recordIssues } from '../../errors';
import { PlacementRecorder } from '../common/placement-record';
import { shellArg, shellCommand } from '../shell';
import { stackOfThisFramework } from '../../framework';

/** What the deployer needs from LocalInfrastructure. */
export interface LocalTarget extends IConstruct {
  readonly zones: ZoneSpec[];
  readonly stateDir: string;
  readonly runtimeBundle: string;
  readonly placedVms: PlacedVm[];
  readonly placedGroups: PlacedGroup[];
}

/** The placement record of the stack's first infrastructure, in the synth output. */
const PLACEMENT_SYNTH_FILE = 'alb/placement.json';

const deployers = new WeakMap<IConstruct, LocalDeployer>();
const plansPerStack = new WeakMap<IConstruct, number>();

/** The deployer of one LocalInfrastructure (created on first use). */
export function deployerOf(target: LocalTarget): LocalDeployer {
  let deployer = deployers.get(target);
  if (deployer === undefined) {
    deployer = new LocalDeployer(target);
    deployers.set(target, deployer);
  }
  return deployer;
}

/** One entry of a for_each map: everything a VM's provisioners need, as strings. */
interface VmEntry {
  readonly address: string;
  readonly zone: string;
  readonly rack: string;
  /** Complete, quoted command lines (Terraform template sequences escaped). */
  readonly start_command: string;
  readonly destroy_command: string;
}

interface ConfigEntry {
  readonly config_hash: string;
  readonly apply_command: string;
}

export class LocalDeployer {
  private readonly node: string = process.execPath;
  private readonly launcher: string;
  /** Where relative program paths of VMs are resolved: the project directory (where synth runs). */
  private readonly projectDir: string = process.cwd();
  private readonly scope: Construct;
  private readonly agVms: { [name: string]: VmEntry } = {};
  private readonly lbNodes: { [name: string]: VmEntry } = {};
  private readonly lbConfigs: { [name: string]: ConfigEntry } = {};
  private readonly lbs: { lb: LoadBalancerLike; group: string; configFile: string }[] = [];
  private readonly ags: { ag: IConstruct; group: string; port: number }[] = [];
  private readonly planFile: string;
  /** This deploy's placement record in the synth output; copied to the state dir once applied. */
  private readonly placementFile: string;

  constructor(private readonly target: LocalTarget) {
    this.launcher = hostBundlePath('local-vm');
    const stack = stackOfThisFramework(target);
    this.scope = new Construct(target, 'deploy');
    const ordinal = plansPerStack.get(stack) ?? 0;
    plansPerStack.set(stack, ordinal + 1);
    // One plan per infrastructure; the first (usually only) one gets the well-known name.
    this.planFile = ordinal === 0 ? PLAN_FILE : PLAN_FILE.replace(/\.json$/, `-${logical(target.node.path)}.json`);
    this.placementFile = ordinal === 0 ? PLACEMENT_SYNTH_FILE : PLACEMENT_SYNTH_FILE.replace(/\.json$/, `-${logical(target.node.path)}.json`);
    registerSynthesis(target, (session) => this.writePlan(session));
    this.declareResources();
  }

  /**
   * Three `terraform_data` blocks with `for_each` over the VMs, not one block per VM: Terraform
   * runs a destroy provisioner only while its resource block is still in the configuration, so
   * a VM dropped from the plan (a smaller group, a removed rack) must leave its block in place
   * for the process to be stopped. The blocks live as long as the infrastructure does.
   */
  private declareResources(): void {
    const prefix = logical(this.target.node.id);
    const perVm = (entries: { [name: string]: VmEntry }) => Lazy.anyValue({ produce: () => ({ ...entries }) });
    const stateFile = path.join(this.target.stateDir, PLACEMENT_STATE_FILE);

    // The placement record (common/placement-record.ts): its cleanup is created before any VM
    // and destroyed after the last one, forgetting the record; the record itself runs last
    // and copies alb/placement.json into the state dir once every VM and config is applied.
    const recorder = new PlacementRecorder(this.scope, this.target, prefix, {
      node: this.node, synthFile: this.placementFile, recordFile: stateFile, text: () => this.placementText(),
    }, (): TerraformResource[] => [agVms, lbNodes, lbConfigs]);
    const placementCleanup = recorder.cleanup;

    // Availability-group VMs: start on create, stop on destroy; any change to what runs replaces
    // the VM. Create before destroy: the replacement's start (a new instance id) swaps the
    // process in place, one VM of the group at a time (local-vm --instance/--group), and the
    // old instance's stop, which names the old id, then leaves the new process alone.
    const agVms = new DataResource(this.scope, 'ag-vms', {
      lifecycle: { createBeforeDestroy: true },
      dependsOn: [placementCleanup],
      input: { vm: '${each.key}', address: '${each.value.address}', zone: '${each.value.zone}', rack: '${each.value.rack}', destroy_command: '${each.value.destroy_command}' },
      triggersReplace: { vm: '${each.key}', start_command: '${each.value.start_command}' },
      provisioners: [
        // The commands end in an option list ready for `--instance <this instance's id>`.
        { type: 'local-exec', command: '${each.value.start_command} --instance ${self.id}' },
        // Destroy provisioners may only reference self: the stop command travels in input.
        { type: 'local-exec', when: 'destroy', command: '${self.input.destroy_command} --instance ${self.id}' },
      ],
    });
    agVms.overrideLogicalId(`${prefix}_ag_vm`);
    agVms.addOverride('for_each', perVm(this.agVms));

    // LB nodes: the runtime as a daemon. A config change is not here (see lb-configs).
    const lbNodes = new DataResource(this.scope, 'lb-nodes', {
      input: { vm: '${each.key}', address: '${each.value.address}', zone: '${each.value.zone}', rack: '${each.value.rack}', destroy_command: '${each.value.destroy_command}' },
      triggersReplace: { vm: '${each.key}', start_command: '${each.value.start_command}' },
      // Backends first: a node starts against VMs that already answer (and on destroy, LB nodes go first).
      dependsOn: [agVms, placementCleanup],
      provisioners: [
        { type: 'local-exec', command: '${each.value.start_command}' },
        { type: 'local-exec', when: 'destroy', command: '${self.input.destroy_command}' },
      ],
    });
    lbNodes.overrideLogicalId(`${prefix}_lb_node`);
    lbNodes.addOverride('for_each', perVm(this.lbNodes));

    // Per node, the config it should serve: replaced when the hash changes, which hot-reloads the node.
    const lbConfigs = new DataResource(this.scope, 'lb-configs', {
      input: { vm: '${each.key}', config_hash: '${each.value.config_hash}' },
      triggersReplace: { vm: '${each.key}', config_hash: '${each.value.config_hash}' },
      dependsOn: [lbNodes, agVms],
      provisioners: [{ type: 'local-exec', command: '${each.value.apply_command}' }],
    });
    lbConfigs.overrideLogicalId(`${prefix}_lb_config`);
    lbConfigs.addOverride('for_each', Lazy.anyValue({ produce: () => ({ ...this.lbConfigs }) }));
  }

  /** The placement record document of this synth (deterministic text: its hash is the trigger). */
  private placementText(): string {
    return JSON.stringify(placementState(this.target.node.path, this.target.placedGroups), null, 2) + '\n';
  }

  /** Adds an LB's nodes (start/stop the runtime) and per node its reload-on-change config entry. */
  public addLoadBalancer(lb: IConstruct, nodes: PlacedVm[], configFile: string, configHash: string): void {
    const lbLike = lb as LoadBalancerLike;
    const group = nodes[0]?.group ?? lbLike.loadBalancerId ?? logical(lb.node.id);
    const reserved = new Map([[PLAN_FILE, 'plan'], [this.planFile, 'plan'], [PLACEMENT_SYNTH_FILE, 'record'], [this.placementFile, 'record']]);
    if (reserved.has(configFile)) {
      recordIssues(lb, [issue(lb.node.path, 'config file', configFile, `would overwrite the placement ${reserved.get(configFile)}`, 'another load balancer name')]);
      return;
    }
    this.lbs.push({ lb: lbLike, group, configFile });
    const stateDir = this.target.stateDir;
    const bundle = this.target.runtimeBundle;
    for (const vm of nodes) {
      // configFile is relative to the stack's synth directory, Terraform's working directory.
      const start = shellCommand([this.node, bundle, 'start', '--config', configFile, '--node', vm.name, '--state-dir', stateDir]);
      const reload = shellCommand([this.node, bundle, 'reload', '--config', configFile, '--node', vm.name, '--state-dir', stateDir]);
      const stop = shellCommand([this.node, bundle, 'stop', '--node', vm.name, '--state-dir', stateDir]);
      // The runtime's stop keeps its log and config copy; `clean` removes them (destroy leaves nothing).
      const clean = shellCommand([this.node, this.launcher, 'clean', '--name', vm.name, '--state-dir', stateDir]);
      this.lbNodes[vm.name] = { address: vm.address, zone: vm.zone, rack: vm.rack, start_command: start, destroy_command: `${stop} && ${clean}` };
      // Hot reload: same pid, listeners kept open; the runtime refuses (exit 1) what it cannot
      // apply live. A node that is not running (crashed since the last deploy) is started with
      // the new config instead, so a config change also heals it.
      const pidFile = shellArg(path.join(stateDir, vm.name, 'runtime.pid'));
      this.lbConfigs[vm.name] = {
        config_hash: configHash,
        apply_command: `if kill -0 "$(cat ${pidFile} 2>/dev/null)" 2>/dev/null; then ${reload}; else ${start}; fi`,
      };
    }
    addLoadBalancerOutputs(this.scope, lbLike, group, nodes);
  }

  /** Adds an availability group's VMs (start/stop through the local-vm launcher). */
  public addAvailabilityGroup(ag: IConstruct, vms: PlacedVm[], command: string, args: string[], port: number, env: { [key: string]: string }, files?: string): void {
    // The program runs in its files (as it does on an SSH host), else in the project directory.
    const cwd = files === undefined ? this.projectDir : fs.statSync(files).isDirectory() ? files : path.dirname(files);
    const group = vms[0]?.group ?? logical(ag.node.id);
    this.ags.push({ ag, group, port });
    const stateDir = this.target.stateDir;
    const envArgs = Object.keys(env).sort().flatMap((key) => ['--env', `${key}=${env[key]}`]);
    for (const vm of vms) {
      // The program and its arguments go first (after `--` the launcher takes no options), so
      // the provisioner can append `--instance <id>` to the option list at the end.
      const start = shellCommand([
        this.node, this.launcher, 'start', '--group', group, '--name', vm.name, '--state-dir', stateDir, '--address', vm.address,
        '--port', String(port), '--zone', vm.zone, '--rack', vm.rack, '--cwd', cwd, ...envArgs, '--command', command,
        ...args.flatMap((a) => ['--arg', a]),
      ]);
      const stop = shellCommand([this.node, this.launcher, 'stop', '--name', vm.name, '--state-dir', stateDir]);
      this.agVms[vm.name] = { address: vm.address, zone: vm.zone, rack: vm.rack, start_command: start, destroy_command: stop };
    }
    addAvailabilityGroupOutput(this.scope, ag, group, vms, port);
  }

  private writePlan(session: ISynthesisSession): void {
    const stack = TerraformStack.of(this.target);
    const stackDir = path.join(session.outdir, session.manifest.forStack(stack).workingDirectory);
    const doc: PlanDocument = {
      planVersion: PLAN_DOCUMENT_VERSION,
      infrastructure: this.target.node.path,
      zones: this.target.zones,
      vms: this.target.placedVms,
      loadBalancers: this.lbs.map(({ lb, group, configFile }) => ({ group, path: lb.node.path, configFile })),
      availabilityGroups: this.ags.map(({ ag, group, port }) => ({ group, path: ag.node.path, port })),
    };
    const file = path.join(stackDir, this.planFile);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  }
}
