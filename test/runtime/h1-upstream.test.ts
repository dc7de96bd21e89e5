/**
 * The raw HTTP/1.1 upstream client (runtime/proxy/h1-upstream.ts) against a real socket server
 * that answers with canned bytes: response framing, reuse of connections, and the responses a
 * target must not get through (bad framing, unrequested bytes, header floods).
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { AddressInfo } from 'node:net';
import { UpstreamError, UpstreamHandler, UpstreamPool, UpstreamRequest } from '../../runtime/proxy/h1-upstream';
import { RequestBody } from '../../runtime/proxy/request-body';

/** A RequestBody fed from a node:http request stream (the runtime feeds it from its own parser). */
function bodyOf(stream: http.IncomingMessage): RequestBody {
  const body = new RequestBody({ pauseBody: () => stream.pause(), resumeBody: () => stream.resume() });
  stream.on('data', (d: Buffer) => body.push(d));
  stream.on('end', () => body.end());
  stream.on('close', () => body.abort());
  return body;
}

const HOST = '127.0.0.1';

interface Outcome {
  connected: boolean;
  status: number;
  headers: string[];
  body: string;
  error: string | null;
}

/** Runs one request through `pool` and resolves with what the handler saw. */
function run(pool: UpstreamPool, request: Partial<UpstreamRequest> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { connected: false, status: 0, headers: [], body: '', error: null };
    const handler: UpstreamHandler = {
      onConnect: () => { out.connected = true; },
      onHeaders: (status, headers) => { out.status = status; out.headers = headers; return true; },
      onData: (chunk) => { out.body += chunk.toString('latin1'); return true; },
      onComplete: () => resolve(out),
      onError: (err) => { out.error = (err as NodeJS.ErrnoException).code ?? err.message; resolve(out); },
    };
    pool.dispatch({ method: 'GET', path: '/', headers: ['host', 'example.test'], body: null, timeoutMs: 2000, ...request }, handler);
  });
}

/** A target that answers every request head it reads with `answer(head)` (raw bytes). */
class CannedTarget {
  readonly heads: string[] = [];
  connections = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly answer: (head: string, socket: net.Socket) => void) {
    this.server = net.createServer((socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let buffered = '';
      socket.on('data', (d) => {
        buffered += d.toString('latin1');
        let end: number;
        while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
          const head = buffered.slice(0, end);
          buffered = buffered.slice(end + 4);
          this.heads.push(head);
          this.answer(head, socket);
        }
      });
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, HOST, r));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const targets: CannedTarget[] = [];
const pools: UpstreamPool[] = [];
const servers: http.Server[] = [];

async function poolFor(answer: (head: string, socket: net.Socket) => void): Promise<[UpstreamPool, CannedTarget]> {
  const target = new CannedTarget(answer);
  targets.push(target);
  const port = await target.listen();
  const pool = new UpstreamPool(HOST, port, 1000, 16 * 1024);
  pools.push(pool);
  return [pool, target];
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
  await Promise.all(targets.splice(0).map((t) => t.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => { s.closeAllConnections(); s.close(r); })));
});

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello';

test('keep-alive: sequential requests reuse one connection; the head is written as given', async () => {
  const [pool, target] = await poolFor((_h, s) => s.write(OK));
  for (let i = 0; i < 5; i++) {
    const r = await run(pool, { path: `/p${i}?q=1`, headers: ['Host', 'a.test', 'X-Custom', 'v v'] });
    expect(r).toEqual({ connected: true, status: 200, headers: ['Content-Length', '5', 'X-A', '1'], body: 'hello', error: null });
  }
  expect(target.connections).toBe(1);
  expect(target.heads[3]).toBe('GET /p3?q=1 HTTP/1.1\r\nHost: a.test\r\nX-Custom: v v');
});

test('a request without Host gets the target address as Host', async () => {
  const [pool, target] = await poolFor((_h, s) => s.write(OK));
  await run(pool, { headers: [] });
  expect(target.heads[0]).toMatch(/^GET \/ HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+$/);
});

test('chunked, close-delimited, HEAD, 204 and 1xx-before-final responses are framed correctly', async () => {
  const [pool] = await poolFor((head, s) => {
    const path = head.split(' ')[1];
    if (path === '/chunked') s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n');
    else if (path === '/close') s.end('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end');
    else if (path === '/head') s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n');
    else if (path === '/204') s.write('HTTP/1.1 204 No Content\r\n\r\n');
    else s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n' + OK);
  });
  expect(await run(pool, { path: '/chunked' })).toMatchObject({ status: 200, body: 'abcde', error: null });
  expect(await run(pool, { path: '/close' })).toMatchObject({ status: 200, body: 'until the end', error: null });
  expect(await run(pool, { path: '/head', method: 'HEAD' })).toMatchObject({ status: 200, body: '', error: null });
  expect(await run(pool, { path: '/204' })).toMatchObject({ status: 204, body: '', error: null });
  expect(await run(pool, { path: '/1xx' })).toMatchObject({ status: 200, body: 'hello', error: null });
});

