/**
 * The local-vm launcher with real processes: detached start with the VM environment,
 * idempotent start, stop of the whole process group (SIGTERM, then SIGKILL), failures.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { pidAlive as alive } from '../../lib/process/supervision';
import { listensOn } from '../helpers/listening';
import { freePort } from '../runtime/helpers/net';

const ROOT = path.join(__dirname, '..', '..');
const BUNDLE = path.join(ROOT, 'dist', 'hosts', 'local-vm.js');

let work: string;
let stateDir: string;
const startedPids: number[] = [];

/** A VM program: HTTP server on HOST:PORT that reports its environment; optional quirks. */
const SERVER = `
const http = require('http');
const { spawn } = require('child_process');
if (process.env.IGNORE_TERM) process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
if (process.env.GRANDCHILD) {
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  process.env.GRANDCHILD_PID = String(c.pid);
}
http.createServer((req, res) => {
  res.end(JSON.stringify({ HOST: process.env.HOST, PORT: process.env.PORT, VM_NAME: process.env.VM_NAME,
    VM_ZONE: process.env.VM_ZONE, VM_RACK: process.env.VM_RACK, EXTRA: process.env.EXTRA, pid: process.pid,
    grandchild: Number(process.env.GRANDCHILD_PID || 0), cwd: process.cwd() }));
}).listen(Number(process.env.PORT), process.env.HOST, () => console.log('listening on ' + process.env.HOST + ':' + process.env.PORT));
`;

function run(args: string[], timeoutMs = 30000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BUNDLE, ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as any).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function get(address: string, port: number): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: address, port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

async function startArgs(name: string, address: string, port: number, extra: string[] = []): Promise<string[]> {
  return ['start', '--name', name, '--state-dir', stateDir, '--address', address, '--port', String(port), '--zone', 'az-1', '--rack', 'r2', ...extra, '--', process.execPath, path.join(work, 'server.js')];
}

beforeAll(() => {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-runtime.js'), 'local-vm.js']); // fresh bundle of this code
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'local-vm-test-'));
  stateDir = path.join(work, 'state');
  fs.writeFileSync(path.join(work, 'server.js'), SERVER);
});

afterAll(() => {
  // Kill whatever a failed test left behind: every recorded pid's group, then the dirs.
  const pids = [...startedPids];
  if (fs.existsSync(stateDir)) {
    for (const vm of fs.readdirSync(stateDir)) {
      const pidFile = path.join(stateDir, vm, 'vm.pid');
      if (fs.existsSync(pidFile)) pids.push(Number(fs.readFileSync(pidFile, 'utf8')));
    }
  }
  for (const pid of pids) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  fs.rmSync(work, { recursive: true, force: true });
});

test('start runs the command detached with the VM environment, waits for the port; start again is a no-op; stop removes everything', async () => {
  const address = '127.77.1.1';
  const port = await freePort(address);
  const args = await startArgs('app-az-1-r2-0', address, port, ['--env', 'EXTRA=hello=world', '--cwd', work]);
  const first = await run(args);
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(/VM app-az-1-r2-0 started: pid \d+, 127\.77\.1\.1:\d+ \(zone az-1, rack r2\)/);
  // Ready means ready: the port accepts right after start returns.
  const body = await get(address, port);
  startedPids.push(body.pid);
  expect(body).toMatchObject({ HOST: address, PORT: String(port), VM_NAME: 'app-az-1-r2-0', VM_ZONE: 'az-1', VM_RACK: 'r2', EXTRA: 'hello=world', cwd: work });
  const dir = path.join(stateDir, 'app-az-1-r2-0');
  expect(Number(fs.readFileSync(path.join(dir, 'vm.pid'), 'utf8'))).toBe(body.pid);
  expect(fs.readFileSync(path.join(dir, 'vm.log'), 'utf8')).toContain(`listening on ${address}:${port}`);

  const second = await run(args);
  expect(second.code).toBe(0);
  expect(second.stdout).toContain(`already running: pid ${body.pid}`);
  expect((await get(address, port)).pid).toBe(body.pid);

  const status = await run(['status', '--name', 'app-az-1-r2-0', '--state-dir', stateDir]);
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ running: true, accepting: true, pid: body.pid });

  expect(listensOn(address, port)).toBe(true);
  const stop = await run(['stop', '--name', 'app-az-1-r2-0', '--state-dir', stateDir]);
  expect(stop.code).toBe(0);
  expect(stop.stdout).toContain('stopped (SIGTERM)');
  expect(alive(body.pid)).toBe(false);
  expect(listensOn(address, port)).toBe(false);
  expect(fs.existsSync(dir)).toBe(false);
  expect(fs.existsSync(stateDir)).toBe(false); // last VM out removes the state dir

  const again = await run(['stop', '--name', 'app-az-1-r2-0', '--state-dir', stateDir]);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('was not running');
  const gone = await run(['status', '--name', 'app-az-1-r2-0', '--state-dir', stateDir]);
  expect(gone.code).toBe(3);
});

