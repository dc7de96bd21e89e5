/**
 * HTTP proxying through a real data plane: scheduling as seen from the client, header
 * hygiene, retry and passive ejection, timeouts, streaming, 100-continue.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { backend, lbConfig, listener, target } from './helpers/config';
import { HttpBackend, startBlackholeTarget, startHttpBackend } from './helpers/backends';
import { RecordingObserver, request, startDataPlane, StartedDataPlane } from './helpers/dataplane';
import { createDataPlane } from '../../runtime/dataplane';
import { freePort, sleep } from './helpers/net';

const LB = '127.0.3.10';
const BE = '127.0.3.11';

const started: StartedDataPlane[] = [];
const backends: HttpBackend[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.dp.close(200)));
  await Promise.all(backends.splice(0).map((b) => b.close()));
});

async function httpBackends(names: string[]): Promise<HttpBackend[]> {
  const out: HttpBackend[] = [];
  for (const n of names) out.push(await startHttpBackend(n, BE));
  backends.push(...out);
  return out;
}

/** nginx smooth WRR, written independently here as the oracle for the interleaving. */
function smoothWrr(weights: number[], n: number): number[] {
  const cur = weights.map(() => 0);
  const total = weights.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      cur[i] += weights[i];
      if (cur[i] > cur[best]) best = i;
    }
    cur[best] -= total;
    out.push(best);
  }
  return out;
}

test('smooth WRR 5:3:2 through the proxy: exactly 500/300/200 of 1000 with nginx interleaving', async () => {
  const [a, b, c] = await httpBackends(['a', 'b', 'c']);
  const port = await freePort(LB);
  const cfg = lbConfig([listener('l1', port, 'web')], [backend('web', [
    target('a', BE, a.port, 5), target('b', BE, b.port, 3), target('c', BE, c.port, 2),
  ])]);
  started.push(await startDataPlane(cfg, LB));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const order: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const r = await request({ host: LB, port, path: `/r${i}`, agent });
    expect(r.status).toBe(200);
    order.push(r.body);
  }
  agent.destroy();
  const count = (n: string): number => order.filter((x) => x === n).length;
  expect([count('a'), count('b'), count('c')]).toEqual([500, 300, 200]);
  const names = ['a', 'b', 'c'];
  expect(order.slice(0, 20)).toEqual(smoothWrr([5, 3, 2], 20).map((i) => names[i]));
  // nginx's sequence for 5:3:2 (never a burst like aaaaabbbcc), repeated every 10 picks.
  expect(order.slice(0, 10).join('')).toBe('abcaabacba');
  expect(order.slice(990, 1000).join('')).toBe('abcaabacba');
});

test('headers: X-Forwarded-For appended, X-Forwarded-* set, hop-by-hop removed both ways, Host kept', async () => {
  const [be] = await httpBackends(['h']);
  be.server.removeAllListeners('request');
  be.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    be.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.alloc(0) });
    req.resume();
    res.writeHead(200, {
      'content-type': 'text/plain', connection: 'keep-alive, X-Secret-Hop', 'x-secret-hop': 'yes',
      'keep-alive': 'timeout=5', 'proxy-connection': 'keep-alive', 'x-kept': 'kept',
    });
    res.end('ok');
  });
  const port = await freePort(LB);
  const cfg = lbConfig([listener('l1', port, 'web')], [backend('web', [target('h', BE, be.port)], {
    forwardedHeaders: { proto: true, port: true, host: true, lbIp: true, clientPort: true },
  })]);
  started.push(await startDataPlane(cfg, LB));
  const localAddress = '127.0.3.77';
  const r = await request({
    host: LB, port, path: '/x?y=1', localAddress,
    headers: {
      host: 'shop.example.test', 'x-forwarded-for': '10.1.1.1, 10.2.2.2', 'x-forwarded-proto': 'spoofed',
      connection: 'keep-alive, X-Drop-Me', 'x-drop-me': '1', 'keep-alive': 'timeout=9', 'proxy-connection': 'x',
      te: 'trailers, deflate', 'x-end-to-end': 'stays',
    },
  });
  expect(r.status).toBe(200);
  const seen = be.seen[0].headers;
  expect(seen.host).toBe('shop.example.test');
  expect(seen['x-forwarded-for']).toBe(`10.1.1.1, 10.2.2.2, ${localAddress}`);
  expect(seen['x-forwarded-proto']).toBe('http');
  expect(seen['x-forwarded-port']).toBe(String(port));
  expect(seen['x-forwarded-host']).toBe('shop.example.test');
  expect(seen['x-forwarded-lbip']).toBe(LB);
  expect(Number(seen['x-forwarded-client-port'])).toBeGreaterThan(0);
  expect(seen['x-drop-me']).toBeUndefined();
  expect(seen['keep-alive']).toBeUndefined();
  expect(seen['proxy-connection']).toBeUndefined();
  expect(seen.te).toBe('trailers');
  expect(seen['x-end-to-end']).toBe('stays');
  expect(be.seen[0].url).toBe('/x?y=1');
  expect(r.headers['x-secret-hop']).toBeUndefined();
  // Node's own Keep-Alive for the client connection, not the target's `timeout=5`.
  expect(r.headers['keep-alive']).not.toBe('timeout=5');
  expect(r.headers['proxy-connection']).toBeUndefined();
  expect(r.headers['x-kept']).toBe('kept');
});