test('a request body is streamed with its Content-Length, or chunked when it has none', async () => {
  const seen: string[] = [];
  const target = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      seen.push(`${req.headers['content-length'] ?? '-'}|${req.headers['transfer-encoding'] ?? '-'}|${body}`);
      res.end('ok');
    });
  });
  servers.push(target);
  await new Promise<void>((r) => target.listen(0, HOST, r));
  const pool = new UpstreamPool(HOST, (target.address() as AddressInfo).port, 1000, 16 * 1024);
  pools.push(pool);
  // The client side: a real request stream feeding the body.
  const front = http.createServer(async (req, res) => {
    const hasCl = req.headers['content-length'] !== undefined;
    const r = await run(pool, { method: 'POST', headers: hasCl ? ['content-length', req.headers['content-length'] as string] : [], body: bodyOf(req) });
    res.end(`${r.status}:${r.body}:${r.error}`);
  });
  servers.push(front);
  await new Promise<void>((r) => front.listen(0, HOST, r));
  const port = (front.address() as AddressInfo).port;
  const post = (chunks: string[], length: number | null): Promise<string> => new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port, method: 'POST', headers: length === null ? {} : { 'content-length': length } }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => { b += d.toString(); });
      res.on('end', () => resolve(b));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
  expect(await post(['abc', 'def'], 6)).toBe('200:ok:null');
  expect(await post(['x'.repeat(70_000), 'yz'], null)).toBe('200:ok:null');
  expect(seen[0]).toBe('6|-|abcdef');
  expect(seen[1]).toBe(`-|chunked|${'x'.repeat(70_000)}yz`);
});

test.each([
  ['conflicting Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'],
  ['Content-Length with Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
  ['obs-fold header', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\nContent-Length: 0\r\n\r\n'],
  ['space before colon', 'HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello'],
  ['not HTTP at all', 'SSH-2.0-OpenSSH_9.2\r\n\r\n'],
  ['header block over the limit', `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\nContent-Length: 0\r\n\r\n`],
  ['unrequested 101', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n'],
])('a response with %s is refused before anything reaches the handler', async (_name, bytes) => {
  const [pool] = await poolFor((_h, s) => s.write(bytes));
  const r = await run(pool);
  expect(r.status).toBe(0);
  expect(r.error).toBe(UpstreamError.BAD_RESPONSE);
});

test('a body with broken chunk framing fails after the headers (the proxy then breaks the client message)', async () => {
  const [pool, target] = await poolFor((_h, s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\nhello\r\n0\r\n\r\n'));
  expect(await run(pool)).toMatchObject({ status: 200, body: 'abc', error: UpstreamError.BAD_RESPONSE });
  expect(await run(pool)).toMatchObject({ status: 200, error: UpstreamError.BAD_RESPONSE });
  expect(target.connections).toBe(2);
});

test('bytes after a complete response: the response is delivered, the connection is not reused', async () => {
  const [pool, target] = await poolFor((_h, s) => s.write(`${OK}HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil`));
  expect(await run(pool)).toMatchObject({ status: 200, body: 'hello', error: null });
  expect(await run(pool)).toMatchObject({ status: 200, body: 'hello', error: null });
  expect(target.connections).toBe(2);
});

test('a second answer arriving after the response, while the connection idles, closes it (never crashes)', async () => {
  // Like python's http.server answering a chunked POST, then its chunk lines with a 400.
  const [pool, target] = await poolFor((_h, s) => {
    s.write(OK);
    setTimeout(() => s.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'), 30);
  });
  const first = await run(pool);
  expect(first.body).toBe('hello');
  await new Promise((r) => setTimeout(r, 100));
  const second = await run(pool);
  expect(second).toEqual({ connected: true, status: 200, headers: ['Content-Length', '5', 'X-A', '1'], body: 'hello', error: null });
  expect(target.connections).toBe(2);
});

test('a body cut short by the target fails after the headers; a silent target times out', async () => {
  const [pool] = await poolFor((head, s) => {
    if (head.startsWith('GET /short')) s.end('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly this');
  });
  expect(await run(pool, { path: '/short' })).toMatchObject({ status: 200, body: 'only this', error: UpstreamError.CLOSED_EARLY });
  expect(await run(pool, { path: '/silent', timeoutMs: 300 })).toMatchObject({ connected: true, status: 0, error: UpstreamError.HEADERS_TIMEOUT });
});

test('the timeout is inactivity: a body that keeps coming for longer than it completes; a stall fails', async () => {
  const [pool] = await poolFor((head, s) => {
    let n = 0;
    s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n');
    // One byte every 100 ms: 1 s in all, three times the 300 ms timeout.
    const t = setInterval(() => {
      if (s.destroyed || (head.startsWith('GET /stall') && n === 3)) return clearInterval(t);
      s.write(String(n++));
      if (n === 10) clearInterval(t);
    }, 100);
  });
  expect(await run(pool, { path: '/steady', timeoutMs: 300 })).toMatchObject({ status: 200, body: '0123456789', error: null });
  expect(await run(pool, { path: '/stall', timeoutMs: 300 })).toMatchObject({ status: 200, body: '012', error: UpstreamError.BODY_TIMEOUT });
});

test('connect failures reach the handler without onConnect; a closed pool refuses new requests', async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, HOST, r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const pool = new UpstreamPool(HOST, port, 1000, 16 * 1024);
  pools.push(pool);
  const refused = await run(pool);
  expect(refused.connected).toBe(false);
  expect(refused.error).toBe('ECONNREFUSED');
  await pool.close();
  expect(await run(pool)).toMatchObject({ connected: false, error: UpstreamError.POOL_CLOSED });
});

test('abort from the handler ends the request with onError once and frees the connection', async () => {
  const [pool, target] = await poolFor(() => undefined);
  const errors: string[] = [];
  await new Promise<void>((resolve) => {
    pool.dispatch({ method: 'GET', path: '/', headers: ['host', 'x'], body: null, timeoutMs: 5000 }, {
      onConnect: (abort) => { setTimeout(() => { abort(); abort(); }, 50); },
      onHeaders: () => true,
      onData: () => true,
      onComplete: () => errors.push('complete'),
      onError: (err) => { errors.push((err as NodeJS.ErrnoException).code as string); setTimeout(resolve, 50); },
    });
  });
  expect(errors).toEqual([UpstreamError.ABORTED]);
  expect(target.heads).toHaveLength(1);
});
