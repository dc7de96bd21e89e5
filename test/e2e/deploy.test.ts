/**
 * End to end, with the real terraform: synth the quickstart-shaped e2e app (test/e2e/app),
 * `terraform apply` it into a temporary state dir, and check what a user of `npm start` is
 * promised: traffic spread by weight through every LB node (over the app VMs and the
 * Terraform-managed legacy VM), cookie persistence across nodes, a weight change applied by
 * hot reload (same pids, no failed request), placement that stays put when a group is declared
 * before the others, survival of a rack and of a zone, and a destroy that leaves nothing behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { listensOn } from '../helpers/listening';
import {
  Knobs, ROOT, Workspace, accepts, alive, buildBundles, closeKeepAlive, createWorkspace, eventually, get, killRecorded,
  outputs, recordedPids, sleep, synth, terraform,
} from './harness';

jest.setTimeout(240000);

interface NodeOut { name: string; zone: string; rack: string; address: string; admin: string }
interface VmOut { name: string; zone: string; rack: string; endpoint: string }

let ws: Workspace;
let destroyed = false;
let endpoints: string[] = [];
let nodes: NodeOut[] = [];
let vms: VmOut[] = [];
/** The legacy server: one VM of its own availability group, an instance target of the "legacy" server group. */
let legacyVms: VmOut[] = [];
let legacyName = '';
/** Every daemon pid ever seen, so the destroy test can prove none survives. */
const everyPid = new Set<number>();

/** What the deployed app looks like now; every synth passes all knobs. */
const knobs: Knobs = { legacyWeight: 20, appCount: 4, release: 'v1' };

async function synthWith(change: Partial<Knobs>): Promise<void> {
  Object.assign(knobs, change);
  await synth(ws, knobs);
}

function remember(): Map<string, number> {
  const pids = recordedPids(ws.stateDir);
  for (const pid of pids.values()) everyPid.add(pid);
  return pids;
}

/** n requests through one node, fresh connection each; counts per answering VM. */
async function spread(endpoint: string, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const reply = await get(endpoint);
    expect(reply.status).toBe(200);
    counts.set(reply.vm, (counts.get(reply.vm) ?? 0) + 1);
  }
  return counts;
}

function expectShares(counts: Map<string, number>, expected: Map<string, number>, n: number, slack: number): void {
  for (const [vm, share] of expected) {
    const got = counts.get(vm) ?? 0;
    expect({ vm, got, within: Math.abs(got - share * n) <= slack }).toEqual({ vm, got, within: true });
  }
  expect([...counts.keys()].sort()).toEqual([...expected.keys()].sort());
}

/** Every node answers from every one of `expected` VMs (health checks have settled). */
async function allTargetsServing(through: string[], expected: string[]): Promise<boolean> {
  for (const endpoint of through) {
    const seen = new Set<string>();
    for (let i = 0; i < 4 * expected.length; i++) {
      const reply = await get(endpoint);
      if (reply.status !== 200) return false;
      seen.add(reply.vm);
    }
    if (expected.some((vm) => !seen.has(vm)) || [...seen].some((vm) => !expected.includes(vm))) return false;
  }
  return true;
}

