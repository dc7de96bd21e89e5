/**
 * SshInfrastructure end to end, with the real terraform, real sshd and real network
 * namespaces (scripts/fleet.js): the fleet example (examples/fleet: a two-zone LB of 4 nodes,
 * 3 app VMs and a weighted "legacy" VM on 8 hosts) is synthesized, its cdktf.out MOVED to
 * another directory and applied from there (the synth output is portable). Then: traffic
 * through every node spread by weight, a session cookie honoured by every node, a weight
 * change applied as a hot reload (same runtime pids, no failed request from a client running
 * through the deploy), a config the first node refuses failing the deploy while every other
 * node keeps the previous one, the loss of every process of one host and then of one zone
 * while a client runs, and a destroy that leaves no process, port or file on any host.
 * Every connection verifies the host's key (recorded by fleet.js from the key its sshd serves).
 * Faults first, on the same fleet: an unreachable host together with a host presenting another
 * host key, a wrong client key, a host without Node.js.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { pidAlive } from '../../lib/process/supervision';
import { ROOT, buildBundles, get, outputs, run, sleep, terraform } from './harness';
import { Fleet, FleetHost, fleetDown, fleetUnavailable, fleetUp, hostPids } from './fleet-harness';
import { generateKey } from '../helpers/ssh-keys';

const PREFIX = 'albke';
const SUBNET = '10.231.221';
const LISTENER = 8080;
const ADMIN = 9900;
const unavailable = fleetUnavailable();
const maybe = unavailable === null ? describe : describe.skip;
if (unavailable !== null) console.warn(`SSH e2e skipped: ${unavailable}`);

jest.setTimeout(300000);

interface NodeOut { name: string; zone: string; rack: string; address: string; admin: string; host: string }
interface VmOut { name: string; zone: string; rack: string; endpoint: string; host: string }

interface Deployment {
  dir: string;
  stackDir: string;
  cliConfig: string;
  tfState: string;
  placementFile: string;
}

let fleet: Fleet;
let work: string;
const timings: { [what: string]: number } = {};

function deployment(name: string): Deployment {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const cliConfig = path.join(work, 'terraformrc');
  if (!fs.existsSync(cliConfig)) fs.writeFileSync(cliConfig, '');
  return { dir, stackDir: path.join(dir, 'applied', 'cdktf.out', 'stacks', 'fleet'), cliConfig, tfState: path.join(dir, 'terraform.tfstate'), placementFile: path.join(dir, 'placement.json') };
}

/**
 * Synthesizes examples/fleet into `<dir>/synth/cdktf.out`, then moves it to
 * `<dir>/applied/cdktf.out` (same depth, so the placement file's relative path still lands
 * in `<dir>`): Terraform only ever sees the moved copy.
 */
async function synth(d: Deployment, env: { [key: string]: string } = {}, hostsFile = path.join(fleet.dir, 'hosts.json')): Promise<void> {
  const synthOut = path.join(d.dir, 'synth', 'cdktf.out');
  fs.rmSync(synthOut, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(synthOut), { recursive: true });
  await run(process.execPath, [require.resolve('ts-node/dist/bin.js'), '--transpile-only', '-P', path.join(ROOT, 'tsconfig.dev.json'), path.join(ROOT, 'examples/fleet/main.ts')], {
    // A temporary project directory: the project secret (.cdktf-alb/) is created there, not in the working tree.
    cwd: d.dir, timeoutMs: 120000,
    env: {
      ...process.env, CDKTF_OUTDIR: synthOut, FLEET_HOSTS: hostsFile, FLEET_TFSTATE: d.tfState, FLEET_PLACEMENT_FILE: d.placementFile,
      FLEET_CONNECT_TIMEOUT: '5', FLEET_LEGACY_WEIGHT: '20', ...env,
    },
  });
  const applied = path.join(d.dir, 'applied', 'cdktf.out');
  const terraformDir = path.join(d.stackDir, '.terraform');
  const keep = fs.existsSync(terraformDir) ? fs.mkdtempSync(path.join(work, 'tf-')) : null;
  if (keep) fs.renameSync(terraformDir, path.join(keep, '.terraform'));
  fs.rmSync(applied, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(applied), { recursive: true });
  fs.renameSync(synthOut, applied);
  if (keep) fs.renameSync(path.join(keep, '.terraform'), terraformDir);
  expect(fs.readFileSync(path.join(d.stackDir, 'cdk.tf.json'), 'utf8')).not.toContain(synthOut);
}

