/**
 * URL maps: every validation rule with its message (rule-level ones are recorded at addRule
 * and reported at synth, a refused rule left out of its map; tree-level ones fail synth too),
 * and the rendered config document.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BackendProtocol, ListenerProtocol, RedirectProtocol, RuleAction } from '../../index';
import { LbConfig } from '../../lib/config/types';
import { validateLbConfig } from '../../lib/config/validate';
import { errorLines, fullSynth, httpBackend, loadBalancer, reported, synthErrors, warnings, world, World } from './helpers';

/** The problem lines `fn` adds to the stack's validation (each addRule is reported on its own). */
function added(w: World, fn: () => unknown): string {
  const lines = (text: string) => (text === '' ? [] : text.split('\n'));
  const before = lines(reported(w, () => undefined));
  return lines(reported(w, fn)).filter((line) => {
    const i = before.indexOf(line);
    if (i < 0) return true;
    before.splice(i, 1);
    return false;
  }).join('\n');
}

function setup() {
  const w = world();
  const lb = loadBalancer(w);
  const web = httpBackend(lb, 'web');
  const api = httpBackend(lb, 'api');
  const site = lb.addUrlMap('site');
  return { w, lb, web, api, site };
}

const M = 'test/lb/UrlMaps/site';

describe('URL map rules: patterns', () => {
  it('refuses bad host and path patterns with what is allowed', () => {
    const { w, site, web } = setup();
    expect(added(w, () => site.addRule('r', { host: '*', path: 'v1', action: RuleAction.forward(web) })).split('\n')).toEqual([
      `${M}: rules.r.host "*" is a bare "*" (leave host out to match every host); allowed: an exact host, "*.suffix" or "prefix.*" (no bare "*"), at most 110 characters; leave it out for every host`,
      `${M}: rules.r.path "v1" does not start with "/"; allowed: "/" then URL path characters, exact or with one trailing "*", at most 128 characters`,
    ]);
    expect(added(w, () => site.addRule('r', { host: 'a.*.com', action: RuleAction.forward(web) })))
      .toContain('rules.r.host "a.*.com" has a "*" that is not a leading "*." or a trailing ".*"');
    expect(added(w, () => site.addRule('r', { path: '/a*b', action: RuleAction.forward(web) })))
      .toContain('rules.r.path "/a*b" holds a character');
  });

  it('host ≤ 110 and path ≤ 128 characters', () => {
    const { w, site, web } = setup();
    const host110 = `${'a'.repeat(60)}.${'b'.repeat(49)}`;
    site.addRule('ok', { host: host110, path: `/${'p'.repeat(127)}`, action: RuleAction.forward(web) });
    const msg = added(w, () => site.addRule('long', { host: `x${host110}`, path: `/${'p'.repeat(128)}`, action: RuleAction.forward(web) }));
    expect(msg).toContain('rules.long.host');
    expect(msg).toContain('is 111 characters long; allowed:');
    expect(msg).toContain('rules.long.path');
    expect(msg).toContain('is 129 characters long; allowed:');
  });

  it('refuses a second rule with the same host and path (case-insensitive host, no path = /*)', () => {
    const { w, site, web, api } = setup();
    site.addRule('a', { host: 'API.example.com', action: RuleAction.forward(web) });
    expect(added(w, () => site.addRule('b', { host: 'api.example.COM', path: '/*', action: RuleAction.forward(api) }))).toBe(
      `${M}: rules.b.host+path "api.example.COM /*" is already matched by rule a; allowed: one rule per host and path in a URL map`);
    expect(added(w, () => site.addRule('a', { path: '/x', action: RuleAction.forward(web) }))).toBe(
      `${M}: rules "a" is already a rule of this URL map; allowed: a rule id unique within its URL map`);
    // The same host with another path is another rule.
    site.addRule('c', { host: 'api.example.com', path: '/v1/*', action: RuleAction.forward(api) });
    expect(site.ruleCount).toBe(2);
  });
});