test('stop kills the whole process group and falls back to SIGKILL after the grace period', async () => {
  const address = '127.77.1.2';
  const port = await freePort(address);
  const started = await run([...(await startArgs('stubborn', address, port, ['--env', 'IGNORE_TERM=1', '--env', 'GRANDCHILD=1']))]);
  expect(started.code).toBe(0);
  const body = await get(address, port);
  startedPids.push(body.pid, body.grandchild);
  expect(body.grandchild).toBeGreaterThan(0);
  expect(alive(body.grandchild)).toBe(true);
  const t0 = Date.now();
  const stop = await run(['stop', '--name', 'stubborn', '--state-dir', stateDir, '--grace-ms', '700']);
  expect(stop.code).toBe(0);
  expect(stop.stdout).toContain('killed (SIGKILL after the grace period)');
  expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
  expect(alive(body.pid)).toBe(false);
  // the grandchild was in the VM's process group; give the kernel a moment to reap it
  for (let i = 0; i < 50 && alive(body.grandchild); i++) await new Promise((r) => setTimeout(r, 100));
  expect(alive(body.grandchild)).toBe(false);
  expect(fs.existsSync(path.join(stateDir, 'stubborn'))).toBe(false);
});

test('a command that exits before listening fails start with its log, and leaves no process', async () => {
  const address = '127.77.1.3';
  const port = await freePort(address);
  const result = await run(['start', '--name', 'broken', '--state-dir', stateDir, '--address', address, '--port', String(port), '--zone', 'z', '--rack', 'r', '--', process.execPath, '-e', 'console.error("boom: no config"); process.exit(3)']);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('VM broken exited before');
  expect(result.stderr).toContain('boom: no config');
  const pid = Number(fs.readFileSync(path.join(stateDir, 'broken', 'vm.pid'), 'utf8'));
  expect(alive(pid)).toBe(false);
  await run(['stop', '--name', 'broken', '--state-dir', stateDir]);
});

test('a command that never listens is killed after the ready timeout', async () => {
  const address = '127.77.1.4';
  const port = await freePort(address);
  const result = await run(['start', '--name', 'silent', '--state-dir', stateDir, '--address', address, '--port', String(port), '--zone', 'z', '--rack', 'r', '--ready-timeout-ms', '800', '--', process.execPath, '-e', 'setInterval(() => {}, 1000)']);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/did not accept connections on 127\.77\.1\.4:\d+ within 800 ms/);
  const pid = Number(fs.readFileSync(path.join(stateDir, 'silent', 'vm.pid'), 'utf8'));
  startedPids.push(pid);
  expect(alive(pid)).toBe(false);
  await run(['stop', '--name', 'silent', '--state-dir', stateDir]);
});

