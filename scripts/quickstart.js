#!/usr/bin/env node
/**
 * `npm start` / `npm run destroy`: deploy examples/quickstart onto this machine with the
 * cdktf CLI and the `terraform` on PATH, and remove it again.
 *
 *   node scripts/quickstart.js up     build the runtime bundles if missing, synth, cdktf deploy,
 *                                     wait until every LB node is healthy, print the endpoints
 *   node scripts/quickstart.js down   cdktf destroy, verify nothing is left, drop the empty state
 *
 * Everything the quickstart runs is a Terraform resource: each LB node and VM (the app VMs and
 * the "legacy" server's VM) is a process on its own 127.x.y.z address, with its pid file and
 * log in .alb-state/ (the stack's LocalInfrastructure stateDir), next to placement.json, the
 * placement of the last applied deploy.
 */
'use strict';
const { spawnSync, spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const STACK = 'quickstart';
const OUT = path.join(ROOT, 'cdktf.out');
const STACK_DIR = path.join(OUT, 'stacks', STACK);
const STATE_DIR = path.join(ROOT, '.alb-state');
/** cdktf's default local backend keeps the stack's state in the project directory. */
const TF_STATE = path.join(ROOT, `terraform.${STACK}.tfstate`);
const LAUNCHER = path.join(ROOT, 'dist', 'hosts', 'local-vm.js');
const RUNTIME = path.join(ROOT, 'dist', 'runtime', 'alb-runtime.js');

function say(text) {
  process.stdout.write(`${text}\n`);
}

function fail(text) {
  process.stderr.write(`\nquickstart: ${text}\n`);
  process.exit(1);
}

/** Environment for terraform/cdktf: no checkpoint calls, and an empty CLI config when the user has none. */
function toolEnv() {
  const env = { ...process.env, CHECKPOINT_DISABLE: '1' };
  const home = process.env.HOME || '/root';
  if (!env.TF_CLI_CONFIG_FILE && !fs.existsSync(path.join(home, '.terraformrc'))) {
    const empty = path.join(ROOT, '.cdktf-alb', 'terraformrc');
    fs.mkdirSync(path.dirname(empty), { recursive: true });
    if (!fs.existsSync(empty)) fs.writeFileSync(empty, '# empty: keeps terraform from warning about a missing ~/.terraformrc\n');
    env.TF_CLI_CONFIG_FILE = empty;
  }
  return env;
}

function checkTerraform() {
  const result = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8', env: toolEnv() });
  if (result.error && result.error.code === 'ENOENT') {
    fail(
      'terraform is not on PATH.\n' +
        'Install Terraform 1.4 or newer (the deploy uses the built-in terraform_data resource, no provider download):\n' +
        '  https://developer.hashicorp.com/terraform/install\n' +
        '  e.g. Debian/Ubuntu: apt-get install terraform (from the HashiCorp apt repository), or unzip the release binary into /usr/local/bin\n' +
        'then run `npm start` again.',
    );
  }
  let version = '?';
  try {
    version = JSON.parse(result.stdout).terraform_version;
  } catch {
    /* older terraform without -json: still usable if >= 1.4 */
  }
  const [major, minor] = version.split('.').map(Number);
  if (major === 1 && minor < 4) fail(`terraform ${version} is too old: terraform_data needs Terraform 1.4 or newer.`);
  return version;
}

function ensureBundles() {
  if (fs.existsSync(RUNTIME) && fs.existsSync(LAUNCHER)) return;
  say('Building the runtime and host bundles (dist/runtime/, dist/hosts/) ...');
  const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-runtime.js')], { stdio: 'inherit' });
  if (result.status !== 0) fail('building the runtime bundles failed (see above).');
}

function cdktf(args) {
  const t0 = Date.now();
  const result = spawnSync(process.execPath, [require.resolve('cdktf-cli/bundle/bin/cdktf'), ...args], {
    cwd: ROOT,
    stdio: 'inherit',
    env: toolEnv(),
  });
  if (result.error) fail(`cannot run cdktf: ${result.error.message}`);
  if (result.status !== 0) fail(`cdktf ${args[0]} failed (exit ${result.status}); see the output above.`);
  return Date.now() - t0;
}

function getJson(host, port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: urlPath, timeout: 2000, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function waitHealthy(nodes, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(nodes.map((n) => n.name));
  while (pending.size > 0 && Date.now() < deadline) {
    for (const node of nodes.filter((n) => pending.has(n.name))) {
      const [host, port] = node.admin.split(':');
      try {
        const res = await getJson(host, Number(port), '/healthz');
        if (res.status === 200) pending.delete(node.name);
      } catch {
        /* not yet */
      }
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 250));
  }
  return [...pending];
}

/** The stack's Terraform outputs by their Terraform names (web_endpoints, web_nodes, app_vms). */
function readOutputs() {
  const result = spawnSync('terraform', ['output', '-json'], { cwd: STACK_DIR, encoding: 'utf8', env: toolEnv() });
  if (result.status !== 0) return null;
  const json = JSON.parse(result.stdout || '{}');
  return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, v.value]));
}