async function apply(d: Deployment): Promise<{ ms: number; out: string }> {
  if (!fs.existsSync(path.join(d.stackDir, '.terraform'))) await terraform(d, ['init', '-input=false', '-no-color']);
  const t0 = Date.now();
  const out = await terraform(d, ['apply', '-auto-approve', '-input=false', '-no-color', '-parallelism=10']);
  return { ms: Date.now() - t0, out };
}

async function applyFails(d: Deployment): Promise<{ ms: number; message: string }> {
  const t0 = Date.now();
  try {
    await apply(d);
  } catch (e) {
    return { ms: Date.now() - t0, message: (e as Error).message };
  }
  throw new Error('the deploy succeeded; it should have failed');
}

function hostByAddress(address: string): FleetHost {
  const host = fleet.hosts.find((h) => h.address === address);
  if (!host) throw new Error(`no fleet host has address ${address}`);
  return host;
}

/** The installed files of a host, seen from outside (the backing dir of its /opt/cdktf-alb). */
function installed(host: FleetHost): string {
  return path.join(fleet.dir, host.namespace, 'install');
}

function runtimePid(node: NodeOut): number {
  return Number(fs.readFileSync(path.join(installed(hostByAddress(node.address)), 'state', node.name, 'runtime.pid'), 'utf8').trim());
}

/** A process for a failure message: pid and command line. */
function described(pid: number): string {
  try {
    return `${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`;
  } catch {
    return `${pid} (gone)`;
  }
}

/** Processes of a host other than its sshd. */
function workloadPids(host: FleetHost): number[] {
  return hostPids(host).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'sshd';
    } catch {
      return false;
    }
  });
}

function killHost(host: FleetHost): number {
  const pids = workloadPids(host);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return pids.length;
}

