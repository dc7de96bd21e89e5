/**
 * Forwarding rules (URL maps) through a real data plane on real sockets: every action
 * (forward, redirect fields and codes, fixed response), rewrites with `*`, request and
 * response header edits, mirroring, per-backend session persistence, the rule in the
 * observer's report, and an atomic reload of the rules.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { AccessLog, createAccessLog } from '../../runtime/log/access-log';
import { RequestMetrics } from '../../runtime/metrics/request-metrics';
import { MAX_MIRROR_INFLIGHT } from '../../runtime/proxy/mirror';
import type { BackendServiceConfig, UrlMapConfig, UrlMapRuleConfig } from '../../lib/config/types';
import { validateLbConfig } from '../../lib/config/validate';
import { renderIssue } from '../../lib/model/messages';
import { backend, lbConfig, listener, target } from './helpers/config';
import { HttpBackend, startHttpBackend } from './helpers/backends';
import { request, startDataPlane, StartedDataPlane } from './helpers/dataplane';
import { freePort, rawExchange, sleep } from './helpers/net';
import WebSocket, { WebSocketServer } from 'ws';

const LB = '127.0.12.10';
const BE = '127.0.12.11';

const started: StartedDataPlane[] = [];
const backends: HttpBackend[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.dp.close(200)));
  await Promise.all(backends.splice(0).map((b) => b.close()));
});

async function httpBackend(name: string, handler?: Parameters<typeof startHttpBackend>[2]): Promise<HttpBackend> {
  const b = await startHttpBackend(name, BE, handler);
  backends.push(b);
  return b;
}

function rule(id: string, over: Partial<UrlMapRuleConfig>): UrlMapRuleConfig {
  return {
    id, host: null, path: null,
    action: { type: 'forward', backendService: 'web', redirect: null, fixedResponse: null },
    rewrite: null, requestHeaders: null, responseHeaders: null, mirror: null,
    ...over,
  };
}

function forward(backendService: string): UrlMapRuleConfig['action'] {
  return { type: 'forward', backendService, redirect: null, fixedResponse: null };
}

function redirect(r: Partial<NonNullable<UrlMapRuleConfig['action']['redirect']>>): UrlMapRuleConfig['action'] {
  return {
    type: 'redirect', backendService: null, fixedResponse: null,
    redirect: { protocol: null, host: null, port: null, path: null, query: null, statusCode: 301, ...r },
  };
}

/** A data plane with one HTTP listener whose URL map is `rules`; default backend `web`. */
async function serve(rules: UrlMapRuleConfig[], services: BackendServiceConfig[]): Promise<{ port: number; dp: StartedDataPlane }> {
  const port = await freePort(LB);
  const map: UrlMapConfig = { id: 'site', path: 'test/site', rules };
  const cfg = { ...lbConfig([listener('l', port, 'web', { urlMap: 'site' })], services), urlMaps: [map] };
  expect(validateLbConfig(cfg)).toEqual([]);
  const dp = await startDataPlane(cfg, LB);
  started.push(dp);
  return { port, dp };
}

function get(port: number, path: string, host: string, headers: http.OutgoingHttpHeaders = {}, method = 'GET', body?: string) {
  return request({ host: LB, port, path, method, headers: { host, ...headers }, body });
}

test('forward by host and path; no match goes to the default backend; the rule is reported', async () => {
  const web = await httpBackend('web');
  const api = await httpBackend('api');
  const { port, dp } = await serve([
    rule('api', { host: 'api.example.com', path: '/v1/*', action: forward('api') }),
    rule('wild', { host: '*.example.com', path: '/v1/*', action: forward('web') }),
  ], [backend('web', [target('w', BE, web.port)]), backend('api', [target('a', BE, api.port)])]);

  expect((await get(port, '/v1/users', 'API.example.com:80')).body).toBe('api');
  expect((await get(port, '/v1/users', 'shop.example.com')).body).toBe('web');
  expect((await get(port, '/v2', 'api.example.com')).body).toBe('web');
  expect(api.seen.map((r) => r.url)).toEqual(['/v1/users']);
  expect(dp.observer.requests.map((r) => [r.backendId, r.ruleId])).toEqual([
    ['api', 'site/api'], ['web', 'site/wild'], ['web', null],
  ]);
});