async function up() {
  const version = checkTerraform();
  say(`terraform ${version} on PATH`);
  ensureBundles();
  say('\nSynthesizing examples/quickstart ...');
  const synthMs = cdktf(['synth']);
  say('\nDeploying (cdktf deploy) ...');
  const deployMs = cdktf(['deploy', STACK, '--auto-approve', '--skip-synth']);
  const outputs = readOutputs();
  if (outputs === null) fail(`cannot read the outputs (terraform output -json in ${STACK_DIR})`);
  const lbs = Object.keys(outputs).filter((k) => k.endsWith('_nodes')).map((k) => k.slice(0, -'_nodes'.length));
  const nodes = lbs.flatMap((lb) => outputs[`${lb}_nodes`]);
  say(`\nWaiting until the ${nodes.length} LB nodes report healthy ...`);
  const t0 = Date.now();
  const unhealthy = await waitHealthy(nodes, 60000);
  if (unhealthy.length > 0) fail(`not healthy after 60 s: ${unhealthy.join(', ')} (logs: ${STATE_DIR}/<node>/runtime.log)`);
  const healthyMs = Date.now() - t0;

  say('\nThe quickstart load balancer is up.');
  for (const lb of lbs) {
    say(`\nLoad balancer "${lb}" nodes:`);
    for (const n of outputs[`${lb}_nodes`]) say(`  ${n.name.padEnd(18)} zone ${n.zone}  rack ${n.rack}  ${n.address}  (admin http://${n.admin}/status)`);
    const endpoints = outputs[`${lb}_endpoints`] || {};
    for (const [listener, list] of Object.entries(endpoints)) {
      say(`Listener "${listener}": ${list.join('  ')}`);
    }
    const first = Object.values(endpoints)[0];
    if (first && first.length > 0) {
      say('\nTry it (each request is answered by one of the VMs by weight):');
      say(`  curl -s http://${first[0]}/`);
      // A cookie jar would not send a cookie set by one node's address to another address
      // (behind one DNS name it would), so the session cookie is passed by hand here.
      say('The session cookie keeps you on one VM, through every LB node:');
      say(`  c=$(curl -s -o /dev/null -D - http://${first[0]}/ | sed -n 's/^[Ss]et-[Cc]ookie: \\([^;]*\\).*/\\1/p')`);
      say(`  curl -s -b "$c" http://${first[0]}/; curl -s -b "$c" http://${first[first.length - 1]}/`);
    }
  }
  for (const key of Object.keys(outputs).filter((k) => k.endsWith('_vms'))) {
    say(`\nAvailability group "${key.slice(0, -'_vms'.length)}" VMs:`);
    for (const v of outputs[key]) say(`  ${v.name.padEnd(18)} zone ${v.zone}  rack ${v.rack}  ${v.endpoint}`);
  }
  say(`\nPlacement and what survives a rack or zone loss:  npm run plan`);
  say(`Timings: synth ${(synthMs / 1000).toFixed(1)} s, cdktf deploy ${(deployMs / 1000).toFixed(1)} s, nodes healthy after a further ${(healthyMs / 1000).toFixed(1)} s.`);
  say('Remove everything with: npm run destroy');
}