test('forwarded headers off: only X-Forwarded-For is added', async () => {
  const [be] = await httpBackends(['h']);
  const port = await freePort(LB);
  started.push(await startDataPlane(lbConfig([listener('l1', port, 'web')], [backend('web', [target('h', BE, be.port)])]), LB));
  await request({ host: LB, port, path: '/' });
  const seen = be.seen[0].headers;
  expect(seen['x-forwarded-for']).toBe('127.0.0.1');
  expect(seen['x-forwarded-proto']).toBeUndefined();
  expect(seen['x-forwarded-port']).toBeUndefined();
});

test('a target killed mid-run: no GET fails (retried), the target is ejected; all down → 503', async () => {
  const [a, b, c] = await httpBackends(['a', 'b', 'c']);
  const port = await freePort(LB);
  const cfg = lbConfig([listener('l1', port, 'web')], [backend('web', [
    target('a', BE, a.port), target('b', BE, b.port), target('c', BE, c.port),
  ], { passiveHealth: { maxFails: 1, failTimeoutMs: 60000 } })]);
  const s = await startDataPlane(cfg, LB);
  started.push(s);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const statuses: number[] = [];
  const bodies: string[] = [];
  let killed = false;
  const workers = [0, 1, 2, 3].map(async () => {
    for (let i = 0; i < 60; i++) {
      if (i === 20 && !killed) {
        killed = true;
        await b.kill();
      }
      const r = await request({ host: LB, port, path: '/', agent });
      statuses.push(r.status);
      bodies.push(r.body);
    }
  });
  await Promise.all(workers);
  agent.destroy();
  expect(statuses.length).toBe(240);
  expect(statuses.every((x) => x === 200)).toBe(true);
  const snap = s.dp.snapshot().backends[0].targets.find((t) => t.id === 'b');
  expect(snap?.ejected).toBe(true);
  expect(s.observer.failures.some((f) => f.targetId === 'b' && f.reason === 'CONNECT_FAILED')).toBe(true);
  // After ejection b receives nothing: the last 100 answers come from a and c only.
  expect(bodies.slice(-100).every((x) => x === 'a' || x === 'c')).toBe(true);

  await a.kill();
  await c.kill();
  const r = await request({ host: LB, port, path: '/' });
  expect([502, 503]).toContain(r.status);
  const r2 = await request({ host: LB, port, path: '/' });
  expect(r2.status).toBe(503);
  expect(r2.body).toMatch(/no healthy target/);
});

