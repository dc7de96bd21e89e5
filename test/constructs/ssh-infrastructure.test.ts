/**
 * SshInfrastructure at synth: placement onto hosts (zone/rack, one VM per host, two nodes of
 * one LB never on one host, stable against the record, every shortage reported), portable
 * synth output (assets and configs relative to the stack, the key only as a path in file()),
 * the rollout walking nodes in order, and clear errors for bad props.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, LocalBackend, TerraformStack } from 'cdktf';
import {
  AvailabilityGroup, BackendProtocol, HealthCheckProtocol, ListenerProtocol, LoadBalancer, LocalInfrastructure, MachineTemplate, SshHost,
  SshInfrastructure, Vpc,
} from '../../index';
import { TEST_COOKIE_SECRET, errorLines, fullSynth, reported, synthErrors, testApp } from './helpers';

const KEY_PATH = '/home/deployer/.ssh/id_ed25519';
const KEY_CONTENTS = '-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n-----END OPENSSH PRIVATE KEY-----\n';

function hosts(perRack: number, racks = ['r1', 'r2', 'r3', 'r4']): SshHost[] {
  const list: SshHost[] = [];
  racks.forEach((rack, r) => {
    for (let i = 0; i < perRack; i++) {
      list.push({ name: `${rack}-h${i + 1}`, address: `10.20.${r + 1}.${i + 11}`, zone: r < racks.length / 2 ? 'az-1' : 'az-2', rack });
    }
  });
  return list;
}

let work: string;
const synthDirs: string[] = [];
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'ssh-infra-test-'));
});
afterEach(() => {
  for (const dir of [work, ...synthDirs.splice(0)]) fs.rmSync(dir, { recursive: true, force: true });
});

interface Built { app: App; stack: TerraformStack; fleet: SshInfrastructure; lb: LoadBalancer; app1: AvailabilityGroup }

function build(hostList: SshHost[], o: { appCount?: number; placementFile?: string; extraGroupFirst?: boolean; vmsPerHost?: number; appPort?: number } = {}): Built {
  const app = testApp({ stackTraces: false });
  const stack = new TerraformStack(app, 'test');
  // A backend of its own: cdktn's default local backend names an absolute path in the project.
  new LocalBackend(stack, { path: 'terraform.tfstate' });
  const fleet = new SshInfrastructure(stack, 'fleet', {
    hosts: hostList, privateKeyFile: KEY_PATH, placementFile: o.placementFile ?? path.join(work, 'placement.json'), connectTimeoutSeconds: 7, vmsPerHost: o.vmsPerHost,
  });
  const vpc = new Vpc(stack, 'vpc', { cidrBlock: '10.20.0.0/16' });
  const template = MachineTemplate.command({ command: 'node', args: ['app.js'], files: 'examples/quickstart/app.js', port: o.appPort ?? 8081 });
  if (o.extraGroupFirst) new AvailabilityGroup(stack, 'canary', { infrastructure: fleet, vpc, instanceCount: 2, template });
  const lb = new LoadBalancer(stack, 'web', { infrastructure: fleet, vpc, cookieSecret: TEST_COOKIE_SECRET });
  const app1 = new AvailabilityGroup(stack, 'app', { infrastructure: fleet, vpc, instanceCount: o.appCount ?? 4, template });
  const backend = lb.addBackendService('backend', { protocol: BackendProtocol.HTTP, port: o.appPort ?? 8081, healthCheck: { protocol: HealthCheckProtocol.HTTP, path: '/healthz' } });
  backend.addAvailabilityGroup(app1);
  lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 8080, backendService: backend });
  return { app, stack, fleet, lb, app1 };
}

function synthJson(b: Built): { dir: string; json: any; text: string } {
  const dir = fullSynth(b.stack);
  synthDirs.push(dir);
  const text = fs.readFileSync(path.join(dir, 'stacks', 'test', 'cdk.tf.json'), 'utf8');
  return { dir, json: JSON.parse(text), text };
}

test('each VM runs on a host of its zone and rack, one per host; nodes of one LB never share a host', () => {
  const b = build(hosts(2));
  const assignments = b.fleet.hostAssignments;
  expect(assignments).toHaveLength(8); // 4 LB nodes + 4 app VMs
  const byHost = new Map(assignments.map((a) => [a.host, a.vm]));
  expect(byHost.size).toBe(8);
  for (const vm of [...b.lb.nodes, ...b.app1.instances]) {
    const host = b.fleet.hostOf(vm.name)!;
    expect({ vm: vm.name, zone: host.zone, rack: host.rack, address: host.address }).toEqual({ vm: vm.name, zone: vm.zone, rack: vm.rack, address: vm.address });
  }
  // Targets and LB nodes use the hosts' addresses.
  const config = JSON.parse(b.lb.synthesizeConfig());
  expect(config.nodes.map((n: { address: string }) => n.address).sort()).toEqual(b.lb.nodes.map((n) => b.fleet.hostOf(n.name)!.address).sort());
});

test('a fleet too small fails synth saying how many hosts each zone/rack lacks', () => {
  // One host per rack: the 4 LB nodes take them all; the 4 app VMs find none.
  const b = build(hosts(1));
  const lines = errorLines(synthErrors(b.stack)).filter((l) => l.includes('lacks'));
  expect(lines).toHaveLength(4);
  expect(lines.join('\n')).toContain('test/fleet: zone "az-1" rack "r1" lacks 1 host (it has 1, vmsPerHost 1; VMs without a host: app-az-1-r1-');
  expect(lines.join('\n')).toMatch(/zone "az-2" rack "r4" lacks 1 host/);
});

test('placement is stable: the record keeps every VM on its host; adding a host moves nothing, removing one moves only its VMs', () => {
  const first = build(hosts(2));
  const dir = fullSynth(first.stack);
  synthDirs.push(dir);
  // What a successful apply records: the synthesized placement copied to the placement file.
  fs.copyFileSync(path.join(dir, 'stacks', 'test', 'alb', 'placement-fleet.json'), path.join(work, 'placement.json'));
  const before = new Map(first.fleet.hostAssignments.map((a) => [a.vm, a.host]));

  // A new host in every rack, listed first (it would win a fresh placement's ties).
  const more = [...hosts(1).map((h) => ({ ...h, name: `new-${h.name}`, address: h.address.replace(/\.11$/, '.99') })), ...hosts(2)];
  const grown = build(more);
  expect(new Map(grown.fleet.hostAssignments.map((a) => [a.vm, a.host]))).toEqual(before);

  // A group declared before the others takes free hosts only.
  const withCanary = build(more, { extraGroupFirst: true });
  for (const [vm, host] of before) expect(withCanary.fleet.hostOf(vm)?.name).toBe(host);

  // Remove the host of one app VM: only that VM moves.
  const victimVm = first.app1.instances[0].name;
  const victimHost = before.get(victimVm)!;
  const fewer = more.filter((h) => h.name !== victimHost);
  const shrunk = build(fewer);
  const after = new Map(shrunk.fleet.hostAssignments.map((a) => [a.vm, a.host]));
  const moved = [...before].filter(([vm, host]) => after.get(vm) !== host).map(([vm]) => vm);
  expect(moved).toEqual([victimVm]);
});

test('synth output is portable: bundles and program files are assets, configs relative; the key only as a path read by file()', () => {
  const b = build(hosts(2));
  const { json, text } = synthJson(b);
  const project = path.resolve('.');
  expect(text).not.toContain(project);
  expect(text).not.toContain(process.execPath);
  expect(text).not.toContain('node_modules');
  expect(text).not.toContain('PRIVATE KEY');
  // The key path appears only inside file(), in connection blocks.
  const keyUses = text.split(KEY_PATH).length - 1;
  expect(keyUses).toBeGreaterThan(0);
  expect(text.split(`\${file(\\"${KEY_PATH}\\")}`).length - 1).toBe(keyUses);
  const rollout = json.resource.terraform_data.fleet_rollout_web;
  const sources = rollout.provisioner.filter((p: any) => p.file).map((p: any) => p.file.source);
  expect(sources.some((s: string) => /^assets\/[^/]+\/[0-9A-F]+\/alb-runtime\.js$/.test(s))).toBe(true);
  expect(sources.some((s: string) => s === 'alb/web.json')).toBe(true);
  const vm = Object.values(json.resource.terraform_data.fleet_ag_vm.for_each as Record<string, any>)[0];
  expect(vm.files_source).toMatch(/^assets\/[^/]+\/[0-9A-F]+\/app\.js$/);
  expect(vm.files_destination).toMatch(/^\/opt\/cdktf-alb\/state\/app-az-\d-r\d-\d\/files\/app\.js$/);
});

test('the key given as contents instead of a path is refused without echoing it', () => {
  const app = testApp();
  const stack = new TerraformStack(app, 'test');
  const message = reported({ stack }, () => new SshInfrastructure(stack, 'fleet', { hosts: hosts(1), privateKeyFile: KEY_CONTENTS }));
  expect(message).toContain('test/fleet: privateKeyFile "<redacted>" looks like the contents of a key, not a path');
  expect(message).not.toContain('secret');
});

test('bad props name the field, the value and what is allowed', () => {
  const app = testApp();
  const stack = new TerraformStack(app, 'test');
  const message = reported({ stack }, () => new SshInfrastructure(stack, 'fleet', {
    hosts: [
      { name: 'h1', address: '10.0.0.1', zone: 'az-1', rack: 'r1' },
      { name: 'h1', address: '10.0.0.1', zone: 'az-2', rack: 'r1' },
      { name: 'h3', address: '10.0.0.300', zone: 'az-1', rack: 'r1', port: 70000 },
    ],
    privateKeyFile: KEY_PATH, installDir: '/', vmsPerHost: 0, connectTimeoutSeconds: 0,
  }));
  expect(message).toContain('test/fleet: hosts[1].name "h1" is declared twice; allowed: unique host names');
  expect(message).toContain('test/fleet: hosts[1].address "10.0.0.1" is already the address of host "h1"');
  expect(message).toContain('test/fleet: hosts[2].address "10.0.0.300" is not an IPv4 address');
  expect(message).toContain('test/fleet: hosts[2].port 70000 is out of range; allowed: 1..65535');
  expect(message).toContain('test/fleet: installDir "/" is not allowed');
  expect(message).toContain('test/fleet: vmsPerHost 0 is out of range; allowed: 1..64');
  expect(message).toContain('test/fleet: connectTimeoutSeconds 0 is out of range; allowed: 1..600 seconds');
});

test('the rollout walks the nodes one by one: config, runtime, agent, then lb-apply (which waits for /healthz)', () => {
  const b = build(hosts(2));
  const { json } = synthJson(b);
  const rollout = json.resource.terraform_data.fleet_rollout_web;
  const steps: string[] = rollout.provisioner.map((p: any) => {
    const [kind, body] = Object.entries(p)[0] as [string, any];
    const host = body.connection.host;
    if (kind === 'file') return `${host} file ${path.basename(body.destination).replace(/-[0-9a-f]{16}\.js$/, '.js')}`;
    const apply = body.inline.find((l: string) => l.includes('lb-apply'));
    return `${host} ${apply ? 'lb-apply' : 'mkdir'}`;
  });
  const nodes = b.lb.nodes.map((n) => ({ name: n.name, address: n.address }));
  expect(steps).toEqual(nodes.flatMap((n) => [
    `${n.address} mkdir`, `${n.address} file ${n.name}.json`, `${n.address} file alb-runtime.js`, `${n.address} file alb-host.js`, `${n.address} lb-apply`,
  ]));
  // A new config hash replaces the rollout (and nothing else about the nodes).
  expect(rollout.triggers_replace.config_sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(json.resource.terraform_data.fleet_lb_node.triggers_replace).toEqual({ vm: '${each.key}', host: '${each.value.host}' });
  expect(rollout.provisioner[0]['remote-exec'].connection).toMatchObject({ timeout: '7s', agent: 'false', user: 'root', port: 22 });
});

test('VMs that share a host (vmsPerHost 2) must not share a port: every clash is reported at synth', () => {
  // One host per rack, two VMs per host: each host runs an LB node and an app VM.
  const clash = build(hosts(1), { vmsPerHost: 2, appPort: 8080 });
  const lines = errorLines(synthErrors(clash.stack)).filter((l) => l.includes('both on port'));
  expect(lines).toHaveLength(4);
  expect(lines[0]).toMatch(/test\/fleet: host "r\d-h1" would run web-az-\d-r\d-\d and app-az-\d-r\d-\d, both on port 8080; allowed: distinct ports for VMs that share a host, or vmsPerHost 1/);
  const fine = build(hosts(1), { vmsPerHost: 2, appPort: 8081 });
  expect(errorLines(synthErrors(fine.stack))).toEqual([]);
  expect(new Set(fine.fleet.hostAssignments.map((a) => a.host)).size).toBe(4);
});

describe('vip', () => {
  function lbWithVip(fleet: SshInfrastructure | undefined, stack: TerraformStack, id: string, vip: object): LoadBalancer {
    const vpc = (stack.node.tryFindChild('vpc') as Vpc | undefined) ?? new Vpc(stack, 'vpc', { cidrBlock: '10.20.0.0/16' });
    return new LoadBalancer(stack, id, { infrastructure: fleet as SshInfrastructure, vpc, cookieSecret: TEST_COOKIE_SECRET, vip: vip as any });
  }

  test('LocalInfrastructure refuses a vip: it cannot float an address', () => {
    const app = testApp();
    const stack = new TerraformStack(app, 'test');
    const dc = new LocalInfrastructure(stack, 'dc', { zones: [{ name: 'az-1', racks: ['r1'] }], stateDir: path.join(work, 'state') });
    const vpc = new Vpc(stack, 'vpc', { cidrBlock: '127.0.0.0/8' });
    const message = reported({ stack }, () => new LoadBalancer(stack, 'web', { infrastructure: dc, vpc, nodesPerZone: 1, cookieSecret: TEST_COOKIE_SECRET, vip: { address: '127.9.9.9' } }));
    expect(message).toContain('test/web: vip {"address":"127.9.9.9"} cannot be used on test/dc: it cannot float an address between nodes; allowed: no vip, or an infrastructure whose nodes share a network segment (SshInfrastructure)');
  });

  test('bad fields: outside the VPC, router id, interval, interface', () => {
    const b = build(hosts(2));
    const message = reported(b, () => lbWithVip(b.fleet, b.stack, 'other', { address: '10.99.0.1', virtualRouterId: 256, advertisementIntervalMs: 205, interface: 'eth0 and more' }));
    expect(message).toContain('test/other: vip.address "10.99.0.1" is outside the VPC 10.20.0.0/16; allowed: an address inside 10.20.0.0/16');
    expect(message).toContain('test/other: vip.virtualRouterId 256 is out of range; allowed: 1..255');
    expect(message).toContain('test/other: vip.advertisementIntervalMs 205 is not a whole number of centiseconds');
    expect(message).toContain('test/other: vip.interface "eth0 and more" is not an interface name');
  });

  test('a host address, or a router id another LB of the fleet has, fails synth; the config carries the vip', () => {
    const b = build(hosts(3), { appCount: 0 });
    const first = lbWithVip(b.fleet, b.stack, 'one', { address: '10.20.9.1', virtualRouterId: 7 });
    lbWithVip(b.fleet, b.stack, 'two', { address: '10.20.1.11', virtualRouterId: 7 });
    const lines = errorLines(synthErrors(b.stack)).join('\n');
    expect(lines).toContain('test/two: vip.address "10.20.1.11" is the address of host "r1-h1" of test/fleet');
    expect(lines).toContain('test/two: vip.virtualRouterId 7 is already the virtual router id of test/one on test/fleet; allowed: a distinct id 1..255 per load balancer (set vip.virtualRouterId)');
    expect(first.vip).toEqual({ address: '10.20.9.1', virtualRouterId: 7, advertisementIntervalMs: 200, interface: undefined });
  });
});
