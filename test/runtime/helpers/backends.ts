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

/** A request as python3's http.server parsed it. */
export interface PySeenRequest { method: string; url: string; headers: Record<string, string>; body: string }

export interface PythonBackend {
  readonly address: string;
  readonly port: number;
  readonly seen: PySeenRequest[];
  close(): Promise<void>;
}

/**
 * python3's `http.server` (HTTP/1.1, threading) as a lenient target: it executes whatever it
 * parses as a request (it cannot read chunked bodies, so chunk lines become "requests" it
 * answers 400), and records each request it executed — method, target, fields and the
 * Content-Length body — as a JSON line on stdout, before answering 200 `py`.
 */
export async function startPythonBackend(address: string): Promise<PythonBackend> {
  const { spawn } = await import('node:child_process');
  const script = [
    'import json, sys',
    'from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer',
    'class H(BaseHTTPRequestHandler):',
    '    protocol_version = "HTTP/1.1"',
    '    def log_message(self, *a): pass',
    '    def any(self):',
    '        n = int(self.headers.get("Content-Length") or 0)',
    '        body = self.rfile.read(n) if n > 0 else b""',
    '        rec = {"method": self.command, "url": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body.decode("latin1")}',
    '        sys.stdout.write(json.dumps(rec) + "\\n"); sys.stdout.flush()',
    '        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()',
    '        if self.command != "HEAD": self.wfile.write(b"py")',
    'for m in ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE"]: setattr(H, "do_" + m, H.any)',
    's = ThreadingHTTPServer((sys.argv[1], 0), H)',
    's.daemon_threads = True',
    'sys.stdout.write("PORT %d\\n" % s.server_address[1]); sys.stdout.flush()',
    's.serve_forever()',
  ].join('\n');
  const child = spawn('python3', ['-u', '-c', script, address], { stdio: ['ignore', 'pipe', 'inherit'] });
  const seen: PySeenRequest[] = [];
  let buf = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('PORT ')) resolve(Number(line.slice(5)));
        else if (line !== '') seen.push(JSON.parse(line) as PySeenRequest);
      }
    });
  });
  return {
    address,
    port,
    seen,
    close: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    }),
  };
}