test('connect failure is retried for any method; a sent POST is not retried, a sent GET is', async () => {
  const [a] = await httpBackends(['a']);
  const deadPort = await freePort(BE);
  // `reset` accepts the request and drops the connection without answering.
  const reset = await startHttpBackend('reset', BE, (req) => req.socket.destroy());
  backends.push(reset);
  const port = await freePort(LB);
  const port2 = await freePort(LB);
  const s = await startDataPlane(lbConfig([listener('l1', port, 'dead'), listener('l2', port2, 'reset')], [
    backend('dead', [target('dead', BE, deadPort), target('a', BE, a.port)], { passiveHealth: { maxFails: 0, failTimeoutMs: 1000 } }),
    backend('reset', [target('reset', BE, reset.port), target('a', BE, a.port)], { passiveHealth: { maxFails: 0, failTimeoutMs: 1000 } }),
  ]), LB);
  started.push(s);
  // Never connected: a POST is as safe to move as a GET.
  for (let i = 0; i < 4; i++) {
    expect((await request({ host: LB, port, path: '/', method: 'POST', body: 'p', headers: { 'content-length': '1' } })).status).toBe(200);
  }
  expect(a.seen.filter((r) => r.method === 'POST').length).toBe(4);
  a.seen.length = 0;
  // Sent to a target that dropped it: GET is retried, POST answered 502 and not replayed.
  const gets: number[] = [];
  const posts: number[] = [];
  for (let i = 0; i < 4; i++) {
    posts.push((await request({ host: LB, port: port2, path: '/', method: 'POST', body: 'p', headers: { 'content-length': '1' } })).status);
  }
  for (let i = 0; i < 4; i++) gets.push((await request({ host: LB, port: port2, path: '/' })).status);
  expect(gets).toEqual([200, 200, 200, 200]);
  const resetPosts = reset.seen.filter((r) => r.method === 'POST').length;
  expect(resetPosts).toBeGreaterThan(0);
  expect(posts.filter((x) => x === 502).length).toBe(resetPosts);
  expect(a.seen.filter((r) => r.method === 'POST').length).toBe(4 - resetPosts);
  await a.kill();
  const r = await request({ host: LB, port, path: '/' });
  expect(r.status).toBe(502);
  expect(r.body).toMatch(/could not be reached/);
});

test('with every target down, a request tries at most 5 of them (HAProxy-like bound), then 502', async () => {
  const ports: number[] = [];
  for (let i = 0; i < 12; i++) ports.push(await freePort(BE));
  const port = await freePort(LB);
  const s = await startDataPlane(lbConfig([listener('l1', port, 'dead')], [
    backend('dead', ports.map((p, i) => target(`d${i}`, BE, p)), { passiveHealth: { maxFails: 0, failTimeoutMs: 1000 } }),
  ]), LB);
  started.push(s);
  for (let i = 0; i < 3; i++) {
    const before = s.observer.failures.length;
    const r = await request({ host: LB, port, path: '/' });
    expect(r.status).toBe(502);
    const tried = s.observer.failures.slice(before);
    expect(tried.length).toBe(5);
    expect(new Set(tried.map((f) => f.targetId)).size).toBe(5);
    expect(tried.every((f) => f.reason === 'CONNECT_FAILED')).toBe(true);
  }
});

test('slow upstream → 504 after responseTimeoutMs', async () => {
  const slow = await startHttpBackend('slow', BE, (_req, res) => {
    const t = setTimeout(() => { if (!res.destroyed) res.end('late'); }, 3000);
    res.on('close', () => clearTimeout(t));
  });
  backends.push(slow);
  const port = await freePort(LB);
  started.push(await startDataPlane(lbConfig([listener('l1', port, 'web')], [backend('web', [target('s', BE, slow.port)], {
    timeouts: { connectTimeoutMs: 1000, responseTimeoutMs: 300 },
  })]), LB));
  const t0 = Date.now();
  const r = await request({ host: LB, port, path: '/' });
  expect(r.status).toBe(504);
  expect(Date.now() - t0).toBeLessThan(2500);
});

test('chunked streaming both ways with a body larger than socket buffers, with backpressure', async () => {
  const size = 8 * 1024 * 1024;
  const echo = await startHttpBackend('echo', BE, (req, res) => {
    // Streams the request back as it arrives (chunked response).
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    req.pipe(res);
  }, { streaming: true });
  backends.push(echo);
  const port = await freePort(LB);
  started.push(await startDataPlane(lbConfig([listener('l1', port, 'web')], [backend('web', [target('e', BE, echo.port)])]), LB));
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = i % 251;
  const result = await new Promise<{ bytes: number; ok: boolean; te: string | undefined }>((resolve, reject) => {
    const req = http.request({ host: LB, port, path: '/echo', method: 'PUT', agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
      let bytes = 0;
      let ok = true;
      res.on('data', (c: Buffer) => {
        for (let i = 0; i < c.length; i += 4099) if (c[i] !== (bytes + i) % 65536 % 251) ok = false;
        bytes += c.length;
      });
      res.on('end', () => resolve({ bytes, ok, te: res.headers['transfer-encoding'] }));
    });
    req.on('error', reject);
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) { req.once('drain', pump); return; }
      }
      req.end();
    };
    pump();
  });
  expect(result.bytes).toBe(size);
  expect(result.ok).toBe(true);
  expect(result.te).toBe('chunked');
});

