/** LocalInfrastructure: topology checks, placement through the shared planner, defaults. */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { AvailabilityGroup, LoadBalancer, LocalInfrastructure, MachineTemplate, Vpc, VmRole } from '../../index';
import { availabilityGroup, fullSynth, loadBalancer, reported, TEST_COOKIE_SECRET, testApp, world, ZONES } from './helpers';

describe('LocalInfrastructure', () => {
  it('resolves stateDir against the project directory and finds the runtime bundle of this package', () => {
    const w = world();
    expect(w.dc.stateDir).toBe(path.join(process.cwd(), '.alb-state'));
    expect(w.dc.runtimeBundle).toBe(path.join(__dirname, '..', '..', 'dist', 'runtime', 'alb-runtime.js'));
    const custom = new LocalInfrastructure(w.stack, 'dc2', { zones: ZONES, stateDir: '/tmp/x-state', runtimeBundle: 'rt.js' });
    expect(custom.stateDir).toBe('/tmp/x-state');
    expect(custom.runtimeBundle).toBe(path.join(process.cwd(), 'rt.js'));
  });

  it('places LB nodes per zone and AG VMs by count, with distinct addresses, and records the deployments', () => {
    const w = world();
    const lb = loadBalancer(w, 'web', { nodesPerZone: 3 });
    const ag = availabilityGroup(w, 'app', 5);
    expect(lb.nodes).toHaveLength(6);
    expect(lb.nodes.every((n) => n.role === VmRole.LB_NODE && n.group === 'web')).toBe(true);
    expect(ag.instances).toHaveLength(5);
    const addresses = [...lb.nodes, ...w.dc.placedVms.filter((v) => v.group === ag.placementGroupName)].map((v) => v.address);
    expect(new Set(addresses).size).toBe(11);
    expect(w.dc.loadBalancerDeployments[0]).toMatchObject({ loadBalancer: lb, configFile: 'alb/web.json' });
    expect(w.dc.availabilityGroupDeployments[0]).toMatchObject({ availabilityGroup: ag, command: 'node', args: ['app.js'], port: 8080, env: {} });
  });

  it('an LB limited to one zone places nodes only there', () => {
    const w = world();
    const lb = loadBalancer(w, 'web', { zones: ['az-2'] });
    expect(lb.nodes.map((n) => n.zone)).toEqual(['az-2', 'az-2']);
  });

  it('nested constructs get placement names that cannot collide with a sibling id', () => {
    const w = world();
    const scope = new Construct(w.stack, 'a');
    const nested = loadBalancer({ ...w, stack: scope as never }, 'lb');
    const flat = loadBalancer(w, 'a-lb');
    expect(flat.loadBalancerId).toBe('a-lb');
    expect(nested.loadBalancerId).toMatch(/^a-lb-[0-9a-f]{8}$/);
  });

  it('an LB whose config file would overwrite the placement plan or record is refused', () => {
    for (const id of ['plan', 'placement']) {
      const w = world();
      expect(reported(w, () => loadBalancer(w, id))).toBe(`test/${id}: config file "alb/${id}.json" would overwrite the placement ${id === 'plan' ? 'plan' : 'record'}; allowed: another load balancer name`);
    }
  });

  it('wraps a planner refusal with the construct path', () => {
    const w = world();
    expect(reported(w, () => availabilityGroup(w, 'big', 300))).toBe(
      'test/big: the infrastructure cannot place 300 VMs: count 300 asks for 300 VMs; allowed: at most 254 VMs per group (address scheme)');
  });
});

