/**
 * `start` / `stop` / `status` / `reload` against a real daemon in a state directory, as the
 * deploy targets drive them.
 */
import { sha256Hex } from '../../lib/config/hash';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import {
  backend, cli, cliAsync, ensureBundle, get, lbConfig, listener, processAlive, sleep, startBackend, tempDir, TestBackend, waitFor, writeJson,
} from './cli-helpers';

const NODE_ADDR = '127.0.4.6';
const PORT = 18086;
let dir: string;
let stateDir: string;
let a: TestBackend;
let b: TestBackend;

function pidOf(): number | null {
  try {
    return Number(fs.readFileSync(path.join(stateDir, 'n1', 'runtime.pid'), 'utf8'));
  } catch {
    return null;
  }
}


function sha256(file: string): string {
  return sha256Hex(fs.readFileSync(file));
}

function config(targets: Array<{ id: string; port: number; weight?: number }>, extraListeners: ReturnType<typeof listener>[] = []) {
  return lbConfig(NODE_ADDR, [listener('http', PORT, 'web'), ...extraListeners], [backend('web', targets)]);
}

beforeAll(async () => {
  ensureBundle();
  dir = tempDir('daemon');
  stateDir = path.join(dir, 'state');
  a = await startBackend('a');
  b = await startBackend('b');
});