describe('URL map rules: actions', () => {
  it('forward or mirror to a backend of another LB or a TCP backend', () => {
    const { w, site, web } = setup();
    const other = loadBalancer(w, 'other');
    const foreign = httpBackend(other, 'foreign');
    const lb = site.loadBalancer;
    const tcp = lb.addBackendService('db', { protocol: BackendProtocol.TCP, port: 5432 });
    expect(added(w, () => site.addRule('r', { action: RuleAction.forward(foreign), mirror: tcp })).split('\n')).toEqual([
      `${M}: rules.r.action.forward "test/other/BackendServices/foreign" belongs to load balancer test/other; allowed: a backend service of test/lb`,
      `${M}: rules.r.mirror "test/lb/BackendServices/db" is a TCP backend service; allowed: a BackendProtocol.HTTP backend service (rules serve HTTP/HTTPS listeners)`,
    ]);
    expect(added(w, () => site.addRule('r', { action: RuleAction.forward(tcp), mirror: foreign })).split('\n')).toEqual([
      `${M}: rules.r.action.forward "test/lb/BackendServices/db" is a TCP backend service; allowed: a BackendProtocol.HTTP backend service (rules serve HTTP/HTTPS listeners)`,
      `${M}: rules.r.mirror "test/other/BackendServices/foreign" belongs to load balancer test/other; allowed: a backend service of test/lb`,
    ]);
    expect(site.ruleCount).toBe(0);
    site.addRule('ok', { action: RuleAction.forward(web) });
  });

  it('mirror equal to the forward target', () => {
    const { w, site, web } = setup();
    expect(added(w, () => site.addRule('r', { path: '/x', action: RuleAction.forward(web), mirror: web }))).toBe(
      `${M}: rules.r.mirror "test/lb/BackendServices/web" is the backend service the rule forwards to; allowed: another backend service (a mirror receives a copy of what the forward target gets)`);
  });

  it('mirrorMaxBodyBytes: a byte count in range, beside a mirror only', () => {
    const { w, site, web, api } = setup();
    expect(added(w, () => site.addRule('a', { path: '/a', action: RuleAction.forward(web), mirror: api, mirrorMaxBodyBytes: -1 }))).toBe(
      `${M}: rules.a.mirrorMaxBodyBytes -1 is out of range; allowed: 0..1073741824 bytes`);
    expect(added(w, () => site.addRule('b', { path: '/b', action: RuleAction.forward(web), mirror: api, mirrorMaxBodyBytes: 1.5 }))).toBe(
      `${M}: rules.b.mirrorMaxBodyBytes 1.5 is not an integer; allowed: an integer 0..1073741824 bytes`);
    expect(added(w, () => site.addRule('c', { path: '/c', action: RuleAction.forward(web), mirrorMaxBodyBytes: 1000 }))).toBe(
      `${M}: rules.c.mirrorMaxBodyBytes 1000 is set on a rule without a mirror; allowed: mirrorMaxBodyBytes beside mirror only (it bounds the request bodies the mirror gets a copy of)`);
    site.addRule('d', { path: '/d', action: RuleAction.forward(web), mirror: api, mirrorMaxBodyBytes: 0 });
    expect(site.ruleCount).toBe(1);
  });

  it('redirect with no field', () => {
    const { w, site } = setup();
    expect(added(w, () => site.addRule('r', { action: RuleAction.redirect({ statusCode: 302 }) }))).toBe(
      `${M}: rules.r.action.redirect {"statusCode":302} changes nothing (it would redirect to the same URL); allowed: at least one of protocol, host, port, path, query`);
  });

  it('redirect fields and status code', () => {
    const { w, site } = setup();
    expect(added(w, () => site.addRule('r', {
      action: RuleAction.redirect({ protocol: 'FTP' as RedirectProtocol, host: 'a b', port: 0, path: 'x', query: '?a=1', statusCode: 303 }),
    })).split('\n')).toEqual([
      `${M}: rules.r.action.redirect.protocol "FTP" is not a RedirectProtocol; allowed: RedirectProtocol.HTTP, RedirectProtocol.HTTPS`,
      `${M}: rules.r.action.redirect.host "a b" is not a host name; allowed: a host name or IPv4 address without port, at most 110 characters`,
      `${M}: rules.r.action.redirect.port 0 is out of range; allowed: 1..65535`,
      `${M}: rules.r.action.redirect.path "x" is not a path; allowed: "/" followed by URL path characters, at most 128 characters`,
      `${M}: rules.r.action.redirect.query "?a=1" is not a query string; allowed: URL query characters without a leading "?", at most 128 characters`,
      `${M}: rules.r.action.redirect.statusCode 303 is not a redirect status; allowed: 301, 302, 307, 308`,
    ]);
    for (const statusCode of [301, 302, 307, 308]) {
      site.addRule(`s${statusCode}`, { path: `/${statusCode}`, action: RuleAction.redirect({ protocol: RedirectProtocol.HTTPS, statusCode }) });
    }
  });

  it('fixed response status, content type and body length', () => {
    const { w, site } = setup();
    expect(added(w, () => site.addRule('r', {
      action: RuleAction.fixedResponse({ statusCode: 199, contentType: 'text', body: 'x'.repeat(1025) }),
    })).split('\n')).toEqual([
      `${M}: rules.r.action.fixedResponse.statusCode 199 is out of range; allowed: 200..599`,
      `${M}: rules.r.action.fixedResponse.contentType "text" is not a media type; allowed: e.g. "text/plain", "application/json; charset=utf-8"`,
      `${M}: rules.r.action.fixedResponse.body "<1025 characters>" is too long; allowed: at most 1024 characters`,
    ]);
  });

  it('no body on a 204 or 304 fixed response', () => {
    const { w, site } = setup();
    expect(added(w, () => site.addRule('r', { action: RuleAction.fixedResponse({ statusCode: 204, body: 'x' }) }))).toBe(
      `${M}: rules.r.action.fixedResponse.body "x" is set on a 204 response; allowed: no body with 204 or 304 (HTTP forbids one)`);
    site.addRule('ok', { action: RuleAction.fixedResponse({ statusCode: 204 }) });
  });

  it('rewrite, request headers and mirror only on forward rules', () => {
    const { w, site, web } = setup();
    expect(added(w, () => site.addRule('r', {
      action: RuleAction.fixedResponse({ statusCode: 404 }), rewrite: { path: '/x' }, requestHeaders: { remove: ['X-A'] }, mirror: web,
    })).split('\n')).toEqual([
      `${M}: rules.r.rewrite {"path":"/x"} is set on a fixedResponse rule; allowed: rewrite on RuleAction.forward rules only (nothing is forwarded otherwise)`,
      `${M}: rules.r.requestHeaders {"remove":["X-A"]} is set on a fixedResponse rule; allowed: requestHeaders on RuleAction.forward rules only (nothing is forwarded otherwise)`,
      `${M}: rules.r.mirror "test/lb/BackendServices/web" is set on a fixedResponse rule; allowed: mirror on RuleAction.forward rules only (nothing is forwarded otherwise)`,
    ]);
  });

  it('rewrite: a * only where the rule has a wildcard, at least one field', () => {
    const { w, site, web } = setup();
    expect(added(w, () => site.addRule('r', { host: 'a.example.com', path: '/old', action: RuleAction.forward(web), rewrite: { host: '*.internal', path: '/new/*' } })).split('\n')).toEqual([
      `${M}: rules.r.rewrite.host "*.internal" carries a "*" but the rule's host has none; allowed: a "*" only with a "*.suffix" or "prefix.*" host`,
      `${M}: rules.r.rewrite.path "/new/*" carries a "*" but the rule's path is exact; allowed: a "*" only with a prefix path ("/old/*")`,
    ]);
    expect(added(w, () => site.addRule('r', { action: RuleAction.forward(web), rewrite: {} }))).toBe(
      `${M}: rules.r.rewrite {} rewrites nothing; allowed: at least one of host, path, query (or leave it out)`);
    site.addRule('ok', { host: '*.example.com', path: '/old/*', action: RuleAction.forward(web), rewrite: { host: '*.internal', path: '/new/*', query: 'v=2&*' } });
  });

  it.each([
    'X-Forwarded-For', 'x-forwarded-anything', 'Connection', 'Upgrade', 'Content-Length', 'Transfer-Encoding', 'Keep-Alive', 'TE', 'Host', 'Cookie',
  ])('reserved header name %s is refused in set and remove, request and response', (name) => {
    const { w, site, web } = setup();
    const msg = added(w, () => site.addRule('r', {
      action: RuleAction.forward(web), requestHeaders: { set: { [name]: 'v' } }, responseHeaders: { remove: [name] },
    }));
    const allowed = 'allowed: any header field name not connection, upgrade, content-length, transfer-encoding, keep-alive, te, host, cookie or X-Forwarded-*';
    expect(msg.split('\n')).toEqual([
      `${M}: rules.r.requestHeaders.set ${JSON.stringify(name)} is a reserved header name; ${allowed}`,
      `${M}: rules.r.responseHeaders.remove ${JSON.stringify(name)} is a reserved header name; ${allowed}`,
    ]);
  });

  it('header names and values must be valid on the wire', () => {
    const { w, site, web } = setup();
    expect(added(w, () => site.addRule('r', {
      action: RuleAction.forward(web), requestHeaders: { set: { 'Bad Name': 'v', 'X-Ok': 'a\r\nb' }, remove: ['X-Ok'] }, responseHeaders: {},
    })).split('\n')).toEqual([
      `${M}: rules.r.requestHeaders.set "Bad Name" is not a header field name; allowed: 1..40 token characters, e.g. "X-Env"`,
      `${M}: rules.r.requestHeaders.set.X-Ok "a\\r\\nb" is not a header field value; allowed: 0..1024 visible ASCII characters and spaces, no line breaks`,
      `${M}: rules.r.requestHeaders.remove "X-Ok" is also set; allowed: a name either in set (which replaces it) or in remove`,
      `${M}: rules.r.responseHeaders {} sets and removes nothing; allowed: at least one field in set or remove (or leave it out)`,
    ]);
  });
});

