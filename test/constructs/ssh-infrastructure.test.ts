/**
 * SshInfrastructure at synth: placement onto hosts (zone/rack, one VM per host, two nodes of
 * one LB never on one host, stable against the record, every shortage reported), portable
 * synth output (assets and configs relative to the stack, the key only as a path in file()),
 * the rollout walking nodes in order, and clear errors for bad props.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, LocalBackend, TerraformStack } from 'cdktf';
import {
  AvailabilityGroup, BackendProtocol, HealthCheckProtocol, ListenerProtocol, LoadBalancer, LocalInfrastructure, MachineTemplate, SshHost,
  SshInfrastructure, Vpc,
} from '../../index';
import { TEST_COOKIE_SECRET, errorLines, fullSynth, reported, synthErrors, testApp, warnings } from './helpers';
import { generateKey, hostKeyLines } from '../helpers/ssh-keys';

const KEY_PATH = '/home/deployer/.ssh/id_ed25519';
const KEY_CONTENTS = '-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n-----END OPENSSH PRIVATE KEY-----\n';

/** Real host keys (ssh-keygen), one per host of hosts(3): the fleet verifies every host. */
const HOST_KEYS = hostKeyLines(12);

function hosts(perRack: number, racks = ['r1', 'r2', 'r3', 'r4']): SshHost[] {
  const list: SshHost[] = [];
  racks.forEach((rack, r) => {
    for (let i = 0; i < perRack; i++) {
      list.push({ name: `${rack}-h${i + 1}`, address: `10.20.${r + 1}.${i + 11}`, zone: r < racks.length / 2 ? 'az-1' : 'az-2', rack, hostKey: HOST_KEYS[r * 3 + i] });
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

interface BuildOptions {
  appCount?: number; placementFile?: string; extraGroupFirst?: boolean; vmsPerHost?: number; appPort?: number;
  hostCertificateAuthority?: string; insecureSkipHostKeyVerification?: boolean;
}

function build(hostList: SshHost[], o: BuildOptions = {}): Built {
  const app = testApp({ stackTraces: false });
  const stack = new TerraformStack(app, 'test');
  // A backend of its own: cdktn's default local backend names an absolute path in the project.
  new LocalBackend(stack, { path: 'terraform.tfstate' });
  const fleet = new SshInfrastructure(stack, 'fleet', {
    hosts: hostList, privateKeyFile: KEY_PATH, placementFile: o.placementFile ?? path.join(work, 'placement.json'), connectTimeoutSeconds: 7, vmsPerHost: o.vmsPerHost,
    hostCertificateAuthority: o.hostCertificateAuthority, insecureSkipHostKeyVerification: o.insecureSkipHostKeyVerification,
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

describe('host keys', () => {
  /** Every connection block of the synthesized stack, with the host_key Terraform will check for it. */
  function connections(json: any): { resource: string; address: string; hostKey: string }[] {
    const found: { resource: string; address: string; hostKey: string }[] = [];
    for (const [name, r] of Object.entries(json.resource.terraform_data as Record<string, any>)) {
      const blocks = [r.connection, ...(r.provisioner ?? []).map((p: any) => (Object.values(p)[0] as any).connection)].filter(Boolean);
      // A key that is no host's: the provisioners of this resource connect with the resource's connection block.
      const hasProvisioners = (r.provisioner ?? []).some((p: any) => p['remote-exec'] || p.file);
      if (hasProvisioners) expect({ name, blocks: blocks.length > 0 }).toEqual({ name, blocks: true });
      for (const c of blocks) {
        expect(c).toHaveProperty('host_key');
        if (c.host === '${self.input.address}') {
          // Per for_each entry: the entry's host_key reaches the block through the resource's input.
          expect({ name, key: c.host_key, input: r.input.host_key }).toEqual({ name, key: '${self.input.host_key}', input: '${each.value.host_key}' });
          for (const entry of Object.values(r.for_each as Record<string, any>)) found.push({ resource: name, address: entry.address, hostKey: entry.host_key });
        } else {
          found.push({ resource: name, address: c.host, hostKey: c.host_key });
        }
      }
    }
    return found;
  }

  test('every connection of every resource (preflight, VMs, nodes, rollout, destroy) carries its host\'s key', () => {
    const list = hosts(2);
    const b = build(list);
    const { json } = synthJson(b);
    const found = connections(json);
    // Hosts, AG VMs, LB nodes (with their destroy-time provisioners) and the rollout: all of them.
    expect(new Set(found.map((f) => f.resource))).toEqual(new Set(['fleet_host', 'fleet_ag_vm', 'fleet_lb_node', 'fleet_rollout_web']));
    const keyOf = new Map(list.map((h) => [h.address, h.hostKey!.split(' ').slice(0, 2).join(' ')]));
    for (const f of found) expect(f).toEqual({ ...f, hostKey: keyOf.get(f.address) });
    // The comment ssh-keygen wrote is not part of what Terraform checks.
    expect(JSON.stringify(json)).not.toContain('test host0');
    expect(b.fleet.hosts.every((h) => h.hostKey !== undefined)).toBe(true);
  });

  test('hostCertificateAuthority verifies hosts without a key of their own; a host\'s own key wins', () => {
    const ca = HOST_KEYS[11];
    const list = hosts(2).map((h, i) => (i === 0 ? h : { ...h, hostKey: undefined }));
    const { json } = synthJson(build(list, { hostCertificateAuthority: `${ca}  ` }));
    const caKey = ca.split(' ').slice(0, 2).join(' ');
    for (const f of connections(json)) {
      expect(f).toEqual({ ...f, hostKey: f.address === list[0].address ? list[0].hostKey!.split(' ').slice(0, 2).join(' ') : caKey });
    }
  });

  test('a host without a key fails synth, naming it; insecureSkipHostKeyVerification deploys it unverified, with a warning', () => {
    const list = hosts(2).map((h, i) => (i === 2 || i === 5 ? { ...h, hostKey: undefined } : h));
    const refused = build(list);
    const lines = errorLines(synthErrors(refused.stack));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('[test/fleet] test/fleet: hosts[2].hostKey is missing (host "r2-h1"): Terraform would hand the deploy to whatever answers on 10.20.2.11 without checking it is that host; ' +
      'allowed: the host\'s public key (its /etc/ssh/ssh_host_ed25519_key.pub, or ssh-keyscan -t ed25519 10.20.2.11 checked out of band), hostCertificateAuthority, or insecureSkipHostKeyVerification: true (unverified, unsafe)');
    expect(lines[1]).toContain('test/fleet: hosts[5].hostKey is missing (host "r3-h2")');

    const allowed = build(list, { insecureSkipHostKeyVerification: true });
    const { json } = synthJson(allowed);
    const unverified = connections(json).filter((f) => f.hostKey === '').map((f) => f.address);
    expect(new Set(unverified)).toEqual(new Set([list[2].address, list[5].address]));
    const warned = warnings(allowed.stack).filter((w) => w.message.includes('cdktf-alb:unverified-host-keys'));
    expect(warned).toHaveLength(1);
    expect(warned[0].message).toContain('the identity of 2 hosts is not checked: r2-h1 (10.20.2.11), r3-h2 (10.20.3.12)');
  });

  test('bad keys are all reported at once: field, value, what is wrong, what is allowed; a private key is not echoed', () => {
    const dir = fs.mkdtempSync(path.join(work, 'keys-'));
    const ed = generateKey(dir, 'ed');
    const dsa = generateKey(dir, 'dsa', 'dsa');
    const ca = generateKey(dir, 'ca');
    execFileSync('ssh-keygen', ['-q', '-s', ca.file, '-I', 'h1', '-h', '-n', '10.0.0.1', `${ed.file}.pub`], { stdio: 'pipe' });
    const cert = fs.readFileSync(`${ed.file}-cert.pub`, 'utf8').trim();
    const [, body] = ed.publicLine.split(' ');
    const bad = ['ssh-ed25519', ed.publicLine.replace('ssh-ed25519', 'ecdsa-sha2-nistp256'), `ssh-ed25519 ${body.slice(0, 40)}`, `ssh-ed25519 ${body.replace(/A/g, '*')}`,
      fs.readFileSync(ed.file, 'utf8'), dsa.publicLine, cert, 'ssh-ed448 AAAA'];
    const list: SshHost[] = bad.map((hostKey, i) => ({ name: `h${i}`, address: `10.0.0.${i + 1}`, zone: 'az-1', rack: 'r1', hostKey }));
    const app = testApp();
    const stack = new TerraformStack(app, 'test');
    const message = reported({ stack }, () => new SshInfrastructure(stack, 'fleet', {
      hosts: list, privateKeyFile: KEY_PATH, hostCertificateAuthority: 'not a key', insecureSkipHostKeyVerification: 'yes' as unknown as boolean,
    }));
    const allowedHost = 'allowed: one OpenSSH public key line "<type> <base64> [comment]" of type ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, ssh-rsa: ' +
      'the host\'s own key, e.g. its /etc/ssh/ssh_host_ed25519_key.pub (a host with a certificate: the CA\'s public key as hostCertificateAuthority)';
    const expected = [
      `test/fleet: hosts[0].hostKey "ssh-ed25519" has no key after "ssh-ed25519"; ${allowedHost}`,
      'test/fleet: hosts[1].hostKey "ecdsa-sha2-nistp256 AAAA', 'says ecdsa-sha2-nistp256 but its key body is of type "ssh-ed25519"',
      'hosts[2].hostKey "ssh-ed25519 AAAA', 'has a key body that is not an SSH public key', 'has a key body that is not base64',
      `test/fleet: hosts[4].hostKey "<redacted>" is a private key; ${allowedHost}`,
      'hosts[5].hostKey "ssh-dss AAAA', 'is a DSA key (ssh-dss), which OpenSSH and Terraform no longer accept',
      'hosts[6].hostKey "ssh-ed25519-cert-v01@openssh.com', 'is a certificate (ssh-ed25519-cert-v01@openssh.com), not a public key',
      'test/fleet: hosts[7].hostKey "ssh-ed448 AAAA" has the key type "ssh-ed448"',
      'test/fleet: hostCertificateAuthority "not a key" has the key type "not"; allowed: one OpenSSH public key line',
      'the public key of the CA that signed the hosts\' certificates',
      'test/fleet: insecureSkipHostKeyVerification "yes" is not a boolean; allowed: true or false',
    ];
    for (const line of expected) expect(message).toContain(line);
    expect(message).not.toContain('BEGIN OPENSSH');
  });
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
