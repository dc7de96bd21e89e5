/**
 * Real backend servers for runtime tests. Each records what it received so a test can assert
 * what crossed the proxy, and can be stopped hard (every socket destroyed) to simulate a dead
 * target.
 */
import * as http from 'node:http';
import * as net from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

export interface HttpBackend {
  readonly name: string;
  readonly address: string;
  port: number;
  readonly seen: SeenRequest[];
  readonly server: http.Server;
  /** Stops listening and destroys every connection (a dead target). */
  kill(): Promise<void>;
  /** Listens again on the same port after kill(). */
  revive(): Promise<void>;
  close(): Promise<void>;
}

export type BackendHandler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

/** Default answer: 200 with the backend's name as the body and in `x-backend`. */
function defaultHandler(name: string): BackendHandler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name });
    res.end(name);
  };
}

/**
 * Starts an HTTP backend on `address` (port 0 = any). With `streaming`, the handler is called
 * as soon as the headers arrive (body not collected) so it can stream itself.
 */
export async function startHttpBackend(name: string, address: string, handler?: BackendHandler,
  opts: { port?: number; streaming?: boolean } = {}): Promise<HttpBackend> {
  const sockets = new Set<net.Socket>();
  const seen: SeenRequest[] = [];
  const h = handler ?? defaultHandler(name);
  const server = http.createServer((req, res) => {
    const rec: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.alloc(0) };
    seen.push(rec);
    if (opts.streaming) {
      h(req, res, Buffer.alloc(0));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      rec.body = Buffer.concat(chunks);
      h(req, res, rec.body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const listen = (port: number): Promise<number> => new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.removeListener('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
  const backend: HttpBackend = {
    name,
    address,
    port: await listen(opts.port ?? 0),
    seen,
    server,
    kill: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    }),
    revive: async () => {
      await listen(backend.port);
    },
    close: () => backend.kill(),
  };
  return backend;
}

export interface TcpBackend {
  readonly address: string;
  readonly port: number;
  /** Everything each connection received, in connection order. */
  readonly received: Buffer[][];
  close(): Promise<void>;
}

/**
 * TCP backend: `onConnection` decides what to do with each socket; by default it echoes and
 * half-closes when the client does.
 */
export async function startTcpBackend(address: string,
  onConnection?: (socket: net.Socket, received: Buffer[]) => void): Promise<TcpBackend> {
  const sockets = new Set<net.Socket>();
  const received: Buffer[][] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const rec: Buffer[] = [];
    received.push(rec);
    socket.on('data', (c: Buffer) => rec.push(c));
    if (onConnection) onConnection(socket, rec);
    else socket.pipe(socket);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve((server.address() as net.AddressInfo).port));
  });
  return {
    address,
    port,
    received,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

export interface BlackholeTarget {
  readonly port: number;
  close(): void;
}

/**
 * A target whose connects time out: a listening socket with backlog 0 that never accepts
 * (python3, since Node always accepts), with its one queue slot taken by a filler connection,
 * so the kernel drops further SYNs and a connect hangs until the proxy's connect timeout.
 */
export async function startBlackholeTarget(address: string): Promise<BlackholeTarget> {
  const { spawn } = await import('node:child_process');
  const child = spawn('python3', ['-c', [
    'import socket,sys,time',
    's=socket.socket(); s.bind((sys.argv[1],0)); s.listen(0)',
    'print(s.getsockname()[1], flush=True)',
    'time.sleep(120)',
  ].join('\n'), address], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  const filler = net.connect({ host: address, port });
  filler.on('error', () => undefined);
  await new Promise((r) => filler.once('connect', r));
  return {
    port,
    close: () => {
      filler.destroy();
      child.kill('SIGKILL');
    },
  };
}