test('Expect: 100-continue gets 100 Continue, then the body is proxied', async () => {
  const [be] = await httpBackends(['c']);
  be.server.removeAllListeners('request');
  be.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(`got ${Buffer.concat(chunks).length} expect=${req.headers.expect ?? 'none'}`));
  });
  const port = await freePort(LB);
  started.push(await startDataPlane(lbConfig([listener('l1', port, 'web')], [backend('web', [target('c', BE, be.port)])]), LB));
  const body = 'y'.repeat(5000);
  const res = await new Promise<{ continued: boolean; text: string }>((resolve, reject) => {
    let continued = false;
    const req = http.request({ host: LB, port, path: '/', method: 'PUT', agent: false,
      headers: { expect: '100-continue', 'content-length': String(body.length) } }, (r) => {
      let text = '';
      r.on('data', (c) => { text += c; });
      r.on('end', () => resolve({ continued, text }));
    });
    req.on('continue', () => { continued = true; req.end(body); });
    req.on('error', reject);
    req.flushHeaders();
  });
  expect(res.continued).toBe(true);
  expect(res.text).toBe('got 5000 expect=none');
});

test('keep-alive on both sides: many requests reuse one client and few upstream connections', async () => {
  const [be] = await httpBackends(['k']);
  let upstreamConns = 0;
  be.server.on('connection', () => { upstreamConns++; });
  const port = await freePort(LB);
  const s = await startDataPlane(lbConfig([listener('l1', port, 'web')], [backend('web', [target('k', BE, be.port)])]), LB);
  started.push(s);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 50; i++) expect((await request({ host: LB, port, path: '/', agent })).status).toBe(200);
  agent.destroy();
  expect(upstreamConns).toBe(1);
  expect(s.observer.opened).toBe(1);
});

test('activeConnections and qps limits answer 503', async () => {
  const [be] = await httpBackends(['l']);
  const port = await freePort(LB);
  const port2 = await freePort(LB);
  started.push(await startDataPlane(lbConfig([
    listener('conn', port, 'web', { limits: { qps: -1, activeConnections: 1 } }),
    listener('rate', port2, 'web', { limits: { qps: 5, activeConnections: -1 } }),
  ], [backend('web', [target('l', BE, be.port)])]), LB));
  const held = net.connect({ host: LB, port });
  await new Promise((r) => held.once('connect', r));
  await sleep(50);
  const over = await request({ host: LB, port, path: '/' });
  expect(over.status).toBe(503);
  expect(over.body).toMatch(/active-connection limit/);
  expect(over.headers.connection).toBe('close');
  held.destroy();
  await sleep(100);
  expect((await request({ host: LB, port, path: '/' })).status).toBe(200);

  const statuses: number[] = [];
  for (let i = 0; i < 20; i++) statuses.push((await request({ host: LB, port: port2, path: '/' })).status);
  const ok = statuses.filter((x) => x === 200).length;
  expect(ok).toBeGreaterThanOrEqual(5);
  expect(ok).toBeLessThan(20);
  expect(statuses.filter((x) => x === 503).length).toBe(20 - ok);
});

test('per-node limits are split between the workers of a node: each enforces its share, rounded up', async () => {
  const [be] = await httpBackends(['s']);
  const port = await freePort(LB);
  // A node limit of 3 connections over 2 workers: this worker's share is ceil(3 / 2) = 2.
  started.push(await startDataPlane(lbConfig([
    listener('share', port, 'web', { limits: { qps: -1, activeConnections: 3 } }),
  ], [backend('web', [target('s', BE, be.port)])]), LB, 2));
  const held = [net.connect({ host: LB, port }), net.connect({ host: LB, port })];
  await Promise.all(held.map((c) => new Promise((r) => c.once('connect', r))));
  await sleep(50);
  const over = await request({ host: LB, port, path: '/' });
  expect(over.status).toBe(503);
  expect(over.body).toMatch(/active-connection limit/);
  held.forEach((c) => c.destroy());
  await sleep(100);
  expect((await request({ host: LB, port, path: '/' })).status).toBe(200);
  expect(() => createDataPlane(new RecordingObserver(), 0)).toThrow(/limitShares 0 is not allowed; allowed: an integer >= 1/);
});