test('an absolute-form target is routed by its authority, not by the Host field it overrides', async () => {
  const web = await httpBackend('web');
  const api = await httpBackend('api');
  const { port } = await serve([
    rule('api', { host: 'api.example.com', path: '/v1/*', action: forward('api') }),
  ], [backend('web', [target('w', BE, web.port)]), backend('api', [target('a', BE, api.port)])]);
  const r = await rawExchange(LB, port, 'GET http://api.example.com/v1/users?q=1 HTTP/1.1\r\nHost: shop.example.com\r\nConnection: close\r\n\r\n');
  expect(r.response).toMatch(/^HTTP\/1\.1 200 /);
  expect(r.response).toContain('\r\nx-backend: api\r\n');
  expect(api.seen.map((x) => [x.url, x.headers.host])).toEqual([['/v1/users?q=1', 'api.example.com']]);
  expect(web.seen).toEqual([]);
});

describe('redirect', () => {
  it.each([301, 302, 307, 308])('status %i with every field set', async (statusCode) => {
    const web = await httpBackend('web');
    const { port } = await serve([
      rule('r', { action: redirect({ protocol: 'HTTPS', host: 'secure.example.com', port: 8443, path: '/login', query: 'from=old', statusCode: statusCode as 301 }) }),
    ], [backend('web', [target('w', BE, web.port)])]);
    const r = await get(port, '/a/b?x=1', 'shop.example.com');
    expect(r.status).toBe(statusCode);
    expect(r.headers.location).toBe('https://secure.example.com:8443/login?from=old');
    expect(r.body).toBe('');
    expect(web.seen).toEqual([]);
  });

  it('fields left out keep the request\'s value, one field at a time', async () => {
    const web = await httpBackend('web');
    const { port, dp } = await serve([
      rule('proto', { path: '/proto', action: redirect({ protocol: 'HTTPS' }) }),
      rule('proto443', { path: '/proto443', action: redirect({ protocol: 'HTTPS', port: 443 }) }),
      rule('host', { path: '/host', action: redirect({ host: 'other.example.com' }) }),
      rule('port', { path: '/port', action: redirect({ port: 8080 }) }),
      rule('path', { path: '/path', action: redirect({ path: '/new' }) }),
      rule('query', { path: '/query', action: redirect({ query: 'a=1' }) }),
      rule('noquery', { path: '/noquery', action: redirect({ query: '' }) }),
    ], [backend('web', [target('w', BE, web.port)])]);
    const loc = async (path: string, host = 'shop.example.com:8000') => (await get(port, path, host)).headers.location;
    // A new scheme without a port goes to that scheme's default port.
    expect(await loc('/proto?q=1')).toBe('https://shop.example.com/proto?q=1');
    expect(await loc('/proto443')).toBe('https://shop.example.com/proto443');
    expect(await loc('/host?q=1')).toBe('http://other.example.com:8000/host?q=1');
    expect(await loc('/port?q=1')).toBe('http://shop.example.com:8080/port?q=1');
    expect(await loc('/path?q=1')).toBe('http://shop.example.com:8000/new?q=1');
    expect(await loc('/query?q=1')).toBe('http://shop.example.com:8000/query?a=1');
    expect(await loc('/noquery?q=1')).toBe('http://shop.example.com:8000/noquery');
    expect(await loc('/host', 'Shop.Example.com')).toBe('http://other.example.com/host');
    expect(dp.observer.requests.every((r) => r.targetId === null && r.status === 301)).toBe(true);
    expect(dp.observer.requests[0].ruleId).toBe('site/proto');
  });

  it('a Host that cannot go into a Location gets 400', async () => {
    const web = await httpBackend('web');
    const { port } = await serve([rule('r', { action: redirect({ protocol: 'HTTPS' }) })], [backend('web', [target('w', BE, web.port)])]);
    const r = await get(port, '/', 'evil.com/x?');
    expect(r.status).toBe(400);
    expect(r.headers.location).toBeUndefined();
  });
});