describe('LocalInfrastructure placement stays put across synths (the last applied deploy is the previous placement)', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alb-placement-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** One app: optionally a "canary" group declared before everything else, then an LB and an AG of `appCount`. */
  function synthApp(options: { canaryFirst?: boolean; appCount?: number; zones?: typeof ZONES } = {}) {
    const app = testApp();
    const stack = new TerraformStack(app, 'test');
    const dc = new LocalInfrastructure(stack, 'dc', { zones: options.zones ?? ZONES, stateDir: path.join(dir, 'state') });
    const vpc = new Vpc(stack, 'vpc', { cidrBlock: '127.0.0.0/8' });
    const template = MachineTemplate.command({ command: 'node', args: ['app.js'], port: 8080 });
    const canary = options.canaryFirst ? new AvailabilityGroup(stack, 'canary', { infrastructure: dc, vpc, instanceCount: 2, template }) : undefined;
    const lb = new LoadBalancer(stack, 'web', { infrastructure: dc, vpc, cookieSecret: TEST_COOKIE_SECRET });
    const ag = new AvailabilityGroup(stack, 'app', { infrastructure: dc, vpc, instanceCount: options.appCount ?? 4, template });
    const outdir = fullSynth(stack);
    const stackDir = path.join(outdir, 'stacks', 'test');
    const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    return { dc, lb, ag, canary, stackDir, tf };
  }

  /** Runs the record resource's provisioner command as Terraform would (sh, in the stack dir). */
  function applyRecord(synth: ReturnType<typeof synthApp>): string {
    const command = synth.tf.resource.terraform_data.dc_placement_record.provisioner[0]['local-exec'].command.replace(/\$\$\{/g, '${');
    return execFileSync('/bin/sh', ['-c', command], { cwd: synth.stackDir, encoding: 'utf8' });
  }

  const vmsOf = (s: ReturnType<typeof synthApp>) => ({ web: s.lb.nodes, app: s.ag.instances.map(({ name, address, zone, rack }) => ({ name, address, zone, rack })) });

  test('a synth alone records nothing; the record step of a deploy does; the next synth keeps every VM when a group is declared before the others', () => {
    const first = synthApp();
    expect(fs.existsSync(path.join(dir, 'state', 'placement.json'))).toBe(false);
    expect(first.dc.previousPlacement).toEqual([]);
    expect(first.lb.nodes[0].address).toMatch(/^127\.1\./);

    // A second plain synth with the new group first, never deployed: renumbered (nothing recorded yet).
    const undeployed = synthApp({ canaryFirst: true });
    expect(undeployed.lb.nodes[0].address).toMatch(/^127\.2\./);
    expect(fs.existsSync(path.join(dir, 'state', 'placement.json'))).toBe(false);

    expect(applyRecord(first)).toContain('placement recorded in');
    const second = synthApp({ canaryFirst: true });
    expect(second.dc.previousPlacement.map((g) => [g.name, g.ordinal])).toEqual([['web', 1], ['app', 2]]);
    expect(vmsOf(second)).toEqual(vmsOf(first));
    expect(second.dc.placedGroups.map((g) => [g.name, g.ordinal])).toEqual([['canary', 3], ['web', 1], ['app', 2]]);
    expect(second.canary?.instances.map((i) => i.address.split('.')[1])).toEqual(['3', '3']);
    // Terraform sees the same instance keys and start commands for the existing VMs: nothing to replace.
    const vmEntries = (s: ReturnType<typeof synthApp>, kind: string) => s.tf.resource.terraform_data[kind].for_each;
    for (const kind of ['dc_lb_node', 'dc_ag_vm']) {
      for (const [name, entry] of Object.entries(vmEntries(first, kind))) expect(vmEntries(second, kind)[name]).toEqual(entry);
    }
  });

  test('after a deploy, removing a rack moves only its VMs, and growing a group moves none', () => {
    const first = synthApp({ appCount: 5 });
    applyRecord(first);
    const grown = synthApp({ appCount: 6 });
    expect(vmsOf(grown).app.slice(0, 5)).toEqual(vmsOf(first).app);
    expect(vmsOf(grown).web).toEqual(vmsOf(first).web);

    const shrunk = synthApp({ appCount: 5, zones: [{ name: 'az-1', racks: ['r1', 'r2'] }, { name: 'az-2', racks: ['r4'] }] });
    const before = [...vmsOf(first).web, ...vmsOf(first).app];
    const after = [...vmsOf(shrunk).web, ...vmsOf(shrunk).app];
    expect(before.some((vm) => vm.rack === 'r3')).toBe(true);
    before.forEach((vm, i) => {
      if (vm.rack === 'r3') expect(after[i]).toMatchObject({ zone: 'az-2', rack: 'r4' });
      else expect(after[i]).toEqual(vm);
    });
  });

  test('the record refuses a synth output changed after the plan; destroy forgets it and removes the empty state dir', () => {
    const first = synthApp();
    fs.appendFileSync(path.join(first.stackDir, 'alb', 'placement.json'), ' ');
    expect(() => applyRecord(first)).toThrow(/it was re-synthesized after the plan: run the deploy again/);
    expect(fs.existsSync(path.join(dir, 'state', 'placement.json'))).toBe(false);

    const again = synthApp();
    applyRecord(again);
    const forget = again.tf.resource.terraform_data.dc_placement_cleanup.input.destroy_command.replace(/\$\$\{/g, '${');
    expect(execFileSync('/bin/sh', ['-c', forget], { encoding: 'utf8' })).toContain('removed');
    expect(fs.existsSync(path.join(dir, 'state'))).toBe(false);
  });

  test('a damaged record is an error naming the file; a record of another infrastructure path is not this one\'s past', () => {
    fs.mkdirSync(path.join(dir, 'state'));
    const file = path.join(dir, 'state', 'placement.json');
    fs.writeFileSync(file, '{"placementVersion": 1, "infrastructure": "test/dc", "groups": [{"name": "web", "ordinal": "x", "vms": []}]}');
    expect(() => synthApp()).toThrow(`${file}: groups[0].ordinal "x" is invalid; allowed: an integer`);
    fs.writeFileSync(file, JSON.stringify({ placementVersion: 1, infrastructure: 'other/dc', groups: [{ name: 'web', ordinal: 7, vms: [] }] }));
    expect(synthApp().lb.nodes[0].address).toMatch(/^127\.1\./);
  });

  test('two LocalInfrastructures of one app cannot share a state dir', () => {
    const w = world();
    expect(reported(w, () => new LocalInfrastructure(w.stack, 'dc2', { zones: ZONES }))).toBe(
      `test/dc2: stateDir "${path.join(process.cwd(), '.alb-state')}" is already the state dir of test/dc; allowed: a state dir of its own per LocalInfrastructure`,
    );
  });
});
