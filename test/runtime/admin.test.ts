/**
 * The admin endpoint of a running node: /healthz, /status (listeners, connections, targets with
 * active-check health and reasons, passive failures) and its answers to wrong requests.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import {
  backend, ensureBundle, get, getJson, killAllStarted, lbConfig, listener, RunningNode, startBackend, startNode,
  tempDir, TestBackend, waitFor, writeJson,
} from './cli-helpers';

const ADDR = '127.0.4.4';
const PORT = 18087;
const PORT_DEAD = 18088;
let dir: string;
let a: TestBackend;
let b: TestBackend;
let deadPort: number;
let node: RunningNode;

const healthChecked = (id: string, targets: Array<{ id: string; port: number }>) => backend(id, targets, {
  healthCheck: {
    enabled: true, protocol: 'HTTP', port: 0, intervalMs: 150, timeoutMs: 120, healthyThreshold: 1,
    unhealthyThreshold: 2, httpVersion: 'HTTP1.1', httpDomain: null, httpPath: '/health', httpCodes: '2xx',
  },
});

beforeAll(async () => {
  ensureBundle();
  dir = tempDir('admin');
  a = await startBackend('a');
  b = await startBackend('b');
  // A port nothing listens on: bind, note, close.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.4.200', r));
  deadPort = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));

  const file = writeJson(dir, 'c.json', lbConfig(ADDR,
    [listener('main', PORT, 'web'), listener('dead', PORT_DEAD, 'nowhere')],
    [healthChecked('web', [{ id: 'a', port: a.port }, { id: 'b', port: b.port }]), backend('nowhere', [{ id: 'gone', port: deadPort }])],
    { nodes: [{ name: 'edge-1', zone: 'az-1', rack: 'r1', address: ADDR }] }));
  node = await startNode(['run', '--config', file, '--node', 'edge-1', '--workers', '2', '--access-log', 'off'], { adminHost: ADDR });
});

afterAll(async () => {
  killAllStarted();
  await a?.close();
  await b?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('/healthz answers ok while serving', async () => {
  const r = await get(ADDR, node.adminPort, '/healthz');
  expect(r.status).toBe(200);
  expect(r.body).toBe('ok\n');
  expect(r.headers['content-type']).toBe('text/plain');
});

test('/status describes the node, listeners and targets', async () => {
  await waitFor('first health checks', async () => (await getJson(ADDR, node.adminPort, '/status')).backends[0].targets.every(
    (t: { lastCheckAt: unknown }) => t.lastCheckAt !== null), 10_000, 50);
  const s = await getJson(ADDR, node.adminPort, '/status');
  expect(s).toMatchObject({
    node: 'edge-1', pid: node.child.pid, schemaVersion: 1, loadBalancer: 'web', address: ADDR, serving: true,
    draining: false, workersConfigured: 2, workerRestarts: 0, lastReload: null,
  });
  expect(s.configHash).toMatch(/^[0-9a-f]{64}$/);
  expect(typeof s.uptimeSeconds).toBe('number');
  expect(s.listeners).toEqual([
    expect.objectContaining({ id: 'main', protocol: 'HTTP', address: ADDR, port: PORT, open: true, activeConnections: 0 }),
    expect.objectContaining({ id: 'dead', port: PORT_DEAD, open: true }),
  ]);
  expect(s.backends[0]).toMatchObject({ id: 'web', algorithm: 'WEIGHTED_ROUND_ROBIN', healthyTargets: 2 });
  expect(s.backends[0].targets[0]).toMatchObject({
    id: 'a', address: '127.0.4.200', port: a.port, weight: 10, healthy: true, reason: null, healthCheck: 'on',
    ejected: false, active: 0, passiveFailures: { total: 0, byReason: {} },
  });
  expect(s.backends[0].targets[0].consecutiveSuccesses).toBeGreaterThanOrEqual(1);
  expect(s.backends[1].targets[0]).toMatchObject({ id: 'gone', healthCheck: 'off', healthy: true });
});

test('in-flight connections and requests are summed over workers', async () => {
  const slow = get(ADDR, PORT, '/slow?ms=1500');
  const before = a.slowHits + b.slowHits;
  // Once a backend has the request, the connection is open and the request is in flight.
  await waitFor('the slow request to reach a backend', () => a.slowHits + b.slowHits > before, 5000, 50);
  const s = await getJson(ADDR, node.adminPort, '/status');
  expect(s.listeners[0].activeConnections).toBe(1);
  const active = s.backends[0].targets.reduce((sum: number, t: { active: number }) => sum + t.active, 0);
  expect(active).toBe(1);
  expect((await slow).status).toBe(200);
});

test('a killed backend turns unhealthy with its reason, and healthy again when it returns', async () => {
  const port = b.port;
  await b.close();
  const down = await waitFor('target b unhealthy', async () => {
    const t = (await getJson(ADDR, node.adminPort, '/status')).backends[0].targets[1];
    return t.healthy === false ? t : null;
  }, 10_000, 50);
  expect(down).toMatchObject({ id: 'b', reason: 'CONNECT_FAILED' });
  expect(down.consecutiveFailures).toBeGreaterThanOrEqual(2);
  // Every worker was told: no request goes to b.
  for (let i = 0; i < 10; i++) expect((await get(ADDR, PORT, `/x${i}`)).body).toBe('a');

  b = await startBackend('b', '127.0.4.200', port);
  const up = await waitFor('target b healthy again', async () => {
    const t = (await getJson(ADDR, node.adminPort, '/status')).backends[0].targets[1];
    return t.healthy === true ? t : null;
  }, 10_000, 50);
  expect(up.reason).toBeNull();
  const bodies = new Set<string>();
  for (let i = 0; i < 10; i++) bodies.add((await get(ADDR, PORT, `/y${i}`)).body);
  expect([...bodies].sort()).toEqual(['a', 'b']);
});

test('passive failures reported by the workers are counted per target and reason', async () => {
  const r = await get(ADDR, PORT_DEAD, '/');
  expect(r.status).toBeGreaterThanOrEqual(500);
  const t = await waitFor('a passive failure', async () => {
    const target = (await getJson(ADDR, node.adminPort, '/status')).backends[1].targets[0];
    return target.passiveFailures.total >= 1 ? target : null;
  }, 5000, 50);
  expect(t.passiveFailures.byReason.CONNECT_FAILED).toBeGreaterThanOrEqual(1);
});

test('wrong paths and methods get clear answers', async () => {
  const notFound = await get(ADDR, node.adminPort, '/nope');
  expect(notFound.status).toBe(404);
  expect(notFound.body).toContain('/healthz');
  const post = await new Promise<{ status: number; allow: string | undefined }>((resolve, reject) => {
    const req = http.request({ host: ADDR, port: node.adminPort, path: '/status', method: 'POST', agent: false },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, allow: res.headers.allow as string | undefined });
      });
    req.on('error', reject);
    req.end();
  });
  expect(post).toEqual({ status: 405, allow: 'GET, HEAD' });
});