/** Resource addresses in the stack's Terraform state ([] when there is no state at all), or null on error. */
function terraformStateList() {
  if (!fs.existsSync(TF_STATE)) return [];
  if (!fs.existsSync(path.join(STACK_DIR, '.terraform'))) return null;
  const result = spawnSync('terraform', ['state', 'list'], { cwd: STACK_DIR, encoding: 'utf8', env: toolEnv() });
  if (result.status !== 0) return null;
  return result.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

/** Pids recorded in the state dir (runtime.pid / vm.pid), to prove they are gone after destroy. */
function recordedPids() {
  const pids = [];
  if (!fs.existsSync(STATE_DIR)) return pids;
  for (const name of fs.readdirSync(STATE_DIR)) {
    for (const file of ['runtime.pid', 'vm.pid']) {
      const f = path.join(STATE_DIR, name, file);
      if (fs.existsSync(f)) pids.push({ name, pid: Number(fs.readFileSync(f, 'utf8').trim()) });
    }
  }
  return pids;
}

/** True for a live process; an exited one waiting to be reaped (zombie) does not count. */
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return e.code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false; // gone between the two checks
  }
}

function accepts(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function down() {
  checkTerraform();
  ensureBundles();
  const before = recordedPids();
  const listening = [];
  const outputs = fs.existsSync(path.join(STACK_DIR, '.terraform')) ? readOutputs() : null;
  if (outputs !== null) {
    for (const [key, value] of Object.entries(outputs)) {
      if (key.endsWith('_endpoints')) for (const list of Object.values(value)) listening.push(...list);
      if (key.endsWith('_nodes')) for (const n of value) if (n.admin) listening.push(n.admin);
      if (key.endsWith('_vms')) for (const v of value) listening.push(v.endpoint);
    }
  }
  say('Destroying (cdktf destroy) ...');
  const destroyMs = cdktf(['destroy', STACK, '--auto-approve']);

  const left = [];
  // Stopped daemons may take a moment to finish exiting; give them a bounded grace period.
  for (let i = 0; i < 50 && before.some(({ pid }) => alive(pid)); i++) await new Promise((r) => setTimeout(r, 100));
  for (const { name, pid } of before) {
    if (alive(pid)) left.push(`process ${pid} (${name}) still running`);
  }
  for (const endpoint of listening) {
    const [host, port] = endpoint.split(':');
    if (await accepts(host, Number(port))) left.push(`${endpoint} still accepts connections`);
  }
  if (fs.existsSync(STATE_DIR) && fs.readdirSync(STATE_DIR).length > 0) left.push(`${STATE_DIR} still holds: ${fs.readdirSync(STATE_DIR).join(', ')}`);
  const managed = terraformStateList();
  if (managed === null) left.push(`cannot list the Terraform state (terraform state list in ${STACK_DIR})`);
  else if (managed.length > 0) left.push(`Terraform still manages: ${managed.join(', ')}`);
  if (left.length > 0) fail(`destroy left things behind:\n  ${left.join('\n  ')}`);
  if (fs.existsSync(STATE_DIR)) fs.rmdirSync(STATE_DIR);
  // The Terraform state now lists nothing: drop the empty state file (and its backup) too.
  const stateFiles = [TF_STATE, `${TF_STATE}.backup`].filter((f) => fs.existsSync(f));
  for (const f of stateFiles) fs.rmSync(f);
  say(`\nEverything is gone: ${before.length} processes stopped, no listening port, no state in ${path.relative(ROOT, STATE_DIR)}/, ` +
    `no Terraform state${stateFiles.length > 0 ? ` (removed the empty ${stateFiles.map((f) => path.relative(ROOT, f)).join(', ')})` : ''}.`);
  say(`Timing: cdktf destroy ${(destroyMs / 1000).toFixed(1)} s.`);
}

const command = process.argv[2];
const actions = { up, down };
if (!actions[command]) {
  process.stderr.write('usage: node scripts/quickstart.js up|down   (npm start / npm run destroy)\n');
  process.exit(2);
}
actions[command]().catch((err) => fail(err.stack || err.message));