function killGroup(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Power loss: SIGKILL every process of the VMs (LB nodes and AG VMs) in `names`. */
async function crash(names: string[]): Promise<void> {
  const pids = recordedPids(ws.stateDir);
  for (const name of names) killGroup(pids.get(name) as number);
  expect(await eventually(async () => names.every((n) => !alive(pids.get(n) as number)), 10000)).toBe(true);
}

beforeAll(async () => {
  buildBundles();
  ws = await createWorkspace();
  await synth(ws, knobs);
  await terraform(ws, ['init', '-input=false']);
  const t0 = Date.now();
  await terraform(ws, ['apply', '-auto-approve', '-input=false']);
  process.stdout.write(`e2e: terraform apply of the quickstart shape took ${Date.now() - t0} ms\n`);
  const out = await outputs(ws);
  endpoints = out.web_endpoints.http;
  nodes = out.web_nodes;
  vms = out.app_vms;
  legacyVms = out.legacy_vms;
  legacyName = legacyVms[0]?.name;
  remember();
}, 240000);

afterAll(async () => {
  try {
    if (!destroyed && ws && fs.existsSync(path.join(ws.stackDir, '.terraform'))) {
      await terraform(ws, ['destroy', '-auto-approve', '-input=false'], 120000).catch((e) => process.stderr.write(`e2e cleanup: ${e.message}\n`));
    }
  } finally {
    if (ws) {
      killRecorded(ws.stateDir);
      for (const pid of everyPid) killGroup(pid);
      fs.rmSync(ws.dir, { recursive: true, force: true });
    }
    closeKeepAlive();
  }
});

test('outputs: every node of every listener as address:port, the node list with zone and rack; the plan is in the synth output', () => {
  expect(endpoints).toHaveLength(4);
  expect(nodes.map((n) => `${n.address}:${ws.ports.listener}`)).toEqual(endpoints);
  expect(nodes.map((n) => n.admin)).toEqual(nodes.map((n) => `${n.address}:${ws.ports.admin}`));
  expect(new Set(nodes.map((n) => n.rack))).toEqual(new Set(['r1', 'r2', 'r3', 'r4']));
  expect(nodes.filter((n) => n.zone === 'az-1').map((n) => n.rack).sort()).toEqual(['r1', 'r2']);
  expect(vms).toHaveLength(4);
  expect(new Set(vms.map((v) => v.rack))).toEqual(new Set(['r1', 'r2', 'r3', 'r4']));
  expect(legacyVms).toHaveLength(1);
  expect(legacyVms[0].endpoint).toMatch(new RegExp(`^127\\.3\\.\\d+\\.1:${ws.ports.legacy}$`));
  const report = execFileSync(process.execPath, [path.join(ROOT, 'dist', 'hosts', 'local-vm.js'), 'plan', ws.outDir], { encoding: 'utf8' });
  for (const vm of [...nodes.map((n) => n.name), ...vms.map((v) => v.name), legacyName]) expect(report).toContain(vm);
  expect(report).toContain('Every LB keeps a node and every backend keeps a target');
});

test('requests through each LB node are spread over the VMs by weight (4 × 10, legacy VM 20)', async () => {
  const all = [...vms.map((v) => v.name), legacyName];
  expect(await eventually(() => allTargetsServing(endpoints, all), 30000)).toBe(true);
  const expected = new Map<string, number>([...vms.map((v) => [v.name, 10 / 60] as [string, number]), [legacyName, 20 / 60]]);
  for (const endpoint of endpoints) {
    // Each worker of a node runs its own smooth WRR; over 120 picks every target is within a few of its share.
    expectShares(await spread(endpoint, 120), expected, 120, 6);
  }
});

test('a cookie jar keeps a client on one VM across all LB nodes', async () => {
  const pinned = new Set<string>();
  for (let client = 0; client < 8; client++) {
    // New sessions through one kept-alive connection: consecutive WRR picks of one worker, so
    // the clients start on different VMs (fresh connections would each meet a worker whose
    // WRR state is at the same point of its cycle).
    const first = await get(endpoints[0], { keepAlive: true });
    expect(first.status).toBe(200);
    const cookie = first.setCookie.map((c) => c.split(';')[0]).join('; ');
    expect(cookie).toMatch(/=/);
    pinned.add(first.vm);
    for (const endpoint of endpoints) {
      for (let i = 0; i < 3; i++) {
        const reply = await get(endpoint, { cookie });
        expect({ endpoint, vm: reply.vm }).toEqual({ endpoint, vm: first.vm });
      }
    }
  }
  expect(pinned.size).toBeGreaterThan(1); // sessions really were spread, then pinned
});

/** Runs `deploy` while a client loop sends requests round robin through every node (keep-alive). */
async function underLoad(deploy: () => Promise<string>): Promise<{ log: string; ok: number; failures: string[] }> {
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const client = (async () => {
    for (let i = 0; !stop; i++) {
      try {
        const reply = await get(endpoints[i % endpoints.length], { keepAlive: true });
        if (reply.status === 200) ok++;
        else failures.push(`HTTP ${reply.status} from ${endpoints[i % endpoints.length]}`);
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  })();
  let log = '';
  try {
    await sleep(300);
    log = await deploy();
    await sleep(500);
  } finally {
    stop = true;
    await client;
  }
  return { log, ok, failures };
}

function replacedResources(applyLog: string): string[] {
  return [...applyLog.matchAll(/# (terraform_data\.\S+) must be replaced/g)].map((m) => m[1]).sort();
}

test('changing a weight and deploying again is a hot reload: same pids, zero failed requests during the deploy', async () => {
  const before = remember();
  await synthWith({ legacyWeight: 60 });
  const { log, ok, failures } = await underLoad(() => terraform(ws, ['apply', '-auto-approve', '-input=false']));
  process.stdout.write(`e2e: ${ok} requests succeeded during the reload deploy\n`);
  expect(failures).toEqual([]);
  expect(ok).toBeGreaterThan(20);
  // Only the config resources were replaced; no VM was touched.
  expect(replacedResources(log)).toEqual(nodes.map((n) => `terraform_data.dc_lb_config["${n.name}"]`).sort());
  expect(log).toMatch(/Plan: 4 to add, 0 to change, 4 to destroy/);
  expect(log.match(/reloaded/g)?.length).toBe(4);
  expect(remember()).toEqual(before);
  for (const pid of before.values()) expect(alive(pid)).toBe(true);
  // The new weight is in effect on every node: legacy 60 of 100.
  const expected = new Map<string, number>([...vms.map((v) => [v.name, 10 / 100] as [string, number]), [legacyName, 60 / 100]]);
  for (const endpoint of endpoints) expectShares(await spread(endpoint, 100), expected, 100, 8);
});

test('growing the availability group 4 → 5 adds one VM and moves none; shrinking back removes only it; no failed request', async () => {
  const before = remember();
  await synthWith({ appCount: 5 });
  const grow = await underLoad(() => terraform(ws, ['apply', '-auto-approve', '-input=false']));
  expect(grow.failures).toEqual([]);
  // The new VM, 4 config reloads and the placement record (replaced: the placement changed).
  expect(grow.log).toMatch(/Plan: 6 to add, 0 to change, 5 to destroy/);
  expect(replacedResources(grow.log)).toEqual([...nodes.map((n) => `terraform_data.dc_lb_config["${n.name}"]`), 'terraform_data.dc_placement_record'].sort());
  const grown: VmOut[] = (await outputs(ws)).app_vms;
  expect(grown.slice(0, 4)).toEqual(vms); // the first four stay exactly where they were
  const added = grown[4];
  const after = remember();
  for (const [name, pid] of before) expect({ name, pid: after.get(name) }).toEqual({ name, pid });
  expect(after.get(added.name)).toBeDefined();
  const all = [...grown.map((v) => v.name), legacyName];
  expect(await eventually(() => allTargetsServing(endpoints, all), 30000, 500)).toBe(true);

  await synthWith({ appCount: 4 });
  const shrink = await underLoad(() => terraform(ws, ['apply', '-auto-approve', '-input=false']));
  expect(shrink.failures).toEqual([]);
  expect(shrink.log).toMatch(/Plan: 5 to add, 0 to change, 6 to destroy/);
  expect(shrink.log).toContain(`terraform_data.dc_ag_vm["${added.name}"]: Destruction complete`);
  expect(alive(after.get(added.name) as number)).toBe(false);
  expect((await outputs(ws)).app_vms).toEqual(vms);
  expect(remember()).toEqual(before);
});

test('a group declared before the existing ones keeps every existing VM (names, addresses, pids); the deployed placement is recorded', async () => {
  const before = remember();
  const recordFile = path.join(ws.stateDir, 'placement.json');
  const recorded = JSON.parse(fs.readFileSync(recordFile, 'utf8'));
  expect(recorded.groups.map((g: { name: string; ordinal: number }) => [g.name, g.ordinal])).toEqual([['web', 1], ['app', 2], ['legacy', 3]]);

  await synthWith({ canaryFirst: true });
  const add = await underLoad(() => terraform(ws, ['apply', '-auto-approve', '-input=false']));
  expect(add.failures).toEqual([]);
  // Only the two canary VMs and a new placement record: no VM replaced, no config changed.
  expect(add.log).toMatch(/Plan: 3 to add, 0 to change, 1 to destroy/);
  expect(replacedResources(add.log)).toEqual(['terraform_data.dc_placement_record']);
  const out = await outputs(ws);
  expect(out.web_nodes).toEqual(nodes);
  expect(out.app_vms).toEqual(vms);
  expect(out.legacy_vms).toEqual(legacyVms);
  const canary: VmOut[] = out.canary_vms;
  expect(canary.map((v) => v.endpoint.split('.')[1])).toEqual(['4', '4']); // the lowest free address block
  const withCanary = remember();
  for (const [name, pid] of before) expect({ name, pid: withCanary.get(name) }).toEqual({ name, pid });
  for (const v of canary) expect(alive(withCanary.get(v.name) as number)).toBe(true);
  const record = JSON.parse(fs.readFileSync(recordFile, 'utf8'));
  expect(record.groups.map((g: { name: string; ordinal: number }) => [g.name, g.ordinal])).toEqual([['canary', 4], ['web', 1], ['app', 2], ['legacy', 3]]);

  await synthWith({ canaryFirst: false });
  const remove = await underLoad(() => terraform(ws, ['apply', '-auto-approve', '-input=false']));
  expect(remove.failures).toEqual([]);
  expect(remove.log).toMatch(/Plan: 1 to add, 0 to change, 3 to destroy/);
  for (const v of canary) expect(alive(withCanary.get(v.name) as number)).toBe(false);
  expect(remember()).toEqual(before);
  expect(JSON.parse(fs.readFileSync(recordFile, 'utf8')).groups.map((g: { name: string }) => g.name)).toEqual(['web', 'app', 'legacy']);
});

test('changing what the VMs run replaces them create-before-destroy, one at a time; LB nodes untouched, no failed request', async () => {
  const before = remember();
  await synthWith({ release: 'v2' });
  const { log, failures } = await underLoad(() => terraform(ws, ['apply', '-auto-approve', '-input=false']));
  expect(failures).toEqual([]);
  expect(replacedResources(log)).toEqual(vms.map((v) => `terraform_data.dc_ag_vm["${v.name}"]`).sort());
  expect(log).toMatch(/Plan: 4 to add, 0 to change, 4 to destroy/);
  expect(log.match(/replaced in place \(new instance\)/g)?.length).toBe(4);
  // Terraform 1.11 runs no destroy provisioner for the deposed (old) instances of a
  // create-before-destroy replacement; if a version does, `stop --instance <old id>` leaves the
  // new process alone ("left running"). Either way the new processes must be the ones alive.
  expect(log).not.toMatch(/VM app-\S+ (stopped|killed)/);
  const after = remember();
  for (const n of nodes) expect(after.get(n.name)).toBe(before.get(n.name));
  for (const v of vms) {
    const pid = after.get(v.name) as number;
    expect(pid).not.toBe(before.get(v.name));
    expect(alive(pid)).toBe(true);
    expect(fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain('RELEASE=v2');
  }
  // One VM down at a time: the replacement windows recorded by the launcher never overlap.
  const windows = fs.readFileSync(path.join(ws.stateDir, 'rollout.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    .filter((w) => w.group === 'app').sort((a, b) => a.downAt - b.downAt);
  expect(windows.map((w) => w.vm).sort()).toEqual(vms.map((v) => v.name).sort());
  for (let i = 1; i < windows.length; i++) expect(windows[i].downAt).toBeGreaterThanOrEqual(windows[i - 1].upAt);
  expect(await eventually(() => allTargetsServing(endpoints, [...vms.map((v) => v.name), legacyName]), 30000, 500)).toBe(true);
});

async function survivesLossOf(kind: 'rack' | 'zone', name: string): Promise<void> {
  const lostNodes = nodes.filter((n) => n[kind] === name);
  const lostVms = [...vms, ...legacyVms].filter((v) => v[kind] === name);
  expect(lostNodes.length).toBeGreaterThan(0);
  expect(lostVms.length).toBeGreaterThan(0);
  remember();
  await crash([...lostNodes.map((n) => n.name), ...lostVms.map((v) => v.name)]);
  const survivors = endpoints.filter((e) => !lostNodes.some((n) => e.startsWith(`${n.address}:`)));
  expect(survivors.length).toBe(endpoints.length - lostNodes.length);
  // SIGKILL reaches every process of a node's group at once, but each exits on its own: the
  // recorded primary can be gone while a worker is still closing. Wait (bounded) for the port.
  for (const n of lostNodes) expect(await eventually(async () => !listensOn(n.address, ws.ports.listener), 5000, 100)).toBe(true);
  // Once health checks notice, every surviving node serves every request from the surviving VMs.
  const left = [...vms, ...legacyVms].filter((v) => !lostVms.includes(v)).map((v) => v.name);
  expect(await eventually(() => allTargetsServing(survivors, left), 40000, 500)).toBe(true);
  for (const endpoint of survivors) {
    for (let i = 0; i < 20; i++) {
      const reply = await get(endpoint);
      expect(reply.status).toBe(200);
      expect(left).toContain(reply.vm);
    }
  }
}

test('the loss of every VM of one rack leaves the LB serving; terraform -replace brings the rack back', async () => {
  await survivesLossOf('rack', 'r1');
  const replace = [...nodes.filter((n) => n.rack === 'r1').map((n) => `-replace=terraform_data.dc_lb_node["${n.name}"]`),
    ...[...vms, ...legacyVms].filter((v) => v.rack === 'r1').map((v) => `-replace=terraform_data.dc_ag_vm["${v.name}"]`)];
  await terraform(ws, ['apply', '-auto-approve', '-input=false', ...replace]);
  remember();
  expect(await eventually(() => allTargetsServing(endpoints, [...vms.map((v) => v.name), legacyName]), 40000, 500)).toBe(true);
});

test('the loss of every VM of one zone leaves the LB serving; the next config change restarts its LB nodes', async () => {
  await survivesLossOf('zone', 'az-1');
  // The config resource of a node that is not running starts it (with the new config) instead of failing the deploy.
  await synthWith({ legacyWeight: 20 });
  const log = await terraform(ws, ['apply', '-auto-approve', '-input=false']);
  for (const n of nodes.filter((x) => x.zone === 'az-1')) {
    expect(log).toMatch(new RegExp(`node ${n.name} serving \\(pid \\d+`));
    expect(await accepts(n.address, ws.ports.listener)).toBe(true);
  }
  for (const n of nodes.filter((x) => x.zone === 'az-2')) expect(log).toContain(`node ${n.name} reloaded`);
  remember();
});

test('destroy leaves no process, no listening port and no state behind', async () => {
  remember();
  const t0 = Date.now();
  await terraform(ws, ['destroy', '-auto-approve', '-input=false']);
  process.stdout.write(`e2e: terraform destroy took ${Date.now() - t0} ms\n`);
  destroyed = true;
  for (const pid of everyPid) expect({ pid, alive: alive(pid) }).toEqual({ pid, alive: false });
  for (const n of nodes) {
    expect(listensOn(n.address, ws.ports.listener)).toBe(false);
    expect(listensOn(n.address, ws.ports.admin)).toBe(false);
  }
  for (const v of [...vms, ...legacyVms]) {
    const [host, port] = v.endpoint.split(':');
    expect(listensOn(host, Number(port))).toBe(false);
  }
  expect(fs.existsSync(ws.stateDir)).toBe(false);
  expect((await terraform(ws, ['state', 'list'])).trim()).toBe('');
});
