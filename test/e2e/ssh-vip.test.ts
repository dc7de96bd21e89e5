/**
 * One virtual IP per LB (keepalived, VRRPv3) on the local SSH fleet, end to end: the fleet
 * example with `vip` deploys keepalived on every LB node; a client on vip:port keeps being
 * served while (a) the master node's runtime is killed with SIGKILL and (b) the master host is
 * lost (its link down, every process but its sshd killed) — each 5 times, measuring how long
 * the VIP does not answer; a client that retries a failed GET once 2 s later sees no failure;
 * a config change deployed through the VIP fails no request; destroy leaves no keepalived and
 * no address. Its fleet's hosts present host certificates: every connection is verified
 * through hostCertificateAuthority (ssh-deploy.test.ts verifies plain host keys).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { ROOT, buildBundles, outputs, run, sleep, terraform } from './harness';
import { Fleet, FleetHost, fleetDown, fleetUnavailable, fleetUp, hostPids, ssh } from './fleet-harness';

const PREFIX = 'albkv';
const SUBNET = '10.231.223';
const VIP = `${SUBNET}.100`;
const unavailable = fleetUnavailable() ?? (fs.existsSync('/usr/sbin/keepalived') ? null : 'keepalived is not installed');
const maybe = unavailable === null ? describe : describe.skip;
if (unavailable !== null) console.warn(`VIP e2e skipped: ${unavailable}`);

jest.setTimeout(300000);

let fleet: Fleet;
let work: string;
const d = { stackDir: '', cliConfig: '' };
const outages: { [kind: string]: number[] } = { runtimeKilled: [], hostLost: [] };

async function synthAndApply(weight: string): Promise<string> {
  const out = path.join(work, 'cdktf.out');
  await run(process.execPath, [require.resolve('ts-node/dist/bin.js'), '--transpile-only', '-P', path.join(ROOT, 'tsconfig.dev.json'), path.join(ROOT, 'examples/fleet/main.ts')], {
    // A temporary project directory: the project secret (.cdktf-alb/) is created there, not in the working tree.
    cwd: work, timeoutMs: 120000,
    env: {
      ...process.env, CDKTF_OUTDIR: out, FLEET_HOSTS: path.join(fleet.dir, 'hosts.json'), FLEET_TFSTATE: path.join(work, 'tf.tfstate'),
      FLEET_PLACEMENT_FILE: path.join(work, 'placement.json'), FLEET_CONNECT_TIMEOUT: '5', FLEET_LEGACY_WEIGHT: weight, FLEET_VIP: VIP,
    },
  });
  d.stackDir = path.join(out, 'stacks', 'fleet');
  if (!fs.existsSync(path.join(d.stackDir, '.terraform'))) await terraform(d, ['init', '-input=false', '-no-color']);
  return terraform(d, ['apply', '-auto-approve', '-input=false', '-no-color']);
}

function holder(): FleetHost | undefined {
  return fleet.hosts.find((h) => execFileSync('ip', ['-n', h.namespace, '-4', '-o', 'addr', 'show'], { encoding: 'utf8' }).includes(` ${VIP}/`));
}

function getVip(timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: VIP, port: 8080, path: '/', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/**
 * A client on the VIP that retries a failed GET once, 2 s later; counts what still fails.
 * `answeredSince(t)` waits until a GET that started after `t` succeeded at its first try: the
 * tests wait for it before the next outage, so one outage's retry never lands on the next one
 * (with back-to-back outages ≈ 3 s apart, a retry 3 s after a failure did, at random).
 */
function retryingClient(): { stop(): Promise<{ ok: number; failed: number }>; answeredSince(t: number): Promise<void> } {
  let running = true;
  let ok = 0;
  let failed = 0;
  let lastFirstTryOk = 0; // start time of the latest GET that succeeded at once
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      if (await getVip(1000)) {
        ok++;
        lastFirstTryOk = started;
      } else if (await sleep(2000).then(() => getVip(1000))) ok++;
      else failed++;
      await sleep(20);
    }
  })();
  return {
    async stop() { running = false; await loop; return { ok, failed }; },
    async answeredSince(t: number) {
      const deadline = Date.now() + 15000;
      while (lastFirstTryOk <= t) {
        if (Date.now() > deadline) throw new Error('the VIP client got no answer at first try for 15 s');
        await sleep(20);
      }
    },
  };
}

/** Time from `action` until the VIP answers again (0 if it never stopped). */
async function outageAfter(action: () => void): Promise<number> {
  const t0 = Date.now();
  action();
  let failedOnce = false;
  while (Date.now() - t0 < 15000) {
    const ok = await getVip(300);
    if (!ok) failedOnce = true;
    if (ok && failedOnce) return Date.now() - t0;
    if (ok && Date.now() - t0 > 3000) return 0;
    await sleep(20);
  }
  throw new Error('the VIP did not answer again within 15 s');
}

function nodeOn(host: FleetHost): string {
  return fs.readdirSync(path.join(fleet.dir, host.namespace, 'install', 'state')).find((n) => n.startsWith('web-')) as string;
}

