/**
 * TCP listeners: bidirectional piping with half-close in both directions, PROXY protocol v1,
 * scheduling per connection, no target → closed, activeConnections → closed at once; the
 * target → client direction's own read buffers (tunnel-reader.ts): byte-exact bulk and mixed
 * traffic on concurrent tunnels, bounded buffering behind a slow reader, teardown on reset.
 */
import { createHash } from 'node:crypto';
import { sha256Hex } from '../../lib/config/hash';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { backend, lbConfig, listener, target } from './helpers/config';
import { startTcpBackend, TcpBackend } from './helpers/backends';
import { certDir } from './helpers/certs';
import { startDataPlane, StartedDataPlane } from './helpers/dataplane';
import { freePort, sleep } from './helpers/net';
import { MAX_ATTEMPTS } from '../../runtime/proxy/retry-policy';

const LB = '127.0.3.30';
const BE = '127.0.3.31';

const started: StartedDataPlane[] = [];
const closers: TcpBackend[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.dp.close(200)));
  await Promise.all(closers.splice(0).map((b) => b.close()));
});

function connect(port: number, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: LB, port, localAddress, allowHalfOpen: true }, () => resolve(s));
    s.on('error', reject);
  });
}

function readAll(s: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    s.on('data', (c) => { got += c; });
    s.on('end', () => resolve(got));
    s.on('close', () => resolve(got));
  });
}

test('client half-close: the target still answers after the client FIN, then closes', async () => {
  // Collects everything until the client's FIN, then answers with the total and closes.
  const be = await startTcpBackend(BE, (socket, rec) => {
    socket.on('end', () => {
      const total = Buffer.concat(rec).length;
      setTimeout(() => socket.end(`received ${total}`), 50);
    });
  });
  closers.push(be);
  const port = await freePort(LB);
  started.push(await startDataPlane(lbConfig([listener('tcp', port, 'svc', { protocol: 'TCP' })],
    [backend('svc', [target('t', BE, be.port)], { protocol: 'TCP' })]), LB));
  const s = await connect(port);
  const reply = readAll(s);
  s.write(Buffer.alloc(300 * 1024, 7));
  s.end();
  expect(await reply).toBe(`received ${300 * 1024}`);
});

test('target half-close: the client still sends after the target FIN and the target gets it', async () => {
  let afterFin = '';
  const be = await startTcpBackend(BE, (socket) => {
    socket.end('bye-first');
    socket.on('data', (c: Buffer) => { afterFin += c.toString(); });
  });
  closers.push(be);
  const port = await freePort(LB);
  started.push(await startDataPlane(lbConfig([listener('tcp', port, 'svc', { protocol: 'TCP' })],
    [backend('svc', [target('t', BE, be.port)], { protocol: 'TCP' })]), LB));
  const s = await connect(port);
  const got = await new Promise<string>((resolve) => {
    let text = '';
    s.on('data', (c) => { text += c; });
    s.on('end', () => resolve(text));
  });
  expect(got).toBe('bye-first');
  s.end('still-talking');
  for (let i = 0; i < 50 && afterFin === ''; i++) await sleep(20);
  expect(afterFin).toBe('still-talking');
});

test('PROXY protocol v1 header reaches the target before the client bytes', async () => {
  const be = await startTcpBackend(BE, (socket) => { socket.on('end', () => socket.end()); });
  closers.push(be);
  const port = await freePort(LB);
  started.push(await startDataPlane(lbConfig([listener('tcp', port, 'svc', { protocol: 'TCP' })],
    [backend('svc', [target('t', BE, be.port)], { protocol: 'TCP', proxyProtocol: true })]), LB));
  const s = await connect(port, '127.0.3.99');
  const clientPort = s.localPort;
  const done = readAll(s);
  s.end('payload');
  await done;
  const text = Buffer.concat(be.received[0]).toString('latin1');
  expect(text).toBe(`PROXY TCP4 127.0.3.99 ${LB} ${clientPort} ${port}\r\npayload`);
});

