/**
 * Scheduling and persistence as a client sees them through real data planes: weighted least
 * connections with long-running requests, source-IP hash agreeing across two data planes and
 * staying consistent when a target leaves, and cookie persistence across two data planes.
 */
import * as http from 'node:http';
import type { BackendServiceConfig } from '../../lib/config/types';
import { StickyCookie } from '../../runtime/persistence/cookie';
import { backend, lbConfig, listener, target, TEST_COOKIE_SECRET } from './helpers/config';
import { HttpBackend, startHttpBackend } from './helpers/backends';
import { request, startDataPlane, StartedDataPlane } from './helpers/dataplane';
import { freePort, sleep } from './helpers/net';

const LB1 = '127.0.3.40';
const LB2 = '127.0.3.41';
const BE = '127.0.3.42';

const started: StartedDataPlane[] = [];
const backends: HttpBackend[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.dp.close(200)));
  await Promise.all(backends.splice(0).map((b) => b.close()));
});

async function httpBackends(names: string[], delayMs = 0): Promise<HttpBackend[]> {
  const out: HttpBackend[] = [];
  for (const n of names) {
    out.push(await startHttpBackend(n, BE, (_req, res) => {
      const t = setTimeout(() => res.end(n), delayMs);
      res.on('close', () => clearTimeout(t));
    }));
  }
  backends.push(...out);
  return out;
}

test('WLC with long-running requests keeps in-flight per weight balanced (2:1 → 20:10)', async () => {
  const [a, b] = await httpBackends(['a', 'b'], 2500);
  const port = await freePort(LB1);
  const s = await startDataPlane(lbConfig([listener('l', port, 'web')], [backend('web',
    [target('a', BE, a.port, 2), target('b', BE, b.port, 1)], { algorithm: 'WEIGHTED_LEAST_CONNECTIONS' })]), LB1);
  started.push(s);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const all = Array.from({ length: 30 }, () => request({ host: LB1, port, path: '/', agent }));
  for (let i = 0; i < 100; i++) {
    const t = s.dp.snapshot().backends[0].targets;
    if (t[0].active + t[1].active === 30) break;
    await sleep(20);
  }
  const mid = s.dp.snapshot().backends[0].targets;
  expect(mid.map((t) => t.active)).toEqual([20, 10]);
  const bodies = (await Promise.all(all)).map((r) => r.body);
  expect(bodies.filter((x) => x === 'a').length).toBe(20);
  expect(bodies.filter((x) => x === 'b').length).toBe(10);
  agent.destroy();
  expect(s.dp.snapshot().backends[0].targets.map((t) => t.active)).toEqual([0, 0]);
});

test('source-IP hash: same client → same target on two data planes; removing 1 of 4 moves no other client', async () => {
  const bes = await httpBackends(['t0', 't1', 't2', 't3']);
  const port1 = await freePort(LB1);
  const port2 = await freePort(LB2);
  const svc = (targets: typeof bes): BackendServiceConfig => backend('web',
    targets.map((b) => target(b.name, BE, b.port, 10)), { algorithm: 'SOURCE_IP_HASH' });
  const s1 = await startDataPlane(lbConfig([listener('l', port1, 'web')], [svc(bes)]), LB1);
  const s2 = await startDataPlane(lbConfig([listener('l', port2, 'web')], [svc(bes)]), LB2);
  started.push(s1, s2);
  const clients = Array.from({ length: 48 }, (_, i) => `127.0.3.${100 + i}`);
  const before = new Map<string, string>();
  for (const ip of clients) {
    const r1 = await request({ host: LB1, port: port1, path: '/', localAddress: ip });
    const r1b = await request({ host: LB1, port: port1, path: '/', localAddress: ip });
    const r2 = await request({ host: LB2, port: port2, path: '/', localAddress: ip });
    expect(r1b.body).toBe(r1.body);
    expect(r2.body).toBe(r1.body);
    before.set(ip, r1.body);
  }
  // The hash spreads: every target gets some of the 48 clients.
  expect(new Set(before.values()).size).toBe(4);
  await s1.dp.apply(lbConfig([listener('l', port1, 'web')], [svc(bes.filter((b) => b.name !== 't2'))]), LB1);
  for (const ip of clients) {
    const r = await request({ host: LB1, port: port1, path: '/', localAddress: ip });
    if (before.get(ip) !== 't2') expect(`${ip}→${r.body}`).toBe(`${ip}→${before.get(ip)}`);
    else expect(r.body).not.toBe('t2');
  }
});