describe('URL maps in the tree', () => {
  it('urlMap on a TCP or TLS listener, or of another LB', () => {
    const { w, lb, site, web } = setup();
    site.addRule('r', { path: '/x', action: RuleAction.forward(web) });
    const other = loadBalancer(w, 'other');
    const otherMap = other.addUrlMap('m');
    const db = lb.addBackendService('db', { protocol: BackendProtocol.TCP, port: 5432 });
    const group = lb.addServerGroup('db-group');
    group.addTarget({ address: '127.0.0.1', port: 5432 });
    db.addServerGroup(group);
    lb.addListener('tcp', { protocol: ListenerProtocol.TCP, port: 5432, backendService: db, urlMap: site });
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: web, urlMap: otherMap });
    other.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: httpBackend(other, 'b'), urlMap: otherMap });
    expect(errorLines(synthErrors(w.stack))).toEqual([
      '[test/lb] test/lb/Listeners/tcp: urlMap "test/lb/UrlMaps/site" is set on a TCP listener; allowed: a URL map on HTTP and HTTPS listeners only (TCP/TLS listeners do not see hosts or paths)',
      '[test/lb] test/lb/Listeners/http: urlMap "test/other/UrlMaps/m" belongs to load balancer test/other; allowed: a URL map of test/lb',
    ]);
  });

  it('quotas: 50 URL maps per LB and 50 rules per map, raisable', () => {
    const build = (quotas?: object) => {
      const w = world();
      const lb = loadBalancer(w, 'lb', quotas ? { quotas } : {});
      const web = httpBackend(lb, 'web');
      lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: web });
      for (let m = 0; m < 51; m++) {
        const map = lb.addUrlMap(`m${m}`);
        if (m === 0) for (let r = 0; r < 51; r++) map.addRule(`r${r}`, { path: `/p${r}`, action: RuleAction.forward(web) });
      }
      return w;
    };
    expect(errorLines(synthErrors(build().stack))).toEqual([
      '[test/lb] test/lb: maxUrlMaps 51 URL maps exceed the quota; allowed: at most 50 (raise it with LoadBalancerProps.quotas.maxUrlMaps)',
      '[test/lb] test/lb/UrlMaps/m0: rules 51 rules exceed the quota; allowed: at most 50 per URL map (raise it with LoadBalancerProps.quotas.maxRulesPerUrlMap on test/lb)',
    ]);
    expect(synthErrors(build({ maxUrlMaps: 51, maxRulesPerUrlMap: 51 }).stack)).toBe('');
  });

  it('two backend services may not share an explicit session cookie name', () => {
    const w = world();
    const lb = loadBalancer(w);
    const a = lb.addBackendService('a', { protocol: BackendProtocol.HTTP, port: 80, sessionPersistence: { cookieName: 'SID' } });
    const b = lb.addBackendService('b', { protocol: BackendProtocol.HTTP, port: 80, sessionPersistence: { cookieName: 'SID' } });
    const map = lb.addUrlMap('m');
    map.addRule('b', { path: '/b/*', action: RuleAction.forward(b) });
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: a, urlMap: map });
    expect(errorLines(synthErrors(w.stack))).toContain(
      '[test/lb] test/lb/BackendServices/b: sessionPersistence.cookieName "SID" is already the session cookie of test/lb/BackendServices/a; allowed: a cookie name per backend service (a client routed to both would lose its target in one), or leave it out for a distinct default');
  });

  it('a backend used only by a rule or as a mirror is not reported unused', () => {
    const { w, lb, site, web, api } = setup();
    const shadow = httpBackend(lb, 'shadow');
    site.addRule('api', { path: '/api/*', action: RuleAction.forward(api), mirror: shadow });
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: web, urlMap: site });
    expect(warnings(w.stack).filter((x) => x.message.includes('unused-backend-service'))).toEqual([]);
  });

  it('renders the map, its rules and the listener reference into a valid document', () => {
    const { w, lb, site, web, api } = setup();
    const shadow = httpBackend(lb, 'shadow');
    const sticky = lb.addBackendService('sticky', { protocol: BackendProtocol.HTTP, port: 80, sessionPersistence: {} });
    const sticky2 = lb.addBackendService('sticky2', { protocol: BackendProtocol.HTTP, port: 80, sessionPersistence: {} });
    site.addRule('api', { host: 'api.example.com', path: '/v1/*', action: RuleAction.forward(api), mirror: shadow,
      rewrite: { path: '/*' }, requestHeaders: { set: { 'X-Env': 'prod' }, remove: ['X-Debug'] }, responseHeaders: { remove: ['Server'] } });
    site.addRule('https', { host: 'shop.example.com', action: RuleAction.redirect({ protocol: RedirectProtocol.HTTPS, port: 443 }) });
    site.addRule('ping', { path: '/ping', action: RuleAction.fixedResponse({ statusCode: 200, body: 'pong' }) });
    site.addRule('s1', { path: '/s1/*', action: RuleAction.forward(sticky) });
    site.addRule('s2', { path: '/s2/*', action: RuleAction.forward(sticky2) });
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: web, urlMap: site });
    lb.addListener('http2', { protocol: ListenerProtocol.HTTP, port: 81, backendService: web, urlMap: site });
    const outdir = fullSynth(w.stack);
    const doc = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'test', 'alb', 'lb.json'), 'utf8')) as LbConfig;
    expect(validateLbConfig(doc)).toEqual([]);
    expect(doc.listeners.map((l) => l.urlMap)).toEqual(['lb/UrlMaps/site', 'lb/UrlMaps/site']);
    expect(doc.urlMaps).toEqual([{
      id: 'lb/UrlMaps/site', path: 'test/lb/UrlMaps/site', rules: [
        { id: 'api', host: 'api.example.com', path: '/v1/*', action: { type: 'forward', backendService: 'lb/BackendServices/api', redirect: null, fixedResponse: null },
          rewrite: { host: null, path: '/*', query: null }, requestHeaders: { set: [{ name: 'X-Env', value: 'prod' }], remove: ['X-Debug'] },
          responseHeaders: { set: [], remove: ['Server'] }, mirror: 'lb/BackendServices/shadow', mirrorMaxBodyBytes: 1048576 },
        { id: 'https', host: 'shop.example.com', path: null,
          action: { type: 'redirect', backendService: null, fixedResponse: null,
            redirect: { protocol: 'HTTPS', host: null, port: 443, path: null, query: null, statusCode: 301 } },
          rewrite: null, requestHeaders: null, responseHeaders: null, mirror: null },
        { id: 'ping', host: null, path: '/ping',
          action: { type: 'fixedResponse', backendService: null, redirect: null, fixedResponse: { statusCode: 200, contentType: 'text/plain', body: 'pong' } },
          rewrite: null, requestHeaders: null, responseHeaders: null, mirror: null },
        expect.objectContaining({ id: 's1' }), expect.objectContaining({ id: 's2' }),
      ],
    }]);
    // Default session cookies differ per backend service.
    const names = doc.backendServices.filter((b) => b.sessionPersistence !== null).map((b) => b.sessionPersistence!.cookieName);
    expect(names).toHaveLength(2);
    expect(names[0]).not.toBe(names[1]);
    names.forEach((n) => expect(n).toMatch(/^ALB_SESSION_[0-9a-f]{8}$/));
  });
});