test('fixed response: status, content type and body; HEAD gets no body; keep-alive continues', async () => {
  const web = await httpBackend('web');
  const { port } = await serve([
    rule('ping', { path: '/ping', action: { type: 'fixedResponse', backendService: null, redirect: null, fixedResponse: { statusCode: 200, contentType: 'text/plain', body: 'pong' } },
      responseHeaders: { set: [{ name: 'X-Served-By', value: 'alb' }], remove: [] } }),
    rule('empty', { path: '/empty', action: { type: 'fixedResponse', backendService: null, redirect: null, fixedResponse: { statusCode: 204, contentType: 'text/plain', body: '' } } }),
    rule('gone', { path: '/gone/*', action: { type: 'fixedResponse', backendService: null, redirect: null, fixedResponse: { statusCode: 410, contentType: 'application/json', body: '{"gone":true}' } } }),
  ], [backend('web', [target('w', BE, web.port)])]);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ping = await request({ host: LB, port, path: '/ping', agent });
  expect([ping.status, ping.headers['content-type'], ping.headers['x-served-by'], ping.body]).toEqual([200, 'text/plain', 'alb', 'pong']);
  const gone = await request({ host: LB, port, path: '/gone/x', agent, method: 'POST', body: 'ignored body' });
  expect([gone.status, gone.headers['content-type'], gone.body]).toEqual([410, 'application/json', '{"gone":true}']);
  const empty = await request({ host: LB, port, path: '/empty', agent });
  expect([empty.status, empty.headers['content-length'], empty.headers['transfer-encoding'], empty.body]).toEqual([204, undefined, undefined, '']);
  const head = await request({ host: LB, port, path: '/ping', agent, method: 'HEAD' });
  expect([head.status, head.headers['content-length'], head.body]).toEqual([200, '4', '']);
  expect((await request({ host: LB, port, path: '/other', agent })).body).toBe('web');
  agent.destroy();
  expect(web.seen.map((r) => r.url)).toEqual(['/other']);
});

test('rewrite of host, path and query with *', async () => {
  const web = await httpBackend('web');
  const { port } = await serve([
    rule('old', { host: '*.example.com', path: '/old/*', action: forward('web'), rewrite: { host: '*.internal', path: '/new/*', query: 'v=2&*' } }),
    rule('fixed', { path: '/fixed', action: forward('web'), rewrite: { host: 'static.internal', path: null, query: 'only=1' } }),
  ], [backend('web', [target('w', BE, web.port)], { forwardedHeaders: { proto: false, port: false, host: true, lbIp: false, clientPort: false } })]);
  await get(port, '/old/a/b?x=1', 'shop.eu.example.com');
  await get(port, '/old/', 'www.example.com');
  await get(port, '/fixed?dropped=1', 'www.example.com');
  expect(web.seen.map((r) => [r.headers.host, r.url, r.headers['x-forwarded-host']])).toEqual([
    ['shop.eu.internal', '/new/a/b?v=2&x=1', 'shop.eu.example.com'],
    ['www.internal', '/new/?v=2&', 'www.example.com'],
    ['static.internal', '/fixed?only=1', 'www.example.com'],
  ]);
});

test('request and response header set/remove', async () => {
  const web = await httpBackend('web', (_req, res) => {
    res.writeHead(200, { server: 'app/1.0', 'x-internal': 'secret', 'x-served-by': 'app', 'x-keep': 'yes' });
    res.end('ok');
  });
  const { port } = await serve([
    rule('h', {
      action: forward('web'),
      requestHeaders: { set: [{ name: 'X-Env', value: 'prod' }], remove: ['X-Debug'] },
      responseHeaders: { set: [{ name: 'X-Served-By', value: 'alb' }], remove: ['Server', 'x-internal'] },
    }),
  ], [backend('web', [target('w', BE, web.port)])]);
  const r = await get(port, '/', 'a.example.com', { 'x-debug': '1', 'X-ENV': 'spoofed', 'x-other': 'kept' });
  const seen = web.seen[0];
  expect(seen.headers['x-env']).toBe('prod');
  expect(seen.rawHeaders.filter((h) => h.toLowerCase() === 'x-env')).toHaveLength(1);
  expect(seen.headers['x-debug']).toBeUndefined();
  expect(seen.headers['x-other']).toBe('kept');
  expect(r.headers.server).toBeUndefined();
  expect(r.headers['x-internal']).toBeUndefined();
  expect(r.headers['x-served-by']).toBe('alb');
  expect(r.rawHeaders.filter((h) => h.toLowerCase() === 'x-served-by')).toHaveLength(1);
  expect(r.headers['x-keep']).toBe('yes');
});