describe('cookie persistence', () => {
  const persistence = { cookieName: 'ALBSESS', cookieTimeoutSeconds: 600 };
  const cookieOf = (setCookie: string[] | undefined): string => {
    const c = (setCookie ?? []).find((x) => x.startsWith('ALBSESS='));
    if (c === undefined) throw new Error(`no ALBSESS cookie in ${JSON.stringify(setCookie)}`);
    return c.split(';')[0];
  };

  async function twoPlanes(extraCookie = false): Promise<{ bes: HttpBackend[]; p1: number; p2: number }> {
    const bes = await httpBackends(['a', 'b', 'c']);
    if (extraCookie) {
      for (const b of bes) {
        b.server.removeAllListeners('request');
        b.server.on('request', (_q: http.IncomingMessage, res: http.ServerResponse) => {
          res.setHeader('set-cookie', ['app=1; Path=/', 'theme=dark']);
          res.setHeader('cache-control', 'no-store');
          res.end(b.name);
        });
      }
    }
    const p1 = await freePort(LB1);
    const p2 = await freePort(LB2);
    const svc = backend('web', bes.map((b) => target(b.name, BE, b.port)), { sessionPersistence: persistence });
    started.push(await startDataPlane(lbConfig([listener('l', p1, 'web')], [svc]), LB1));
    started.push(await startDataPlane(lbConfig([listener('l', p2, 'web')], [svc]), LB2));
    return { bes, p1, p2 };
  }

  test('the first response sets the cookie; both data planes honour it; Cache-Control: private added', async () => {
    const { bes, p1, p2 } = await twoPlanes();
    const first = await request({ host: LB1, port: p1, path: '/' });
    const setCookie = first.headers['set-cookie'] as string[];
    expect(setCookie[0]).toMatch(/^ALBSESS=[A-Za-z0-9_-]{16}[0-9a-f]{8}[A-Za-z0-9_-]{16}; Path=\/; HttpOnly; Max-Age=600$/);
    expect(first.headers['cache-control']).toBe('private');
    const cookie = cookieOf(setCookie);
    for (let i = 0; i < 6; i++) {
      const host = i % 2 === 0 ? LB1 : LB2;
      const r = await request({ host, port: i % 2 === 0 ? p1 : p2, path: '/', headers: { cookie: `x=1; ${cookie}; y=2` } });
      expect(r.body).toBe(first.body);
    }
    // The LB's cookie is the LB's business: the application sees only its own cookies.
    const seen = bes.flatMap((b) => b.seen).filter((x) => x.headers.cookie !== undefined);
    expect(seen.length).toBe(6);
    expect(seen.every((x) => x.headers.cookie === 'x=1; y=2')).toBe(true);
  });

  test("the backend's own Set-Cookie and Cache-Control are kept", async () => {
    const { p1 } = await twoPlanes(true);
    const r = await request({ host: LB1, port: p1, path: '/' });
    const sc = r.headers['set-cookie'] as string[];
    expect(sc).toEqual(expect.arrayContaining(['app=1; Path=/', 'theme=dark']));
    expect(sc.some((x) => x.startsWith('ALBSESS='))).toBe(true);
    expect(r.headers['cache-control']).toBe('no-store');
  });

  test('forged and expired cookies fall back to normal scheduling; aging refresh re-dates the cookie', async () => {
    const { p1 } = await twoPlanes();
    const codec = new StickyCookie(TEST_COOKIE_SECRET, 'web', persistence, ['a', 'b', 'c']);
    const now = Date.now();
    const valid = codec.issue('c', now - 120_000).split(';')[0];
    const expired = codec.issue('c', now - 700_000).split(';')[0];
    const value = valid.slice('ALBSESS='.length);
    const forged = `ALBSESS=${value.slice(0, 39)}${value[39] === 'A' ? 'B' : 'A'}`;
    const foreign = new StickyCookie('f'.repeat(64), 'web', persistence, ['a', 'b', 'c']).issue('c', now).split(';')[0];

    // Valid (2 minutes old): always c, and the response re-dates it (aging refresh).
    const r = await request({ host: LB1, port: p1, path: '/', headers: { cookie: valid } });
    expect(r.body).toBe('c');
    const refreshed = cookieOf(r.headers['set-cookie'] as string[]);
    expect(refreshed).not.toBe(valid);
    expect(codec.read(refreshed, now)).toBe('c');
    const seenHex = (c: string): number => parseInt(c.slice('ALBSESS='.length + 16, 'ALBSESS='.length + 24), 16);
    expect(seenHex(refreshed) - seenHex(valid)).toBeGreaterThanOrEqual(119);

    for (const bad of [expired, forged, foreign]) {
      const bodies: string[] = [];
      for (let i = 0; i < 6; i++) bodies.push((await request({ host: LB1, port: p1, path: '/', headers: { cookie: bad } })).body);
      // Normal WRR over a, b, c: not pinned to c.
      expect(new Set(bodies).size).toBe(3);
    }
  });

  test('a cookie naming a dead target falls back to a live one and re-issues the cookie', async () => {
    const { bes, p1 } = await twoPlanes();
    const codec = new StickyCookie(TEST_COOKIE_SECRET, 'web', persistence, ['a', 'b', 'c']);
    await bes[2].kill();
    const r = await request({ host: LB1, port: p1, path: '/', headers: { cookie: codec.issue('c', Date.now()).split(';')[0] } });
    expect(r.status).toBe(200);
    expect(['a', 'b']).toContain(r.body);
    expect(codec.read(cookieOf(r.headers['set-cookie'] as string[]), Date.now())).toBe(r.body);
  });
});
