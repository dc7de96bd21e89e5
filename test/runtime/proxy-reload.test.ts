/**
 * Hot apply under continuous load, refused applies, draining of removed listeners and
 * graceful close.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { backend, lbConfig, listener, target } from './helpers/config';
import { HttpBackend, startHttpBackend } from './helpers/backends';
import { request, startDataPlane, StartedDataPlane } from './helpers/dataplane';
import { freePort, sleep } from './helpers/net';

const LB = '127.0.3.70';
const BE = '127.0.3.71';

const started: StartedDataPlane[] = [];
const backends: HttpBackend[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.dp.close(200)));
  await Promise.all(backends.splice(0).map((b) => b.close()));
});

async function be(name: string, delayMs = 0): Promise<HttpBackend> {
  const b = await startHttpBackend(name, BE, (_req, res) => {
    const t = setTimeout(() => res.end(name), delayMs);
    res.on('close', () => clearTimeout(t));
  });
  backends.push(b);
  return b;
}

test('reloads under continuous keep-alive load: zero failed requests, changes take effect', async () => {
  const a = await be('a');
  const b = await be('b');
  const c = await be('c');
  const port = await freePort(LB);
  const extra = await freePort(LB);
  const v1 = lbConfig([listener('main', port, 'web')], [backend('web', [target('a', BE, a.port), target('b', BE, b.port)])]);
  const v2 = lbConfig([listener('main', port, 'web'), listener('extra', extra, 'web')],
    [backend('web', [target('a', BE, a.port, 1), target('b', BE, b.port, 0), target('c', BE, c.port, 3)])]);
  const v3 = lbConfig([listener('main', port, 'web')], [backend('web', [target('c', BE, c.port)])]);
  const s = await startDataPlane(v1, LB);
  started.push(s);

  let stop = false;
  const failures: string[] = [];
  const bodies: string[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const loops = Array.from({ length: 6 }, async () => {
    while (!stop) {
      try {
        const r = await request({ host: LB, port, path: '/', agent });
        if (r.status !== 200) failures.push(`status ${r.status}: ${r.body}`);
        bodies.push(r.body);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  });
  await sleep(300);
  await s.dp.apply(v2, LB);
  const mark2 = bodies.length;
  await sleep(300);
  expect((await request({ host: LB, port: extra, path: '/' })).status).toBe(200);
  await s.dp.apply(v3, LB);
  const mark3 = bodies.length;
  await sleep(300);
  stop = true;
  await Promise.all(loops);
  agent.destroy();
  expect(failures).toEqual([]);
  expect(bodies.length).toBeGreaterThan(100);
  // v2: weight 0 takes b out of new traffic; some answers later only a and c.
  expect(bodies.slice(mark2 + 20, mark3).every((x) => x === 'a' || x === 'c')).toBe(true);
  expect(bodies.slice(mark3 + 20).every((x) => x === 'c')).toBe(true);
  // The removed listener is closed.
  await sleep(100);
  await expect(request({ host: LB, port: extra, path: '/' })).rejects.toThrow(/ECONNREFUSED/);
  expect(s.dp.snapshot().listeners.map((l) => l.id)).toEqual(['main']);
});

test('an apply whose new listener cannot bind is refused; the old config keeps serving fully', async () => {
  const a = await be('a');
  const b = await be('b');
  const port = await freePort(LB);
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, LB, () => r()));
  const busyPort = (busy.address() as net.AddressInfo).port;
  try {
    const s = await startDataPlane(lbConfig([listener('main', port, 'web')], [backend('web', [target('a', BE, a.port)])]), LB);
    started.push(s);
    const bad = lbConfig([listener('main', port, 'web'), listener('clash', busyPort, 'web')],
      [backend('web', [target('b', BE, b.port)])]);
    await expect(s.dp.apply(bad, LB)).rejects.toThrow(new RegExp(`listener test/clash \\(HTTP\\) cannot listen on ${LB.replace(/\./g, '\\.')}:${busyPort}: .*EADDRINUSE`));
    for (let i = 0; i < 5; i++) expect((await request({ host: LB, port, path: '/' })).body).toBe('a');
    expect(s.dp.snapshot().listeners.map((l) => l.id)).toEqual(['main']);
    expect(s.dp.snapshot().backends[0].targets.map((t) => t.id)).toEqual(['a']);
    // Passive health still works on the old pools after the refused apply.
    await a.kill();
    expect((await request({ host: LB, port, path: '/' })).status).toBe(502);
    expect(s.dp.snapshot().backends[0].targets[0].ejected).toBe(true);
  } finally {
    busy.close();
  }
});

test('a removed listener drains: its in-flight request completes, new connections are refused', async () => {
  const slow = await be('slow', 800);
  const port = await freePort(LB);
  const gone = await freePort(LB);
  const s = await startDataPlane(lbConfig([listener('main', port, 'web'), listener('gone', gone, 'web')],
    [backend('web', [target('s', BE, slow.port)])]), LB);
  started.push(s);
  const inflight = request({ host: LB, port: gone, path: '/' });
  await sleep(200);
  await s.dp.apply(lbConfig([listener('main', port, 'web')], [backend('web', [target('s', BE, slow.port)])]), LB);
  await expect(request({ host: LB, port: gone, path: '/' })).rejects.toThrow(/ECONNREFUSED/);
  const r = await inflight;
  expect(r.status).toBe(200);
  expect(r.headers.connection).toBe('close');
});

test('close(grace) lets in-flight requests finish, then stops', async () => {
  const slow = await be('slow', 500);
  const port = await freePort(LB);
  const s = await startDataPlane(lbConfig([listener('main', port, 'web')], [backend('web', [target('s', BE, slow.port)])]), LB);
  const inflight = request({ host: LB, port, path: '/' });
  await sleep(150);
  await s.dp.close(5000);
  expect((await inflight).status).toBe(200);
  await expect(request({ host: LB, port, path: '/' })).rejects.toThrow(/ECONNREFUSED/);
});

test('a listener that changes protocol on the same port (HTTP → TCP) is replaced', async () => {
  const a = await be('a');
  const port = await freePort(LB);
  const s = await startDataPlane(lbConfig([listener('main', port, 'web')], [backend('web', [target('a', BE, a.port)])]), LB);
  started.push(s);
  expect((await request({ host: LB, port, path: '/' })).body).toBe('a');
  await s.dp.apply(lbConfig([listener('main', port, 'raw', { protocol: 'TCP' })],
    [backend('raw', [target('a', BE, a.port)], { protocol: 'TCP' })]), LB);
  expect(s.dp.snapshot().listeners).toEqual([expect.objectContaining({ id: 'main', protocol: 'TCP', port })]);
  // Through a TCP listener the bytes pass untouched: no X-Forwarded-For is added.
  const r = await request({ host: LB, port, path: '/' });
  expect(r.body).toBe('a');
  expect(a.seen[a.seen.length - 1].headers['x-forwarded-for']).toBeUndefined();
});