test('TCP connections are scheduled by WRR and a dead target is skipped; no target → closed', async () => {
  const a = await startTcpBackend(BE, (socket) => socket.end('A'));
  const b = await startTcpBackend(BE, (socket) => socket.end('B'));
  closers.push(a, b);
  const dead = await freePort(BE);
  const port = await freePort(LB);
  const s = await startDataPlane(lbConfig([listener('tcp', port, 'svc', { protocol: 'TCP' })],
    [backend('svc', [target('a', BE, a.port, 2), target('dead', BE, dead, 1), target('b', BE, b.port, 1)], { protocol: 'TCP' })]), LB);
  started.push(s);
  const got: string[] = [];
  for (let i = 0; i < 8; i++) got.push(await readAll(await connect(port)));
  expect(got.every((x) => x === 'A' || x === 'B')).toBe(true);
  expect(got.filter((x) => x === 'A').length).toBeGreaterThanOrEqual(4);
  expect(s.observer.failures.some((f) => f.targetId === 'dead')).toBe(true);
  await a.close();
  await b.close();
  const sock = await connect(port);
  expect(await readAll(sock)).toBe('');
});

test('activeConnections limit: the connection beyond it is closed at once', async () => {
  const be = await startTcpBackend(BE);
  closers.push(be);
  const port = await freePort(LB);
  started.push(await startDataPlane(lbConfig([listener('tcp', port, 'svc', { protocol: 'TCP', limits: { qps: -1, activeConnections: 2 } })],
    [backend('svc', [target('t', BE, be.port)], { protocol: 'TCP' })]), LB));
  const s1 = await connect(port);
  const s2 = await connect(port);
  await sleep(50);
  const s3 = await connect(port);
  const third = readAll(s3);
  s3.write('x');
  expect(await third).toBe('');
  // The first two still echo.
  const echo = new Promise<string>((resolve) => s1.once('data', (c) => resolve(c.toString())));
  s1.write('ping');
  expect(await echo).toBe('ping');
  s1.destroy();
  s2.destroy();
});

test('idle timeout closes a silent TCP connection', async () => {
  const be = await startTcpBackend(BE);
  closers.push(be);
  const port = await freePort(LB);
  started.push(await startDataPlane(lbConfig([listener('tcp', port, 'svc', { protocol: 'TCP', idleTimeoutMs: 300 })],
    [backend('svc', [target('t', BE, be.port)], { protocol: 'TCP' })]), LB));
  const s = await connect(port);
  const t0 = Date.now();
  await readAll(s);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  expect(Date.now() - t0).toBeLessThan(5000);
});

/** Deterministic bytes, different per seed (xorshift32), so a misplaced chunk changes the hash. */
function pattern(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed | 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b.writeInt32LE(x | 0, i);
  }
  for (let i = size - (size % 4); i < size; i++) b[i] = i & 0xff;
  return b;
}

