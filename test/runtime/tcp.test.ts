/**
 * TCP listeners: bidirectional piping with half-close in both directions, PROXY protocol v1,
 * scheduling per connection, no target → closed, activeConnections → closed at once.
 */
import * as net from 'node:net';
import { backend, lbConfig, listener, target } from './helpers/config';
import { startTcpBackend, TcpBackend } from './helpers/backends';
import { startDataPlane, StartedDataPlane } from './helpers/dataplane';
import { freePort, sleep } from './helpers/net';

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