test('listener idle timeout closes an idle keep-alive client connection', async () => {
  const [be] = await httpBackends(['i']);
  const port = await freePort(LB);
  started.push(await startDataPlane(lbConfig([listener('l1', port, 'web', { idleTimeoutMs: 300 })], [backend('web', [target('i', BE, be.port)])]), LB));
  const sock = net.connect({ host: LB, port });
  const t0 = Date.now();
  const text = await new Promise<string>((resolve) => {
    let got = '';
    sock.on('connect', () => sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    sock.on('data', (c) => { got += c; });
    sock.on('close', () => resolve(got));
    sock.on('error', () => undefined);
  });
  expect(text).toMatch(/^HTTP\/1\.1 200 /);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  expect(Date.now() - t0).toBeLessThan(5000);
});

test('a passively ejected target comes back after failTimeoutMs once it is up again', async () => {
  const [a, b] = await httpBackends(['a', 'b']);
  const port = await freePort(LB);
  const s = await startDataPlane(lbConfig([listener('l1', port, 'web')], [backend('web', [target('a', BE, a.port), target('b', BE, b.port)],
    { passiveHealth: { maxFails: 1, failTimeoutMs: 400 } })]), LB);
  started.push(s);
  await b.kill();
  for (let i = 0; i < 4; i++) expect((await request({ host: LB, port, path: '/' })).body).toBe('a');
  expect(s.dp.snapshot().backends[0].targets[1].ejected).toBe(true);
  await b.revive();
  await sleep(500);
  const bodies: string[] = [];
  for (let i = 0; i < 6; i++) bodies.push((await request({ host: LB, port, path: '/' })).body);
  // Back in rotation (smooth WRR's current weights still carry the ejection period, so the
  // first window need not be exactly 3:3).
  expect(bodies.filter((x) => x === 'b').length).toBeGreaterThanOrEqual(2);
  expect(s.dp.snapshot().backends[0].targets[1].ejected).toBe(false);
});

test('setTargetHealth(false) takes a target out; true brings it back', async () => {
  const [a, b] = await httpBackends(['a', 'b']);
  const port = await freePort(LB);
  const s = await startDataPlane(lbConfig([listener('l1', port, 'web')], [backend('web', [target('a', BE, a.port), target('b', BE, b.port)])]), LB);
  started.push(s);
  s.dp.setTargetHealth('web', 'a', false);
  for (let i = 0; i < 4; i++) expect((await request({ host: LB, port, path: '/' })).body).toBe('b');
  expect(s.dp.snapshot().backends[0].targets[0].healthy).toBe(false);
  s.dp.setTargetHealth('web', 'a', true);
  const bodies: string[] = [];
  for (let i = 0; i < 4; i++) bodies.push((await request({ host: LB, port, path: '/' })).body);
  expect(bodies.sort()).toEqual(['a', 'a', 'b', 'b']);
});

test('the observer sees every request with listener, backend, target and status', async () => {
  const [a] = await httpBackends(['a']);
  const port = await freePort(LB);
  const s = await startDataPlane(lbConfig([listener('l1', port, 'web')], [backend('web', [target('a', BE, a.port)])]), LB);
  started.push(s);
  await request({ host: LB, port, path: '/obs?q=1', method: 'DELETE', localAddress: '127.0.3.88' });
  expect(s.observer.requests).toEqual([{ listenerId: 'l1', backendId: 'web', targetId: 'a', status: 200, method: 'DELETE', url: '/obs?q=1', clientIp: '127.0.3.88', ruleId: null }]);
});

test('connect timeout: reported as CONNECT_TIMEOUT and retried; a lone unreachable target → 504', async () => {
  const hole = await startBlackholeTarget(BE);
  try {
    const [a] = await httpBackends(['a']);
    const port = await freePort(LB);
    const port2 = await freePort(LB);
    const timeouts = { connectTimeoutMs: 300, responseTimeoutMs: 5000 };
    const s = await startDataPlane(lbConfig([listener('l1', port, 'two'), listener('l2', port2, 'one')], [
      backend('two', [target('hole', BE, hole.port), target('a', BE, a.port)], { timeouts }),
      backend('one', [target('hole', BE, hole.port)], { timeouts }),
    ]), LB);
    started.push(s);
    const r = await request({ host: LB, port, path: '/' });
    expect(r.status).toBe(200);
    expect(r.body).toBe('a');
    expect(s.observer.failures).toContainEqual({ backendId: 'two', targetId: 'hole', reason: 'CONNECT_TIMEOUT' });
    const t0 = Date.now();
    const r2 = await request({ host: LB, port: port2, path: '/' });
    expect(r2.status).toBe(504);
    expect(r2.body).toMatch(/connecting to the target timed out/);
    expect(Date.now() - t0).toBeLessThan(3000);
  } finally {
    hole.close();
  }
});
