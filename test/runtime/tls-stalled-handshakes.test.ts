/**
 * A runtime worker under a flood of TLS handshakes that never complete (5,000 connections
 * that each send the first bytes of a ClientHello and then nothing): its memory stays bounded
 * while it holds them, and the handshake timeout closes every one of them.
 */
import * as fs from 'fs';
import * as net from 'net';
import { certDir, CertDir } from './helpers/certs';
import { PARTIAL_CLIENT_HELLO } from './helpers/net';
import {
  backend, ensureBundle, getJson, killAllStarted, lbConfig, listener, RunningNode, startBackend, startNode, tempDir,
  TestBackend, waitFor, writeJson,
} from './cli-helpers';

jest.setTimeout(90_000);

const ADDR = '127.0.4.7';
const PORT = 18097;
const STALLED = 5000;
const RSS_LIMIT_MIB = 100;

let dir: string;
let certs: CertDir;
let app: TestBackend;
let node: RunningNode;

beforeAll(async () => {
  ensureBundle();
  dir = tempDir('tls-stalled');
  certs = certDir();
  app = await startBackend('app');
  const cert = certs.make('lb', 'lb.test', 'ec');
  const file = writeJson(dir, 'c.json', lbConfig(ADDR, [listener('https', PORT, 'web', {
    protocol: 'HTTPS',
    // Handshake timeout = min(idle, 10 s) = 10 s: long enough to hold them all while measuring.
    idleTimeoutMs: 30_000,
    tls: { defaultCertificates: [cert], sniCertificates: [], minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: null },
  })], [backend('web', [{ id: 'app', port: app.port }])]));
  node = await startNode(['run', '--config', file, '--bind', ADDR, '--workers', '1', '--access-log', 'off'], { adminHost: ADDR });
});

afterAll(async () => {
  killAllStarted();
  await app.close();
  certs.remove();
  fs.rmSync(dir, { recursive: true, force: true });
});

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) / 1024;
}

function establishedTo(port: number): number {
  // /proc/net/tcp: local address:port in hex, state 01 = ESTABLISHED.
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return fs.readFileSync('/proc/net/tcp', 'utf8').split('\n')
    .filter((l) => { const f = l.trim().split(/\s+/); return f[1]?.endsWith(hex) && f[3] === '01'; }).length;
}

test(`a worker holding ${STALLED} stalled TLS handshakes stays under ${RSS_LIMIT_MIB} MiB RSS and closes them at the handshake timeout`, async () => {
  const status = await getJson(ADDR, node.adminPort, '/status');
  const worker: number = status.workers[0].pid;
  const before = rssMiB(worker);
  const sockets: net.Socket[] = [];
  let closed = 0;
  const t0 = Date.now();
  try {
    for (let i = 0; i < STALLED; i += 250) {
      await Promise.all(Array.from({ length: Math.min(250, STALLED - i) }, () => new Promise<void>((resolve) => {
        const s = net.connect({ host: ADDR, port: PORT }, () => { s.write(PARTIAL_CLIENT_HELLO); resolve(); });
        s.on('error', () => resolve());
        s.on('close', () => { closed++; });
        sockets.push(s);
      })));
    }
    const openedMs = Date.now() - t0;
    // Let the worker accept and read them all.
    await waitFor('connections established', () => establishedTo(PORT) >= STALLED * 0.98 || null, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    const held = rssMiB(worker);
    process.stdout.write(`worker RSS ${before.toFixed(1)} MiB idle, ${held.toFixed(1)} MiB holding ${STALLED} stalled handshakes (opened in ${openedMs} ms)\n`);
    expect(closed).toBe(0);
    expect(held).toBeLessThan(RSS_LIMIT_MIB);
    // The handshake timeout (10 s, checked per connection) closes all of them.
    await waitFor('all stalled handshakes closed', () => closed === STALLED || null, 20_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(10_000);
  } finally {
    for (const s of sockets) s.destroy();
  }
});
