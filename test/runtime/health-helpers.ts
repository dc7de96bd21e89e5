import * as http from 'node:http';
import * as net from 'node:net';
import { ChildProcess, spawn } from 'node:child_process';

export { sleep, waitFor } from './helpers/wait';

export interface RecordedRequest { method: string; url: string; host: string | undefined; httpVersion: string; at: number }

/** An HTTP server on `address`:0 answering with `status()`; records every request it gets. */
export async function httpServer(address: string, status: (req: http.IncomingMessage) => number):
  Promise<{ server: http.Server; port: number; requests: RecordedRequest[] }> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host, httpVersion: req.httpVersion, at: Date.now() });
    res.statusCode = status(req);
    res.end('ok');
  });
  await listen(server, address, 0);
  return { server, port: (server.address() as net.AddressInfo).port, requests };
}

/** A TCP server that records connection times and runs `onConnection` for each. */
export async function tcpServer(address: string, port = 0, onConnection: (s: net.Socket) => void = (s) => s.end()):
  Promise<{ server: net.Server; port: number; connections: number[]; sockets: Set<net.Socket> }> {
  const connections: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    connections.push(Date.now());
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onConnection(s);
  });
  await listen(server, address, port);
  return { server, port: (server.address() as net.AddressInfo).port, connections, sockets };
}

export function listen(server: net.Server, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Closes a server and destroys the connections it still holds. */
export async function closeServer(srv: { server: net.Server; sockets?: Set<net.Socket> } | null): Promise<void> {
  if (srv === null) return;
  for (const s of srv.sockets ?? []) s.destroy();
  (srv.server as http.Server).closeAllConnections?.();
  await new Promise<void>((resolve) => srv.server.close(() => resolve()));
}

/** A port on `address` that nothing listens on (bound, then released). */
export async function freePort(address: string): Promise<number> {
  const s = net.createServer();
  await listen(s, address, 0);
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * A listening socket that never accepts, with its accept queue already full: the kernel drops
 * further SYNs, so a connect to it times out (Node always accepts, hence a small Python
 * process). Returns the port and the process to kill.
 */
export async function blackholePort(address: string): Promise<{ port: number; proc: ChildProcess }> {
  const script = [
    'import socket, sys, time',
    's = socket.socket(); s.bind((sys.argv[1], 0)); s.listen(0)',
    'port = s.getsockname()[1]',
    'held = []',
    'for i in range(4):',
    '    c = socket.socket(); c.setblocking(False)',
    '    try: c.connect((sys.argv[1], port))',
    '    except BlockingIOError: pass',
    '    held.append(c)',
    'time.sleep(0.2)',
    'print(port, flush=True)',
    'time.sleep(120)',
  ].join('\n');
  const proc = spawn('python3', ['-c', script, address], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('python3 blackhole did not start within 10 s')), 10_000);
    proc.once('error', reject);
    proc.stdout!.once('data', (d: Buffer) => { clearTimeout(timer); resolve(Number(String(d).trim())); });
  });
  return { port, proc };
}
