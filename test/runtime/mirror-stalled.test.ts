/**
 * A mirror target that accepts connections and never reads, behind a real node (CLI, one
 * worker): mirrored 16 MiB POSTs are served as fast as unmirrored ones (the copy never pushes
 * back on the client), each stalled copy is cut once its backlog passes the bound and is
 * counted in /metrics as `slow`.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { MIRROR_BACKLOG_BYTES } from '../../runtime/proxy/mirror';
import {
  backend, ensureBundle, get, killAllStarted, lbConfig, listener, RunningNode, startNode, tempDir, waitFor, writeJson,
} from './cli-helpers';
import { freePort } from './helpers/net';

jest.setTimeout(60_000);

const ADDR = '127.0.22.20';
const BE = '127.0.22.21';
const BODY = randomBytes(16 * 1024 * 1024);
const RUNS = 3;

let dir: string;
let node: RunningNode;
let web: http.Server;
let webBodies: number[] = [];
let shadow: net.Server;
const stalled = new Set<net.Socket>();
let port: number;

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, BE, () => resolve((server.address() as net.AddressInfo).port)));
}

beforeAll(async () => {
  ensureBundle();
  dir = tempDir('mirror-stalled');
  web = http.createServer((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => { n += c.length; });
    req.on('end', () => { webBodies.push(n); res.end('web'); });
  });
  // Accepts and never reads: what it is sent fills the socket buffers and then waits.
  shadow = net.createServer((socket) => {
    socket.pause();
    stalled.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => stalled.delete(socket));
  });
  const [webPort, shadowPort] = [await listen(web), await listen(shadow)];
  port = await freePort(ADDR);
  const doc = lbConfig(ADDR, [listener('l', port, 'web', { urlMap: 'site' })], [
    backend('web', [{ id: 'w', address: BE, port: webPort }]),
    backend('shadow', [{ id: 's', address: BE, port: shadowPort }], { timeouts: { connectTimeoutMs: 1000, responseTimeoutMs: 30_000 } }),
  ], {
    urlMaps: [{ id: 'site', path: 'stack/lb/site', rules: [{
      id: 'm', host: null, path: '/m/*', action: { type: 'forward', backendService: 'web', redirect: null, fixedResponse: null },
      rewrite: null, requestHeaders: null, responseHeaders: null, mirror: 'shadow', mirrorMaxBodyBytes: 64 * 1024 * 1024,
    }] }],
  });
  const file = writeJson(dir, 'c.json', doc);
  node = await startNode(['run', '--config', file, '--bind', ADDR, '--workers', '1', '--access-log', 'off'], { adminHost: ADDR });
});

afterAll(async () => {
  killAllStarted();
  for (const s of stalled) s.destroy();
  await new Promise((r) => shadow.close(r));
  web.closeAllConnections();
  await new Promise((r) => web.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** POSTs the 16 MiB body to `path` and resolves with the response and the time it took. */
function timedPost(path: string): Promise<{ status: number; body: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: ADDR, port, path, method: 'POST', agent: false, headers: { 'content-length': BODY.length } }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function mirrorCopies(metrics: string, outcome: string): number {
  const m = new RegExp(`^alb_mirror_copies_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\d+)$`, 'm').exec(metrics);
  return m === null ? 0 : Number(m[1]);
}

test('a mirror that never reads neither slows nor fails the client; its copies are cut and counted as slow', async () => {
  const plain: number[] = [];
  const mirrored: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternated, so machine noise falls on both alike.
    const a = await timedPost('/plain');
    const b = await timedPost(`/m/${i}`);
    expect([a.status, a.body, b.status, b.body]).toEqual([200, 'web', 200, 'web']);
    plain.push(a.ms);
    mirrored.push(b.ms);
  }
  expect(webBodies).toEqual(Array(2 * RUNS).fill(BODY.length));
  console.log(`16 MiB POST, median of ${RUNS}: without mirror ${median(plain).toFixed(0)} ms, with a stalled mirror ${median(mirrored).toFixed(0)} ms`);
  expect(median(mirrored)).toBeLessThan(median(plain) * 2 + 250);
  const metrics = await waitFor('the cut copies in /metrics', async () => {
    const r = await get(ADDR, node.adminPort, '/metrics');
    return mirrorCopies(r.body, 'slow') === RUNS ? r.body : null;
  }, 10_000, 100);
  expect(mirrorCopies(metrics, 'completed')).toBe(0);
  // Cut, not left to time out: the mirror's connections are closed by the proxy. The proxy's
  // FIN waits behind the bytes the stalled target never read, so the target reads again (and
  // drops) to find it; a copy that was not cut would stay open, waiting for the rest.
  for (const socket of stalled) socket.resume();
  await waitFor('the stalled connections closed', () => stalled.size === 0 || null, 5000, 50);
  expect(MIRROR_BACKLOG_BYTES).toBeLessThan(BODY.length);
});
