/**
 * WebSocket (HTTP Upgrade) tunnelling through the data plane, with the ws package on both ends.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { backend, lbConfig, listener, target } from './helpers/config';
import { startDataPlane, StartedDataPlane } from './helpers/dataplane';
import { freePort, rawExchange } from './helpers/net';

const LB = '127.0.3.50';
const BE = '127.0.3.51';

const started: StartedDataPlane[] = [];
const servers: http.Server[] = [];
/** Sockets a test backend took over in 'upgrade' (node:http no longer tracks them). */
const upgraded: net.Socket[] = [];
afterEach(async () => {
  for (const s of upgraded.splice(0)) s.destroy();
  await Promise.all(started.splice(0).map((s) => s.dp.close(200)));
  const list = servers.splice(0);
  for (const s of list) s.closeAllConnections();
  await Promise.all(list.map((s) => new Promise((r) => s.close(r))));
});

interface WsBackend { port: number; upgrades: http.IncomingHttpHeaders[] }

async function wsEchoBackend(name: string): Promise<WsBackend> {
  const server = http.createServer((_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server });
  const upgrades: http.IncomingHttpHeaders[] = [];
  wss.on('connection', (ws, req) => {
    upgrades.push(req.headers);
    ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `${name}:${data.toString()}`, { binary: isBinary }));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, BE, () => r()));
  return { port: (server.address() as AddressInfo).port, upgrades };
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function next(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, binary) => resolve({ data: data as Buffer, binary })));
}

test('WebSocket echo through the proxy, text and a 1 MiB binary frame; headers forwarded', async () => {
  const be = await wsEchoBackend('be1');
  const port = await freePort(LB);
  started.push(await startDataPlane(lbConfig([listener('l', port, 'web')], [backend('web', [target('w', BE, be.port)])]), LB));
  const ws = await open(`ws://${LB}:${port}/chat`);
  const m1 = next(ws);
  ws.send('hello');
  expect((await m1).data.toString()).toBe('be1:hello');
  const big = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 256;
  const m2 = next(ws);
  ws.send(big);
  const got = await m2;
  expect(got.binary).toBe(true);
  expect(Buffer.compare(got.data, big)).toBe(0);
  await new Promise((r) => { ws.once('close', r); ws.close(); });
  expect(be.upgrades[0]['x-forwarded-for']).toBe('127.0.0.1');
  expect(be.upgrades[0].upgrade).toBe('websocket');
  expect(String(be.upgrades[0].connection).toLowerCase()).toBe('upgrade');
});

test('an upgrade to a dead target is retried on a live one; none left → 503', async () => {
  const be = await wsEchoBackend('live');
  const dead = await freePort(BE);
  const port = await freePort(LB);
  started.push(await startDataPlane(lbConfig([listener('l', port, 'web')], [backend('web', [target('dead', BE, dead), target('live', BE, be.port)])]), LB));
  for (let i = 0; i < 3; i++) {
    const ws = await open(`ws://${LB}:${port}/`);
    const m = next(ws);
    ws.send(`n${i}`);
    expect((await m).data.toString()).toBe(`live:n${i}`);
    ws.terminate();
  }
  for (const s of servers.splice(0)) { s.closeAllConnections(); s.close(); }
  const r = await rawExchange(LB, port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
  expect(r.response).toMatch(/^HTTP\/1\.1 50[23] /);
  expect(r.closed).toBe(true);
});

test('a refused upgrade is relayed; bytes after the head never go down the upgrade connection but are the client\'s next request', async () => {
  // A target that answers every request 200 and would happily parse what follows.
  const requests: string[] = [];
  const afterHead: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url} xff=${req.headers['x-forwarded-for']}`);
    res.end('no upgrade here');
  });
  server.on('upgrade', (req, socket) => {
    upgraded.push(socket as net.Socket);
    requests.push(`${req.method} ${req.url} (upgrade)`);
    socket.on('data', (c: Buffer) => afterHead.push(c.toString('latin1')));
    socket.write('HTTP/1.1 200 OK\r\ncontent-length: 15\r\n\r\nno upgrade here');
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, BE, () => r()));
  const port = await freePort(LB);
  started.push(await startDataPlane(lbConfig([listener('l', port, 'web')],
    [backend('web', [target('p', BE, (server.address() as AddressInfo).port)])]), LB));
  const r = await rawExchange(LB, port, 'GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n'
    + 'GET /next HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n', 1000);
  const statuses = [...r.response.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  expect(statuses).toEqual([200, 200]);
  expect(afterHead).toEqual([]);
  expect(requests).toEqual(['GET /up (upgrade)', 'GET /next xff=6.6.6.6, 127.0.0.1']);
});