describe('mirror', () => {
  it('the mirror gets a copy, the client gets the primary\'s response without waiting for the mirror', async () => {
    const web = await httpBackend('web');
    // The mirror answers after 1.5 s: the client must not wait for it.
    const shadow = await httpBackend('shadow', (_req, res) => {
      setTimeout(() => { res.writeHead(500); res.end('shadow'); }, 1500);
    });
    const { port, dp } = await serve([
      rule('m', { path: '/m/*', action: forward('web'), mirror: 'shadow', rewrite: { host: null, path: '/x/*', query: null },
        requestHeaders: { set: [{ name: 'X-Env', value: 'prod' }], remove: [] } }),
    ], [backend('web', [target('w', BE, web.port)]), backend('shadow', [target('s', BE, shadow.port)])]);
    const t0 = performance.now();
    const r = await get(port, '/m/1?q=2', 'a.example.com', { 'x-trace': 't1' });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect([r.status, r.body]).toEqual([200, 'web']);
    await sleep(300);
    expect(shadow.seen.map((s) => [s.method, s.url, s.headers['x-trace'], s.headers['x-env'], s.headers.host])).toEqual([
      ['GET', '/x/1?q=2', 't1', 'prod', 'a.example.com'],
    ]);
    // A request with a body is mirrored with its body (test/runtime/mirror-bodies.test.ts).
    const post = await get(port, '/m/2', 'a.example.com', { 'content-type': 'text/plain' }, 'POST', 'payload');
    expect(post.body).toBe('web');
    expect(web.seen.at(-1)?.body.toString()).toBe('payload');
    await sleep(200);
    expect(shadow.seen.map((s) => [s.method, s.url, s.body.toString()])).toEqual([['GET', '/x/1?q=2', ''], ['POST', '/x/2', 'payload']]);
    await sleep(1500); // the copies' slow answers
    expect(dp.observer.mirrorCopies).toEqual(['l shadow completed', 'l shadow completed']);
  });

  it(`is bounded: at most ${MAX_MIRROR_INFLIGHT} copies in flight, the rest dropped while the clients are served`, async () => {
    const web = await httpBackend('web');
    const held: http.ServerResponse[] = [];
    const shadow = await httpBackend('shadow', (_req, res) => { held.push(res); }); // never answers
    const { port, dp } = await serve([rule('m', { action: forward('web'), mirror: 'shadow' })],
      [backend('web', [target('w', BE, web.port)]), backend('shadow', [target('s', BE, shadow.port)], { timeouts: { connectTimeoutMs: 1000, responseTimeoutMs: 60000 } })]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const n = MAX_MIRROR_INFLIGHT + 16;
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => request({ host: LB, port, path: `/r${i}`, agent })));
    agent.destroy();
    expect(answers.every((r) => r.status === 200 && r.body === 'web')).toBe(true);
    await sleep(300);
    expect(shadow.seen).toHaveLength(MAX_MIRROR_INFLIGHT);
    expect(dp.observer.mirrorCopies).toEqual(Array(n - MAX_MIRROR_INFLIGHT).fill('l shadow dropped'));
    for (const res of held) res.destroy();
    await sleep(200);
    expect(dp.observer.mirrorCopies.filter((c) => c === 'l shadow failed')).toHaveLength(MAX_MIRROR_INFLIGHT);
  });

  it('a dead mirror never fails the client\'s request', async () => {
    const web = await httpBackend('web');
    const shadow = await httpBackend('shadow');
    const shadowPort = shadow.port;
    await shadow.kill();
    const { port, dp } = await serve([rule('m', { action: forward('web'), mirror: 'shadow' })],
      [backend('web', [target('w', BE, web.port)]), backend('shadow', [target('s', BE, shadowPort)])]);
    for (let i = 0; i < 5; i++) expect((await get(port, `/r${i}`, 'a.example.com')).body).toBe('web');
    expect(web.seen).toHaveLength(5);
    expect(dp.observer.requests.every((r) => r.status === 200 && r.backendId === 'web')).toBe(true);
    expect(dp.observer.mirrorCopies).toEqual(Array(5).fill('l shadow failed'));
  });
});