function killWorkloads(host: FleetHost, keep: (comm: string) => boolean): void {
  for (const pid of hostPids(host)) {
    try {
      if (!keep(fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Brings a node back as a deploy would find it: runtime (daemon mode) and its keepalived. */
async function revive(host: FleetHost): Promise<void> {
  const node = nodeOn(host);
  const state = `${fleet.installDir}/state`;
  await ssh(fleet, host, `R=$(cat ${state}/${node}/runtime.bundle); node "$R" start --config ${state}/${node}/config.json --node ${node} --state-dir ${state} --workers 1 >/dev/null`);
  await ssh(fleet, host, `cd ${state}/${node}/vrrp && if ! kill -0 "$(cat keepalived.pid 2>/dev/null)" 2>/dev/null; then setsid keepalived --vrrp --use-file keepalived.conf --pid keepalived.pid --vrrp_pid vrrp.pid --log-console --dont-fork >> keepalived.log 2>&1 < /dev/null & fi`);
  await sleep(1500);
}

maybe('a virtual IP per LB on the SSH fleet', () => {
  beforeAll(async () => {
    buildBundles();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'alb-vip-e2e-'));
    d.cliConfig = path.join(work, 'terraformrc');
    fs.writeFileSync(d.cliConfig, '');
    // Hosts with certificates: this suite's deploys verify every host through the CA.
    fleet = fleetUp(PREFIX, 8, SUBNET, { hostCa: true });
  });

  afterAll(async () => {
    if (d.stackDir && fs.existsSync(path.join(d.stackDir, '.terraform'))) {
      for (const h of fleet.hosts) execFileSync('ip', ['-n', h.namespace, 'link', 'set', 'eth0', 'up']);
      await terraform(d, ['destroy', '-auto-approve', '-input=false', '-no-color'], 120000).catch(() => undefined);
    }
    fleetDown(PREFIX);
    fs.rmSync(work, { recursive: true, force: true });
    const stats = Object.fromEntries(Object.entries(outages).map(([k, v]) => [k, { runs: v, median: [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)], max: Math.max(...v) }]));
    console.log(`VIP failover (ms): ${JSON.stringify(stats)}`);
  });

  test('deploys keepalived on every node; one node holds the VIP and serves through it', async () => {
    const out = await synthAndApply('20');
    expect(out.match(/keepalived started/g)).toHaveLength(4);
    // Every host was verified through the CA: the synthesized host_key of each host is the CA's key.
    const json = JSON.parse(fs.readFileSync(path.join(d.stackDir, 'cdk.tf.json'), 'utf8'));
    const hostKeys = Object.values(json.resource.terraform_data.fleet_host.for_each as Record<string, { host_key: string }>).map((h) => h.host_key);
    expect(hostKeys).toHaveLength(8);
    expect(new Set(hostKeys)).toEqual(new Set([fleet.hostCertificateAuthority]));
    const o = await outputs(d);
    expect(o.web_vip_endpoints).toEqual({ http: `${VIP}:8080` });
    expect(holder()).toBeDefined();
    expect(await getVip()).toBe(true);
  });

  test('the master runtime killed with SIGKILL, 5 times: the VIP answers again within 2 s; a retrying client sees no failure', async () => {
    const client = retryingClient();
    for (let i = 0; i < 5; i++) {
      const master = holder() as FleetHost;
      const pid = Number(fs.readFileSync(path.join(fleet.dir, master.namespace, 'install', 'state', nodeOn(master), 'runtime.pid'), 'utf8'));
      outages.runtimeKilled.push(await outageAfter(() => process.kill(pid, 'SIGKILL')));
      expect(holder()?.name).not.toBe(master.name);
      await revive(master);
      await client.answeredSince(Date.now());
    }
    const result = await client.stop();
    expect(result.failed).toBe(0);
    for (const ms of outages.runtimeKilled) expect(ms).toBeLessThanOrEqual(2000);
  });

  test('the master host lost (link down, every process but sshd killed), 5 times: the VIP answers again within 2 s', async () => {
    const client = retryingClient();
    for (let i = 0; i < 5; i++) {
      const master = holder() as FleetHost;
      outages.hostLost.push(await outageAfter(() => {
        execFileSync('ip', ['-n', master.namespace, 'link', 'set', 'eth0', 'down']);
        killWorkloads(master, (comm) => comm === 'sshd');
      }));
      expect(holder()?.name).not.toBe(master.name);
      execFileSync('ip', ['-n', master.namespace, 'link', 'set', 'eth0', 'up']);
      await revive(master);
      await client.answeredSince(Date.now());
    }
    const result = await client.stop();
    expect(result.failed).toBe(0);
    for (const ms of outages.hostLost) expect(ms).toBeLessThanOrEqual(2000);
  });

  test('a config change deployed through the VIP fails no request', async () => {
    const client = retryingClient();
    const out = await synthAndApply('70');
    const result = await client.stop();
    expect(out).toMatch(/keepalived reloaded/);
    expect(result.failed).toBe(0);
    expect(result.ok).toBeGreaterThan(10);
  });

  test('destroy leaves no keepalived process and the address on no interface', async () => {
    await terraform(d, ['destroy', '-auto-approve', '-input=false', '-no-color'], 120000);
    for (const h of fleet.hosts) {
      const comms = hostPids(h).map((pid) => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
      expect({ host: h.name, keepalived: comms.filter((c) => c === 'keepalived') }).toEqual({ host: h.name, keepalived: [] });
    }
    expect(holder()).toBeUndefined();
    d.stackDir = '';
  });
});