afterAll(async () => {
  const pid = pidOf();
  if (pid !== null) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  }
  await a.close();
  await b.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('start refuses a bad config without starting anything', () => {
  const c = config([{ id: 'a', port: a.port }]);
  c.listeners[0].backendService = 'missing';
  const r = cli(['start', '--config', writeJson(dir, 'bad.json', c), '--node', 'n1', '--state-dir', stateDir]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('/listeners/0/backendService');
  expect(pidOf()).toBeNull();
});

test('start fails with the log tail when the node cannot serve (port taken)', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(PORT, NODE_ADDR, r));
  try {
    const r = await cliAsync(['start', '--config', writeJson(dir, 'c0.json', config([{ id: 'a', port: a.port }])),
      '--node', 'n1', '--state-dir', stateDir, '--workers', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the runtime exited during startup');
    expect(r.stderr).toMatch(/EADDRINUSE/);
    expect(pidOf()).toBeNull();
  } finally {
    await new Promise((r) => blocker.close(r));
  }
});

describe('a daemon through its life', () => {
  let configFile: string;

  test('start returns once serving, detached from the caller', async () => {
    configFile = writeJson(dir, 'c1.json', config([{ id: 'a', port: a.port }]));
    // Pipes like Terraform's local-exec: if the daemon held them, this would not return.
    const r = await cliAsync(['start', '--config', configFile, '--node', 'n1', '--state-dir', stateDir, '--workers', '2'], 30_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^node n1 serving \(pid \d+, admin 127\.0\.4\.6:\d+\)/);
    const pid = pidOf()!;
    expect(processAlive(pid)).toBe(true);
    // The node serves its own copy of the config.
    expect(fs.readFileSync(path.join(stateDir, 'n1', 'config.json'), 'utf8')).toBe(fs.readFileSync(configFile, 'utf8'));
    expect((await get(NODE_ADDR, PORT, '/')).body).toBe('a');
  });

  test('start again is a no-op', async () => {
    const before = pidOf();
    const r = await cliAsync(['start', '--config', configFile, '--node', 'n1', '--state-dir', stateDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`already running (pid ${before})`);
    expect(pidOf()).toBe(before);
  });

  test('start with another config while running says so and changes nothing', async () => {
    const other = writeJson(dir, 'c1b.json', config([{ id: 'b', port: b.port }]));
    const r = await cliAsync(['start', '--config', other, '--node', 'n1', '--state-dir', stateDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('it serves a different config: use `alb-runtime reload`');
    expect((await get(NODE_ADDR, PORT, '/')).body).toBe('a');
  });

  test('the access log and the event log live in the state dir', async () => {
    for (let i = 0; i < 3; i++) await get(NODE_ADDR, PORT, `/logged/${i}`);
    const accessLog = path.join(stateDir, 'n1', 'access.log');
    const lines = await waitFor('three access log lines', () => {
      const text = fs.existsSync(accessLog) ? fs.readFileSync(accessLog, 'utf8') : '';
      const found = text.split('\n').filter((l) => l.includes('/logged/')).map((l) => JSON.parse(l));
      return found.length === 3 ? found : null;
    }, 5000, 50);
    expect(lines.map((l) => l.url).sort()).toEqual(['/logged/0', '/logged/1', '/logged/2']);
    expect(lines[0]).toMatchObject({ listener: 'http', backend: 'web', target: 'a', status: 200, method: 'GET' });
    const events = fs.readFileSync(path.join(stateDir, 'n1', 'runtime.log'), 'utf8');
    expect(events).toContain('"msg":"serving"');
  });

  test('SIGUSR1 reopens the access log after rotation', async () => {
    const accessLog = path.join(stateDir, 'n1', 'access.log');
    fs.renameSync(accessLog, `${accessLog}.1`);
    process.kill(pidOf()!, 'SIGUSR1');
    await waitFor('the primary to log the reopen', () => fs.readFileSync(path.join(stateDir, 'n1', 'runtime.log'), 'utf8').includes('reopening access logs'), 5000, 50);
    const lines = await waitFor('a line in the new access.log', async () => {
      await get(NODE_ADDR, PORT, '/rotated');
      const text = fs.existsSync(accessLog) ? fs.readFileSync(accessLog, 'utf8') : '';
      return text.includes('/rotated') ? text : null;
    }, 10_000, 50);
    expect(lines).not.toContain('/logged/');
    expect(fs.readFileSync(`${accessLog}.1`, 'utf8')).not.toContain('/rotated');
  });

  test('status via --admin HOST:PORT, and a clear error for a bad one', async () => {
    const admin = JSON.parse(fs.readFileSync(path.join(stateDir, 'n1', 'admin.json'), 'utf8'));
    const r = await cliAsync(['status', '--admin', `${admin.host}:${admin.port}`]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).node).toBe('n1');
    const bad = await cliAsync(['status', '--admin', 'localhost']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--admin must be HOST:PORT');
  });

  test('status prints /status JSON', async () => {
    const r = await cliAsync(['status', '--node', 'n1', '--state-dir', stateDir]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ node: 'n1', pid: pidOf(), configHash: sha256(configFile), schemaVersion: 1, serving: true });
    expect(s.workers).toHaveLength(2);
    expect(s.listeners[0]).toMatchObject({ id: 'http', port: PORT, address: NODE_ADDR, open: true });
  });

  test('reload applies a new config and promotes it', async () => {
    const next = writeJson(dir, 'c2.json', config([{ id: 'b', port: b.port }]));
    const r = await cliAsync(['reload', '--config', next, '--node', 'n1', '--state-dir', stateDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`reloaded (config ${sha256(next).slice(0, 12)})`);
    expect(sha256(path.join(stateDir, 'n1', 'config.json'))).toBe(sha256(next));
    expect(fs.existsSync(path.join(stateDir, 'n1', 'config.json.next'))).toBe(false);
    for (let i = 0; i < 4; i++) expect((await get(NODE_ADDR, PORT, '/')).body).toBe('b');
    const s = JSON.parse((await cliAsync(['status', '--node', 'n1', '--state-dir', stateDir])).stdout);
    expect(s.lastReload).toMatchObject({ ok: true, hash: sha256(next), error: null });
  });

  test('reload refuses an invalid config before touching the node', async () => {
    const c = config([{ id: 'a', port: a.port }]);
    c.backendServices[0].algorithm = 'FASTEST' as never;
    const r = await cliAsync(['reload', '--config', writeJson(dir, 'c3.json', c), '--node', 'n1', '--state-dir', stateDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/backendServices/0/algorithm');
    expect((await get(NODE_ADDR, PORT, '/')).body).toBe('b');
  });

  test('reload the node cannot apply (port taken): rolled back, reason reported, old config serves', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(PORT + 1, NODE_ADDR, r));
    try {
      const next = writeJson(dir, 'c4.json', config([{ id: 'a', port: a.port }], [listener('extra', PORT + 1, 'web')]));
      const r = await cliAsync(['reload', '--config', next, '--node', 'n1', '--state-dir', stateDir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('reload refused; the previous config keeps serving');
      expect(r.stderr).toMatch(/EADDRINUSE/);
      // Still the previous config, on every worker.
      for (let i = 0; i < 6; i++) expect((await get(NODE_ADDR, PORT, `/?i=${i}`)).body).toBe('b');
      const s = JSON.parse((await cliAsync(['status', '--node', 'n1', '--state-dir', stateDir])).stdout);
      expect(s.configHash).toBe(sha256(path.join(stateDir, 'n1', 'config.json')));
      expect(s.lastReload).toMatchObject({ ok: false, hash: sha256(next) });
      expect(fs.existsSync(path.join(stateDir, 'n1', 'config.json.rejected'))).toBe(true);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  test('stop drains and removes the pid file; stop again is a no-op; status then fails', async () => {
    const pid = pidOf()!;
    const r = await cliAsync(['stop', '--node', 'n1', '--state-dir', stateDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`node n1 stopped (pid ${pid})\n`);
    expect(processAlive(pid)).toBe(false);
    expect(pidOf()).toBeNull();
    await expect(get(NODE_ADDR, PORT, '/')).rejects.toThrow(/ECONNREFUSED/);
    const again = await cliAsync(['stop', '--node', 'n1', '--state-dir', stateDir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('not running');
    const status = await cliAsync(['status', '--node', 'n1', '--state-dir', stateDir]);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('not running');
    await sleep(0);
  });
});