test('session persistence on two backend services behind one listener: each keeps its target', async () => {
  const names = ['a1', 'a2', 'b1', 'b2'];
  const [a1, a2, b1, b2] = await Promise.all(names.map((n) => httpBackend(n)));
  const sticky = (name: string): Partial<BackendServiceConfig> => ({ sessionPersistence: { cookieName: name, cookieTimeoutSeconds: 0 } });
  const { port } = await serve([
    rule('a', { path: '/a/*', action: forward('a') }),
    rule('b', { path: '/b/*', action: forward('b') }),
  ], [
    backend('web', [target('w', BE, a1.port)]),
    backend('a', [target('a1', BE, a1.port), target('a2', BE, a2.port)], sticky('ALB_SESSION_aaaaaaaa')),
    backend('b', [target('b1', BE, b1.port), target('b2', BE, b2.port)], sticky('ALB_SESSION_bbbbbbbb')),
  ]);
  const jar = new Map<string, string>();
  const call = async (path: string) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const r = await get(port, path, 'a.example.com', cookie ? { cookie } : {});
    for (const c of ([] as string[]).concat(r.headers['set-cookie'] ?? [])) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return r.body;
  };
  const firstA = await call('/a/1');
  const firstB = await call('/b/1');
  expect([...jar.keys()].sort()).toEqual(['ALB_SESSION_aaaaaaaa', 'ALB_SESSION_bbbbbbbb']);
  for (let i = 0; i < 6; i++) {
    expect(await call(`/a/${i}`)).toBe(firstA);
    expect(await call(`/b/${i}`)).toBe(firstB);
  }
  // The LB's own cookies never reach the application.
  // The LB's cookies (of either backend service) never reach a target; the application's do.
  expect((await get(port, '/a/x', 'a.example.com', { cookie: `app=1; ${[...jar].map(([k, v]) => `${k}=${v}`).join('; ')}; theme=dark` })).body).toBe(firstA);
  for (const b of [a1, a2, b1, b2]) for (const s of b.seen) expect(s.headers.cookie ?? '').not.toContain('ALB_SESSION');
  expect((firstA === 'a1' ? a1 : a2).seen.at(-1)?.headers.cookie).toBe('app=1; theme=dark');
});

test('a reload swaps the rules atomically; a map that does not compile is refused and the old one keeps serving', async () => {
  const web = await httpBackend('web');
  const api = await httpBackend('api');
  const services = [backend('web', [target('w', BE, web.port)]), backend('api', [target('a', BE, api.port)])];
  const { port, dp } = await serve([rule('api', { path: '/api/*', action: forward('api') })], services);
  expect((await get(port, '/api/x', 'h')).body).toBe('api');
  const next = (rules: UrlMapRuleConfig[]) => ({
    ...lbConfig([listener('l', port, 'web', { urlMap: 'site' })], services), urlMaps: [{ id: 'site', path: 'test/site', rules }],
  });
  await dp.dp.apply(next([rule('api', { path: '/v2/*', action: forward('api') })]), LB);
  expect((await get(port, '/api/x', 'h')).body).toBe('web');
  expect((await get(port, '/v2/x', 'h')).body).toBe('api');
  await expect(dp.dp.apply(next([rule('bad', { host: '*', action: forward('api') })]), LB)).rejects.toThrow('URL map test/site: rule 0: host "*" is a bare "*"');
  await expect(dp.dp.apply(next([rule('bad', { action: forward('nope') })]), LB)).rejects.toThrow('rules.bad "nope" is not an HTTP backend service of the config');
  expect((await get(port, '/v2/x', 'h')).body).toBe('api');
});