function status(node: NodeOut): Promise<{ configHash: string }> {
  const [host, port] = node.admin.split(':');
  return new Promise((resolve, reject) => {
    http.get({ host, port: Number(port), path: '/status', timeout: 3000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
}

/**
 * A client that knows every node (no VIP yet): each request goes to the next node; a
 * connection error moves it to the following node, as a client of a multi-address name does.
 * `failed` counts requests no node answered with 200.
 */
const clients: { stop(): Promise<unknown> }[] = [];

function startClient(endpoints: string[]): { stop(): Promise<{ ok: number; failed: number; retried: number; errors: string[] }> } {
  let running = true;
  let ok = 0;
  let failed = 0;
  let retried = 0;
  const errors: string[] = [];
  const loop = (async () => {
    let i = 0;
    while (running) {
      let done = false;
      for (let attempt = 0; attempt < endpoints.length && !done; attempt++) {
        const endpoint = endpoints[(i + attempt) % endpoints.length];
        try {
          const reply = await get(endpoint, { timeoutMs: 3000 });
          if (reply.status === 200) done = true;
          else errors.push(`${endpoint}: HTTP ${reply.status}`);
        } catch (e) {
          if (attempt === 0) retried++;
          if (errors.length < 20) errors.push(`${endpoint}: ${(e as Error).message}`);
        }
      }
      if (done) ok++;
      else failed++;
      i++;
      await sleep(20);
    }
  })();
  const client = {
    async stop() {
      running = false;
      await loop;
      return { ok, failed, retried, errors };
    },
  };
  clients.push(client);
  return client;
}

maybe('SshInfrastructure on the local fleet', () => {
  const main = () => deployment('main');
  let d: Deployment;
  let nodes: NodeOut[] = [];
  let vms: VmOut[] = [];
  let legacy: VmOut[] = [];
  let endpoints: string[] = [];

  beforeAll(() => {
    buildBundles();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'alb-ssh-e2e-'));
    fleet = fleetUp(PREFIX, 8, SUBNET);
  });

  afterEach(async () => {
    // A test that failed midway must not leave its client running.
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    // Whatever a failed test left: terraform destroy of every deployment, then the fleet goes
    // (which kills anything still running in its namespaces).
    for (const name of ['main', 'unreachable', 'wrong-key', 'no-node']) {
      const dep = path.join(work, name);
      if (fs.existsSync(path.join(dep, 'applied', 'cdktf.out', 'stacks', 'fleet', '.terraform'))) {
        await terraform(deployment(name), ['destroy', '-auto-approve', '-input=false', '-no-color'], 120000).catch(() => undefined);
      }
    }
    fleetDown(PREFIX);
    fs.rmSync(work, { recursive: true, force: true });
    console.log(`SSH fleet example (8 hosts) timings: ${JSON.stringify(timings)}`);
  });

  describe('faults fail the deploy within a bounded time, naming the host and the reason', () => {
    async function faultDeploy(name: string, change: (hosts: any) => void, env: { [key: string]: string } = {}, afterFailure: () => void = () => undefined) {
      const dep = deployment(name);
      const doc = JSON.parse(fs.readFileSync(path.join(fleet.dir, 'hosts.json'), 'utf8'));
      change(doc);
      const hostsFile = path.join(dep.dir, 'hosts.json');
      fs.writeFileSync(hostsFile, JSON.stringify(doc));
      await synth(dep, env, hostsFile);
      const result = await applyFails(dep);
      // Nothing runs anywhere: the VMs and nodes wait for every host's preflight.
      for (const host of fleet.hosts) expect({ host: host.name, pids: workloadPids(host).map(described) }).toEqual({ host: host.name, pids: [] });
      afterFailure();
      await terraform(dep, ['destroy', '-auto-approve', '-input=false', '-no-color'], 120000);
      for (const host of fleet.hosts) expect({ host: host.name, files: fs.readdirSync(installed(host)) }).toEqual({ host: host.name, files: [] });
      return result;
    }

    test('an unreachable host, and a host that presents another host key (in the same deploy)', async () => {
      // A key no host has: h5's sshd cannot prove it holds it, as a machine impersonating h5 could not.
      const impostorKey = generateKey(work, 'other_host_key').publicLine;
      const r = await faultDeploy('unreachable', (doc) => {
        doc.hosts[2].address = `${SUBNET}.99`; // inside the test's bridge, no host behind it
        doc.hosts[4].hostKey = impostorKey;
      }, {}, () => {
        // The host that failed verification got nothing: not even the install dir's layout,
        // which the verified hosts' preflight made.
        expect({ host: fleet.hosts[4].name, files: fs.readdirSync(installed(fleet.hosts[4])) }).toEqual({ host: fleet.hosts[4].name, files: [] });
        expect(fs.readdirSync(installed(fleet.hosts[0]))).toEqual(['bin', 'incoming', 'state']);
      });
      timings.unreachableFailsMs = r.ms;
      expect(r.message).toContain(`${SUBNET}.99`);
      expect(r.message).toMatch(/timeout|no route to host|i\/o timeout|connection refused/i);
      // Terraform names the resource of the host (its for_each key is the host's name) and why.
      const h5Error = r.message.split(/Error: /).find((e) => e.includes('with terraform_data.fleet_host["h5"]'));
      expect(h5Error).toMatch(/knownhosts: key mismatch/);
      expect(r.ms).toBeLessThan(60000);
    });

    test('a wrong key', async () => {
      const other = path.join(work, 'other_key');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
      const r = await faultDeploy('wrong-key', (doc) => {
        doc.privateKeyFile = other;
      });
      timings.wrongKeyFailsMs = r.ms;
      expect(r.message).toMatch(/unable to authenticate|handshake failed/);
      expect(r.message).toContain(fleet.hosts[0].address.split('.').slice(0, 3).join('.'));
      expect(r.ms).toBeLessThan(60000);
    });

    test('a host without Node.js', async () => {
      const r = await faultDeploy('no-node', () => undefined, { FLEET_NODE_COMMAND: '/opt/no-such-node/bin/node' });
      timings.noNodeFailsMs = r.ms;
      expect(r.message).toMatch(/cdktf-alb: host h\d+ \(10\.231\.221\.\d+\): Node\.js not found: "\/opt\/no-such-node\/bin\/node" is not on PATH/);
      expect(r.ms).toBeLessThan(60000);
    });
  });

  test('the fleet example deploys from a moved cdktf.out: every node spreads requests over the VMs by weight', async () => {
    d = main();
    await synth(d);
    const { ms } = await apply(d);
    timings.deployMs = ms;
    const out = await outputs(d);
    nodes = out.web_nodes;
    vms = out.app_vms;
    legacy = out.legacy_vms;
    endpoints = out.web_endpoints.http;
    expect(nodes).toHaveLength(4);
    expect(vms).toHaveLength(3);
    expect(new Set([...nodes, ...vms, ...legacy].map((v) => v.host)).size).toBe(8);
    expect(endpoints.sort()).toEqual(nodes.map((n) => `${n.address}:${LISTENER}`).sort());
    expect(fs.existsSync(d.placementFile)).toBe(true);
    // The key's contents are nowhere Terraform writes; its path is only in the configuration.
    const keyText = fs.readFileSync(fleet.privateKeyFile, 'utf8').trim().split('\n')[1];
    const state = fs.readFileSync(d.tfState, 'utf8');
    expect(state).not.toContain(keyText);
    expect(state).not.toContain('PRIVATE KEY');
    expect(state).not.toContain(fleet.privateKeyFile);

    // legacy weight 20 against 10 for each app VM: 2/5 legacy, 1/5 each app VM.
    const expected = new Map([[legacy[0].name, 0.4], ...vms.map((v) => [v.name, 0.2] as [string, number])]);
    for (const endpoint of endpoints) {
      const counts = new Map<string, number>();
      for (let i = 0; i < 50; i++) {
        const reply = await get(endpoint);
        expect(reply.status).toBe(200);
        counts.set(reply.vm, (counts.get(reply.vm) ?? 0) + 1);
      }
      for (const [vm, share] of expected) expect({ endpoint, vm, near: Math.abs((counts.get(vm) ?? 0) - share * 50) <= 4 }).toEqual({ endpoint, vm, near: true });
    }
  });

  test('a session cookie from one node holds on every node', async () => {
    const first = await get(endpoints[0]);
    const cookie = first.setCookie.map((c) => c.split(';')[0]).join('; ');
    expect(cookie).not.toBe('');
    for (const endpoint of endpoints) {
      for (let i = 0; i < 3; i++) expect((await get(endpoint, { cookie })).vm).toBe(first.vm);
    }
  });

  test('a weight change deploys as a hot reload, node by node: same pids, no failed request', async () => {
    const pidsBefore = nodes.map(runtimePid);
    const hashesBefore = await Promise.all(nodes.map(async (n) => (await status(n)).configHash));
    await synth(d, { FLEET_LEGACY_WEIGHT: '70' });
    const client = startClient(endpoints);
    const { ms, out } = await apply(d);
    await sleep(300);
    const result = await client.stop();
    timings.weightChangeMs = ms;
    expect(result.failed).toBe(0);
    expect(result.ok).toBeGreaterThan(20);
    expect(nodes.map(runtimePid)).toEqual(pidsBefore);
    for (const pid of pidsBefore) expect(pidAlive(pid)).toBe(true);
    expect(out).toMatch(/reloaded \(config [0-9a-f]{12}\)/);
    // Only the rollout was replaced: no VM, node or host was touched.
    expect(out).toMatch(/Resources: 1 added, 0 changed, 1 destroyed/);
    const hashesAfter = await Promise.all(nodes.map(async (n) => (await status(n)).configHash));
    for (let i = 0; i < nodes.length; i++) expect(hashesAfter[i]).not.toBe(hashesBefore[i]);
    // 70 against 3 × 10: the legacy VM now answers 70 % of requests.
    let legacyCount = 0;
    for (let i = 0; i < 50; i++) if ((await get(endpoints[1])).vm === legacy[0].name) legacyCount++;
    expect(Math.abs(legacyCount - 35)).toBeLessThanOrEqual(5);
  });

  test('a new runtime bundle rolls node by node: each node restarted (new pid) after the previous one is healthy, no failed request', async () => {
    const pidsBefore = nodes.map(runtimePid);
    // The same runtime with one more line: another bundle, another hash.
    const bundle = path.join(work, 'alb-runtime.js');
    fs.writeFileSync(bundle, `${fs.readFileSync(path.join(ROOT, 'dist', 'runtime', 'alb-runtime.js'), 'utf8')}\n// release 2\n`);
    await synth(d, { FLEET_LEGACY_WEIGHT: '70', FLEET_RUNTIME_BUNDLE: bundle });
    const client = startClient(endpoints);
    const { ms, out } = await apply(d);
    await sleep(300);
    const result = await client.stop();
    timings.runtimeRolloutMs = ms;
    expect(result.failed).toBe(0);
    const pidsAfter = nodes.map(runtimePid);
    for (let i = 0; i < nodes.length; i++) expect(pidsAfter[i]).not.toBe(pidsBefore[i]);
    for (const pid of pidsBefore) expect(pidAlive(pid)).toBe(false);
    // Every node restarted, one provisioner after another (each lb-apply returns once /healthz answers).
    const restarts = [...out.matchAll(/node (\S+): runtime bundle changed/g)].map((m) => m[1]);
    expect(restarts).toHaveLength(nodes.length);
    for (const node of nodes) expect((await get(`${node.address}:${LISTENER}`)).status).toBe(200);
  });

  test('a config the first node refuses fails the deploy there; every other node keeps serving the previous config', async () => {
    const hashesBefore = await Promise.all(nodes.map(async (n) => (await status(n)).configHash));
    // The rollout's first node: its host already has a listener on the new port.
    const out = JSON.parse(fs.readFileSync(path.join(d.stackDir, 'cdk.tf.json'), 'utf8'));
    const firstAddress = out.resource.terraform_data.fleet_rollout_web.provisioner[0]['remote-exec'].connection.host as string;
    const first = hostByAddress(firstAddress);
    // `ip netns exec` execs the program: the child's pid is the blocker's.
    const blocker = spawn('ip', ['netns', 'exec', first.namespace, process.execPath, '-e', `require('net').createServer().listen(8090, '${firstAddress}')`], { stdio: 'ignore' });
    const blockerPid = blocker.pid as number;
    try {
      await sleep(500);
      await synth(d, { FLEET_LEGACY_WEIGHT: '70', FLEET_EXTRA_LISTENER_PORT: '8090', FLEET_RUNTIME_BUNDLE: path.join(work, 'alb-runtime.js') });
      const failure = await applyFails(d);
      expect(failure.message).toContain('reload refused; the previous config keeps serving');
      expect(failure.message).toContain(firstAddress);
      const hashesAfter = await Promise.all(nodes.map(async (n) => (await status(n)).configHash));
      expect(hashesAfter).toEqual(hashesBefore);
      for (const endpoint of endpoints) expect((await get(endpoint)).status).toBe(200);
    } finally {
      try {
        process.kill(blockerPid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    // Back to the served config: the failed rollout is redone, every node already serves it.
    await synth(d, { FLEET_LEGACY_WEIGHT: '70', FLEET_RUNTIME_BUNDLE: path.join(work, 'alb-runtime.js') });
    await apply(d);
    expect(await Promise.all(nodes.map(async (n) => (await status(n)).configHash))).toEqual(hashesBefore);
  });

  test('every process of one host, then of a whole zone, killed while a client runs: the LB keeps serving', async () => {
    const client = startClient(endpoints);
    await sleep(500);
    const lostNode = nodes.find((n) => n.zone === 'az-1')!;
    expect(killHost(hostByAddress(lostNode.address))).toBeGreaterThan(0);
    await sleep(1500);
    const zoneAddresses = [...nodes.filter((n) => n.zone === 'az-1').map((n) => n.address), ...vms.filter((v) => v.zone === 'az-1').map((v) => v.endpoint.split(':')[0])];
    const zoneHosts = zoneAddresses.map(hostByAddress);
    for (const host of zoneHosts) killHost(host);
    await sleep(3000);
    const result = await client.stop();
    expect(result.failed).toBe(0);
    expect(result.ok).toBeGreaterThan(20);
    // Only az-2 answers now.
    for (const node of nodes.filter((n) => n.zone === 'az-2')) expect((await get(`${node.address}:${LISTENER}`)).status).toBe(200);
  });

  test('destroy leaves no process, no listening port and no installed file on any host', async () => {
    const t0 = Date.now();
    await terraform(d, ['destroy', '-auto-approve', '-input=false', '-no-color'], 120000);
    timings.destroyMs = Date.now() - t0;
    for (const host of fleet.hosts) {
      expect({ host: host.name, pids: workloadPids(host) }).toEqual({ host: host.name, pids: [] });
      const listening = execFileSync('ip', ['netns', 'exec', host.namespace, 'ss', '-Htln'], { encoding: 'utf8' })
        .split('\n').filter(Boolean).filter((l) => !/:22\s/.test(l));
      expect({ host: host.name, listening }).toEqual({ host: host.name, listening: [] });
      expect({ host: host.name, files: fs.readdirSync(installed(host)) }).toEqual({ host: host.name, files: [] });
    }
    expect(fs.existsSync(d.placementFile)).toBe(false);
    expect((await terraform(d, ['state', 'list'])).trim()).toBe('');
    void ADMIN;
  });
});