test('a stale record (process gone) does not block start, and a missing program is a clear error', async () => {
  const address = '127.77.1.5';
  const port = await freePort(address);
  const args = await startArgs('phoenix', address, port);
  expect((await run(args)).code).toBe(0);
  const first = await get(address, port);
  startedPids.push(first.pid);
  process.kill(-first.pid, 'SIGKILL');
  for (let i = 0; i < 50 && alive(first.pid); i++) await new Promise((r) => setTimeout(r, 100));
  const restarted = await run(args);
  expect(restarted.code).toBe(0);
  expect(restarted.stdout).toContain('started');
  const second = await get(address, port);
  startedPids.push(second.pid);
  expect(second.pid).not.toBe(first.pid);
  expect((await run(['stop', '--name', 'phoenix', '--state-dir', stateDir])).code).toBe(0);

  const missing = await run(['start', '--name', 'nope', '--state-dir', stateDir, '--address', address, '--port', String(port), '--zone', 'z', '--rack', 'r', '--', '/nonexistent/program']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('cannot run "/nonexistent/program"');
  await run(['stop', '--name', 'nope', '--state-dir', stateDir]);
});

test('usage errors name the option and what is allowed', async () => {
  const bad = await run(['start', '--name', 'x', '--state-dir', stateDir, '--address', '10.0.0.1', '--port', '80', '--zone', 'z', '--rack', 'r', '--', 'true']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--address "10.0.0.1" is not a loopback address (allowed: 127.0.0.0/8)');
  const port = await run(['start', '--name', 'x', '--state-dir', stateDir, '--address', '127.0.0.2', '--port', '70000', '--zone', 'z', '--rack', 'r', '--', 'true']);
  expect(port.code).toBe(2);
  expect(port.stderr).toContain('--port must be an integer from 1 to 65535, got "70000"');
  const unknown = await run(['stop', '--name', 'x', '--state-dir', stateDir, '--force', 'yes']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain("unknown option '--force'");
  const name = await run(['stop', '--name', '../etc', '--state-dir', stateDir]);
  expect(name.code).toBe(1);
  expect(name.stderr).toContain('--name "../etc" is not a valid VM name');
});

test('clean removes a stopped daemon\'s leftovers, refuses while a pid file names a live process', async () => {
  const dir = path.join(stateDir, 'web-az-1-r1-0');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'runtime.log'), 'old log\n');
  fs.writeFileSync(path.join(dir, 'runtime.pid'), `${process.pid}\n`); // a live process: this test runner
  const refused = await run(['clean', '--name', 'web-az-1-r1-0', '--state-dir', stateDir]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`process ${process.pid} is still running; stop it first`);
  expect(fs.existsSync(path.join(dir, 'runtime.log'))).toBe(true);
  fs.writeFileSync(path.join(dir, 'runtime.pid'), '999999\n'); // beyond pid_max: certainly not running
  const cleaned = await run(['clean', '--name', 'web-az-1-r1-0', '--state-dir', stateDir]);
  expect(cleaned.code).toBe(0);
  expect(cleaned.stdout).toContain('web-az-1-r1-0: state removed');
  expect(fs.existsSync(dir)).toBe(false);
  const again = await run(['clean', '--name', 'web-az-1-r1-0', '--state-dir', stateDir]);
  expect(again.stdout).toContain('no state');
});

test('--instance: a start by a new instance replaces the VM in place (logged), a stop by a stale instance leaves it running', async () => {
  const address = '127.77.1.6';
  const port = await freePort(address);
  const base = ['--name', 'rolling', '--state-dir', stateDir, '--address', address, '--port', String(port), '--zone', 'az-1', '--rack', 'r1',
    '--group', 'app', '--command', process.execPath, '--arg', path.join(work, 'server.js')];
  const first = await run(['start', ...base, '--instance', 'aaa']);
  expect(first.stderr).toBe('');
  const pid1 = (await get(address, port)).pid;
  startedPids.push(pid1);
  const again = await run(['start', ...base, '--instance', 'aaa']);
  expect(again.stdout).toContain(`already running: pid ${pid1}`);

  const replaced = await run(['start', ...base, '--instance', 'bbb']);
  expect(replaced.code).toBe(0);
  expect(replaced.stdout).toMatch(/VM rolling replaced in place \(new instance\): pid \d+/);
  const pid2 = (await get(address, port)).pid;
  startedPids.push(pid2);
  expect(pid2).not.toBe(pid1);
  expect(alive(pid1)).toBe(false);
  const log = fs.readFileSync(path.join(stateDir, 'rollout.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(log).toHaveLength(1);
  expect(log[0]).toMatchObject({ group: 'app', vm: 'rolling', from: 'aaa', to: 'bbb' });
  expect(log[0].upAt).toBeGreaterThanOrEqual(log[0].downAt);

  const stale = await run(['stop', '--name', 'rolling', '--state-dir', stateDir, '--instance', 'aaa']);
  expect(stale.code).toBe(0);
  expect(stale.stdout).toContain('left running: a newer instance replaced it in place');
  expect(alive(pid2)).toBe(true);
  const current = await run(['stop', '--name', 'rolling', '--state-dir', stateDir, '--instance', 'bbb']);
  expect(current.stdout).toContain('stopped (SIGTERM)');
  expect(alive(pid2)).toBe(false);
  expect(fs.existsSync(stateDir)).toBe(false); // the rollout log goes with the last VM

  const both = await run(['start', ...base, '--', 'true']);
  expect(both.code).toBe(2);
  expect(both.stderr).toContain('either as --command/--arg or after `--`, not both');
});