/** A small pseudo-random generator for test timing and sizes, reproducible per seed. */
function rng(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

test('bulk and mixed traffic on 3 concurrent tunnels arrives byte-exact while clients stall at random', async () => {
  // Each target connection sends 12 MiB of its own pattern in chunks from 1 byte to 600 KiB,
  // sometimes waiting a little: the proxy switches between its shared buffer (small reads,
  // copied) and a private bulk buffer (big reads, handed to the client without a copy),
  // and the clients' stalls leave writes queued, so a read must never land in a buffer a
  // queued write still points into.
  const SIZE = 12 * 1024 * 1024;
  const sent: string[] = [];
  const be = await startTcpBackend(BE, (socket) => {
    const seed = sent.length + 1;
    const data = pattern(SIZE, seed);
    sent.push(sha256Hex(data));
    const rand = rng(seed * 7919);
    let off = 0;
    const pump = (): void => {
      while (off < SIZE) {
        const r = rand();
        const len = Math.min(SIZE - off, r < 0.3 ? 1 + Math.floor(rand() * 2000) : Math.floor(rand() * 600 * 1024) + 1);
        const ok = socket.write(data.subarray(off, off + len));
        off += len;
        if (rand() < 0.05) { setTimeout(pump, 1); return; }
        if (!ok) { socket.once('drain', pump); return; }
      }
      socket.end();
    };
    socket.once('data', pump);
  });
  closers.push(be);
  const port = await freePort(LB);
  started.push(await startDataPlane(lbConfig([listener('tcp', port, 'svc', { protocol: 'TCP' })],
    [backend('svc', [target('t', BE, be.port)], { protocol: 'TCP' })]), LB));
  const download = async (i: number): Promise<{ hash: string; bytes: number }> => {
    const s = await connect(port);
    const hash = createHash('sha256');
    const rand = rng(i * 104729);
    let bytes = 0;
    return new Promise((resolve, reject) => {
      s.on('data', (c: Buffer) => {
        hash.update(c);
        bytes += c.length;
        if (rand() < 0.02) {
          s.pause();
          setTimeout(() => s.resume(), 1 + Math.floor(rand() * 20));
        }
      });
      s.on('end', () => { s.end(); resolve({ hash: hash.digest('hex'), bytes }); });
      s.on('error', reject);
      s.write('go');
    });
  };
  const got = await Promise.all([1, 2, 3].map((i) => download(i)));
  expect(got.map((g) => g.bytes)).toEqual([SIZE, SIZE, SIZE]);
  // Which target connection served which client is the proxy's order: compare as sets.
  expect(got.map((g) => g.hash).sort()).toEqual([...sent].sort());
}, 30000);

test('a slow reader: the proxy stops reading from the target instead of buffering, then delivers everything', async () => {
  // The target writes 128 MiB as fast as the proxy accepts it. While the client reads nothing
  // and then only 64 KiB every 20 ms, the bytes the target got rid of minus the bytes the
  // client received are what sits in kernel socket buffers plus the proxy's own buffering. A
  // proxy that kept reading into memory would take all 128 MiB; with backpressure the target
  // stalls with the kernel buffers full (a few MiB each here) and the proxy holds at most one
  // chunk (≤ 512 KiB).
  const SIZE = 128 * 1024 * 1024;
  const block = Buffer.alloc(1024 * 1024, 0x5a);
  let targetSocket: net.Socket | null = null;
  let targetDone = false;
  const be = await startTcpBackend(BE, (socket) => {
    targetSocket = socket;
    let left = SIZE;
    const pump = (): void => {
      while (left > 0) {
        left -= block.length;
        if (!socket.write(block)) { socket.once('drain', pump); return; }
      }
      socket.end(() => { targetDone = true; });
    };
    pump();
  });
  closers.push(be);
  const port = await freePort(LB);
  started.push(await startDataPlane(lbConfig([listener('tcp', port, 'svc', { protocol: 'TCP' })],
    [backend('svc', [target('t', BE, be.port)], { protocol: 'TCP' })]), LB));
  const s = await connect(port);
  s.pause();
  let received = 0;
  // Bytes the target's kernel accepted: written by the socket minus what still waits in it.
  const accepted = (): number => (targetSocket === null ? 0 : targetSocket.bytesWritten - targetSocket.writableLength);
  // Phase 1: no reading until the target stops making progress (bounded wait).
  let last = -1;
  for (let i = 0; i < 100; i++) {
    await sleep(50);
    if (targetSocket !== null && accepted() === last) break;
    last = accepted();
  }
  const stalledAt = accepted();
  expect(stalledAt).toBeGreaterThan(0);
  expect(targetDone).toBe(false);
  expect(stalledAt - received).toBeLessThan(64 * 1024 * 1024);
  // Phase 2: a slow reader; the amount in transit stays bounded all along.
  let maxInTransit = stalledAt;
  for (let i = 0; i < 40; i++) {
    const c = s.read(64 * 1024) as Buffer | null;
    if (c !== null) received += c.length;
    maxInTransit = Math.max(maxInTransit, accepted() - received);
    await sleep(20);
  }
  expect(received).toBeGreaterThan(0);
  expect(maxInTransit).toBeLessThan(64 * 1024 * 1024);
  expect(targetDone).toBe(false);
  // Phase 3: read at full speed; everything arrives and the FIN follows.
  const rest = await new Promise<number>((resolve) => {
    let n = 0;
    s.on('data', (c: Buffer) => { n += c.length; });
    s.on('end', () => resolve(n));
    s.resume();
  });
  expect(received + rest).toBe(SIZE);
  s.destroy();
}, 30000);

test('a target reset in the middle of a download closes the client connection too', async () => {
  const be = await startTcpBackend(BE, (socket) => {
    socket.write(Buffer.alloc(2 * 1024 * 1024, 1), () => setTimeout(() => socket.resetAndDestroy(), 20));
  });
  closers.push(be);
  const port = await freePort(LB);
  const s0 = await startDataPlane(lbConfig([listener('tcp', port, 'svc', { protocol: 'TCP', idleTimeoutMs: 60000 })],
    [backend('svc', [target('t', BE, be.port)], { protocol: 'TCP' })]), LB);
  started.push(s0);
  const s = await connect(port);
  let got = 0;
  s.on('data', (c: Buffer) => { got += c.length; });
  const t0 = Date.now();
  // The proxy destroys its client socket: the client sees its end (FIN, or a reset if bytes
  // were still unsent), well before the 60 s idle timeout.
  await new Promise<void>((resolve) => { s.on('end', resolve); s.on('close', () => resolve()); s.on('error', () => undefined); });
  expect(Date.now() - t0).toBeLessThan(10000);
  expect(got).toBeLessThanOrEqual(2 * 1024 * 1024);
  // Both proxy sides are closed: the tunnel reported its end (the client never ended its side).
  for (let i = 0; i < 100 && s0.observer.requests.length === 0; i++) await sleep(20);
  expect(s0.observer.requests.length).toBe(1);
  s.destroy();
});

test('a client that goes away in the middle of a download: the target connection is closed', async () => {
  let targetClosed = (): void => undefined;
  const closedPromise = new Promise<void>((resolve) => { targetClosed = resolve; });
  const be = await startTcpBackend(BE, (socket) => {
    const block = Buffer.alloc(256 * 1024, 2);
    const pump = (): void => {
      while (!socket.destroyed && socket.write(block)) { /* fill until backpressure */ }
      if (!socket.destroyed) socket.once('drain', pump);
    };
    pump();
    socket.on('close', () => targetClosed());
  });
  closers.push(be);
  const port = await freePort(LB);
  started.push(await startDataPlane(lbConfig([listener('tcp', port, 'svc', { protocol: 'TCP', idleTimeoutMs: 60000 })],
    [backend('svc', [target('t', BE, be.port)], { protocol: 'TCP' })]), LB));
  const s = await connect(port);
  await new Promise<void>((resolve) => s.once('data', () => resolve()));
  const t0 = Date.now();
  s.destroy();
  await closedPromise;
  expect(Date.now() - t0).toBeLessThan(10000);
});

test('TLS listener → TCP target: a 16 MiB download arrives byte-exact (target bytes go to a TLS socket)', async () => {
  const certs = certDir();
  try {
    const SIZE = 16 * 1024 * 1024;
    const data = pattern(SIZE, 99);
    const be = await startTcpBackend(BE, (socket) => { socket.once('data', () => socket.end(data)); });
    closers.push(be);
    const port = await freePort(LB);
    started.push(await startDataPlane(lbConfig([listener('tls', port, 'svc', { protocol: 'TLS', tls: {
      defaultCertificates: [certs.make('tcp-tls', 'tcp.example.test')], sniCertificates: [],
      minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: null,
    } })], [backend('svc', [target('t', BE, be.port)], { protocol: 'TCP' })]), LB));
    const got = await new Promise<{ hash: string; bytes: number }>((resolve, reject) => {
      const hash = createHash('sha256');
      let bytes = 0;
      const s = tls.connect({ host: LB, port, servername: 'tcp.example.test', rejectUnauthorized: false }, () => s.write('go'));
      s.on('data', (c: Buffer) => { hash.update(c); bytes += c.length; });
      s.on('end', () => { s.end(); resolve({ hash: hash.digest('hex'), bytes }); });
      s.on('error', reject);
    });
    expect(got.bytes).toBe(SIZE);
    expect(got.hash).toBe(sha256Hex(data));
  } finally {
    certs.remove();
  }
}, 30000);

test('a connection tries at most MAX_ATTEMPTS targets, on TCP listeners and HTTP upgrades alike (as HTTP requests)', async () => {
  const dead: number[] = [];
  for (let i = 0; i < 8; i++) dead.push(await freePort(BE));
  const tcpPort = await freePort(LB);
  const httpPort = await freePort(LB);
  const targets = dead.map((p, i) => target(`dead${i}`, BE, p));
  const s = await startDataPlane(lbConfig([
    listener('tcp', tcpPort, 'tcp-svc', { protocol: 'TCP' }),
    listener('http', httpPort, 'http-svc'),
  ], [backend('tcp-svc', targets, { protocol: 'TCP' }), backend('http-svc', targets)]), LB);
  started.push(s);
  expect(await readAll(await connect(tcpPort))).toBe('');
  expect(s.observer.failures.filter((f) => f.backendId === 'tcp-svc')).toHaveLength(MAX_ATTEMPTS);
  const up = await connect(httpPort);
  up.write('GET /ws HTTP/1.1\r\nHost: lb.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
  expect(await readAll(up)).toMatch(/^HTTP\/1\.1 502 /);
  expect(s.observer.failures.filter((f) => f.backendId === 'http-svc')).toHaveLength(MAX_ATTEMPTS);
});
