/**
 * /metrics of a 2-worker node: Prometheus text that parses, with request, response, latency and
 * connection series summed over the workers, and the node's own health and reload series.
 */
import { sha256Hex } from '../../lib/config/hash';
import * as fs from 'fs';
import * as net from 'net';
import {
  backend, ensureBundle, get, getJson, killAllStarted, lbConfig, listener, RunningNode, startBackend, startNode,
  tempDir, TestBackend, waitFor, writeJson,
} from './cli-helpers';

const ADDR = '127.0.4.5';
const PORT = 18089;
const PORT_DEAD = 18090;
let dir: string;
let file: string;
let a: TestBackend;
let node: RunningNode;

interface Sample { name: string; labels: Record<string, string>; value: number }

/** Parses the Prometheus text format (what a scraper would do), failing on any malformed line. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!m) throw new Error(`malformed metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

function sum(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((acc, s) => acc + s.value, 0);
}

async function scrape(): Promise<Sample[]> {
  const r = await get(ADDR, node.adminPort, '/metrics');
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(r.body);
}

beforeAll(async () => {
  ensureBundle();
  dir = tempDir('metrics');
  a = await startBackend('a');
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.4.200', r));
  const deadPort = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  file = writeJson(dir, 'c.json', lbConfig(ADDR, [listener('main', PORT, 'web'), listener('dead', PORT_DEAD, 'nowhere')],
    [backend('web', [{ id: 'a', port: a.port }], {
      healthCheck: {
        enabled: true, protocol: 'TCP', port: 0, intervalMs: 200, timeoutMs: 150, healthyThreshold: 1,
        unhealthyThreshold: 2, httpVersion: 'HTTP1.1', httpDomain: null, httpPath: '/', httpCodes: '2xx',
      },
    }), backend('nowhere', [{ id: 'gone', port: deadPort }])]));
  node = await startNode(['run', '--config', file, '--bind', ADDR, '--workers', '2', '--access-log', 'off'], { adminHost: ADDR });
});

afterAll(async () => {
  killAllStarted();
  await a?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('request, response, latency and connection series count every request once, across workers', async () => {
  for (let i = 0; i < 30; i++) expect((await get(ADDR, PORT, `/m${i}`)).status).toBe(200);
  const route = { listener: 'main', backend: 'web', target: 'a' };
  // Connection close is seen by the worker a moment after the response.
  const m = await waitFor('connections to close', async () => {
    const s = await scrape();
    return sum(s, 'alb_active_connections', { listener: 'main' }) === 0 ? s : null;
  }, 5000, 50);
  expect(sum(m, 'alb_requests_total', route)).toBe(30);
  expect(m.filter((s) => s.name === 'alb_requests_total' && s.labels.listener === 'main')).toHaveLength(1);
  expect(sum(m, 'alb_responses_total', { ...route, code: '200' })).toBe(30);
  expect(sum(m, 'alb_upstream_latency_seconds_count', route)).toBe(30);
  expect(sum(m, 'alb_upstream_latency_seconds_bucket', { ...route, le: '+Inf' })).toBe(30);
  expect(sum(m, 'alb_upstream_latency_seconds_sum', route)).toBeGreaterThan(0);
  expect(sum(m, 'alb_connections_total', { listener: 'main' })).toBe(30);
  expect(sum(m, 'alb_workers')).toBe(2);
});

test('target health gauge and passive failures', async () => {
  const m = await waitFor('health gauge', async () => {
    const s = await scrape();
    return sum(s, 'alb_target_healthy', { backend: 'web', target: 'a' }) === 1 ? s : null;
  }, 5000, 50);
  // Checks are off for "nowhere": its target counts as healthy.
  expect(sum(m, 'alb_target_healthy', { backend: 'nowhere', target: 'gone' })).toBe(1);

  const r = await get(ADDR, PORT_DEAD, '/');
  expect(r.status).toBeGreaterThanOrEqual(500);
  const after = await waitFor('passive failure counter', async () => {
    const s = await scrape();
    return sum(s, 'alb_target_passive_failures_total', { backend: 'nowhere', target: 'gone', reason: 'CONNECT_FAILED' }) >= 1 ? s : null;
  }, 5000, 50);
  const deadResponses = after.filter((s) => s.name === 'alb_responses_total' && s.labels.listener === 'dead');
  expect(deadResponses.reduce((acc, s) => acc + s.value, 0)).toBe(1);
  expect(Number(deadResponses[0].labels.code)).toBeGreaterThanOrEqual(500);
});

test('reloads are counted, failed ones too, and the config hash is exported', async () => {
  const hash = sha256Hex(fs.readFileSync(file));
  let m = await scrape();
  expect(sum(m, 'alb_reloads_total')).toBe(0);
  expect(sum(m, 'alb_config_info', { hash })).toBe(1);

  node.child.kill('SIGHUP');
  await waitFor('reload', async () => (await getJson(ADDR, node.adminPort, '/status')).lastReload?.ok === true, 10_000, 50);
  fs.writeFileSync(file, '{"schemaVersion": 2}');
  node.child.kill('SIGHUP');
  await waitFor('refused reload', async () => (await getJson(ADDR, node.adminPort, '/status')).lastReload?.ok === false, 10_000, 50);
  m = await scrape();
  expect(sum(m, 'alb_reloads_total')).toBe(2);
  expect(sum(m, 'alb_reloads_failed_total')).toBe(1);
  expect(sum(m, 'alb_config_info', { hash })).toBe(1);
});