describe('the matched rule in metrics, the access log and the config validator', () => {
  it('alb_rule_requests_total counts requests per listener and rule', () => {
    const m = new RequestMetrics();
    m.requestDone('l', 'web', 't', 200, 1, 'site/api');
    m.requestDone('l', 'web', 't', 200, 1, 'site/api');
    m.requestDone('l', 'web', 't', 200, 1, null);
    m.mirrorCopy('l', 'shadow', 'dropped');
    const mirrors = (m.toJSON() as Array<{ name: string; values: unknown[] }>).find((x) => x.name === 'alb_mirror_copies_total');
    expect(mirrors?.values).toEqual([{ labels: { listener: 'l', backend: 'shadow', outcome: 'dropped' }, value: 1 }]);
    const rules = (m.toJSON() as Array<{ name: string; values: unknown[] }>).find((x) => x.name === 'alb_rule_requests_total');
    expect(rules?.values).toEqual([{ labels: { listener: 'l', rule: 'site/api' }, value: 2 }]);
  });

  it('the access log line names the rule (null when none matched)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'urlmap-log-'));
    try {
      const file = path.join(dir, 'access.log');
      const log = createAccessLog({ file }) as AccessLog;
      log.write('l', 'web', 't', 301, 1, 0, 'GET', '/x', '127.0.0.1', 'site/https');
      log.write('l', 'web', 't', 200, 1, 0, 'GET', '/y', '127.0.0.1', null);
      await log.close();
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { rule: string | null });
      expect(lines.map((l) => l.rule)).toEqual(['site/https', null]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses documents whose URL maps do not resolve or do not parse', () => {
    const cfg = {
      ...lbConfig([listener('l', 80, 'web', { urlMap: 'nope' }), listener('t', 81, 'db', { protocol: 'TCP', urlMap: 'site' })],
        [backend('web', []), backend('db', [], { protocol: 'TCP' })]),
      urlMaps: [{ id: 'site', path: 'test/site', rules: [
        rule('a', { host: '*', action: forward('db') }),
        rule('b', { path: '/x', mirror: 'web' }),
        rule('c', { path: '/x' }),
        rule('c', { action: redirect({ port: 443 }), rewrite: { host: null, path: '/y', query: null } }),
        rule('d', { path: '/d', mirrorMaxBodyBytes: 4096 }),
      ] }],
    };
    expect(validateLbConfig(cfg).map(renderIssue)).toEqual([
      '/urlMaps/0/rules/0/action/backendService: "db" is not the id of an HTTP backend service in this document; allowed: "web"',
      '/listeners/0/urlMap: "nope" is not the id of a URL map in this document; allowed: "site"',
      'test/site: rules.a.host "*" is a bare "*" (leave host out to match every host); allowed: an exact host, "*.suffix" or "prefix.*" (no bare "*"), at most 110 characters; leave it out for every host',
      'test/site: rules.b.mirror "test/web" is the backend service the rule forwards to; allowed: another backend service (a mirror receives a copy of what the forward target gets)',
      'test/site: rules.c.host+path "(any host) /x" is already matched by rule b; allowed: one rule per host and path in a URL map',
      'test/site: rules "c" is already a rule of this URL map; allowed: a rule id unique within its URL map',
      'test/site: rules.c.rewrite {"host":null,"path":"/y","query":null} is set on a redirect rule; allowed: rewrite on RuleAction.forward rules only (nothing is forwarded otherwise)',
      'test/site: rules.d.mirrorMaxBodyBytes 4096 is set on a rule without a mirror; allowed: mirrorMaxBodyBytes beside mirror only (it bounds the request bodies the mirror gets a copy of)',
      // The same lines as synth gives for the same mistakes (lib/model/url-map.ts is their one home).
      'test/t: urlMap "test/site" is set on a TCP listener; allowed: a URL map on HTTP and HTTPS listeners only (TCP/TLS listeners do not see hosts or paths)',
    ]);
  });
});

test('upgrades follow the rules: a WebSocket is forwarded (rewritten) by its rule; a deny rule is not bypassed by Upgrade', async () => {
  const web = await httpBackend('web');
  const wsServer = http.createServer((_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server: wsServer });
  const upgradedPaths: string[] = [];
  wss.on('connection', (ws, req) => {
    upgradedPaths.push(req.url ?? '');
    ws.on('message', (data) => ws.send(`echo:${data.toString()}`));
  });
  await new Promise<void>((r) => wsServer.listen(0, BE, () => r()));
  try {
    const wsPort = (wsServer.address() as AddressInfo).port;
    const { port, dp } = await serve([
      rule('chat', { path: '/chat/*', action: forward('ws'), rewrite: { host: null, path: '/socket/*', query: null } }),
      rule('deny', { path: '/deny/*', action: { type: 'fixedResponse', backendService: null, redirect: null, fixedResponse: { statusCode: 403, contentType: 'text/plain', body: 'denied' } } }),
    ], [backend('web', [target('w', BE, web.port)]), backend('ws', [target('s', BE, wsPort)])]);
    const client = new WebSocket(`ws://${LB}:${port}/chat/room1`);
    const reply = await new Promise<string>((resolve, reject) => {
      client.on('open', () => client.send('hi'));
      client.on('message', (d) => resolve(d.toString()));
      client.on('error', reject);
    });
    client.close();
    expect(reply).toBe('echo:hi');
    expect(upgradedPaths).toEqual(['/socket/room1']);
    const denied = await rawExchange(LB, port,
      `GET /deny/x HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    expect(denied.response).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(denied.response.endsWith('\r\n\r\ndenied')).toBe(true);
    expect(denied.closed).toBe(true);
    expect(web.seen).toEqual([]);
    expect(dp.observer.requests.map((r) => [r.ruleId, r.status])).toEqual(expect.arrayContaining([['site/deny', 403]]));
  } finally {
    wsServer.closeAllConnections();
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wsServer.close(r));
  }
});
