/**
 * One rule, one home: the model's rules (lib/model) check a construct tree at synth and every
 * document a node loads. A stack with a mistake fails synth with a line; the document of a
 * good stack, given the same mistake by hand, is refused by `alb-runtime validate` with the
 * very same line.
 */
import * as fs from 'fs';
import { BackendProtocol, Certificate, ListenerProtocol, LoadBalancer, RuleAction } from '../../index';
import { LbConfig, UrlMapRuleConfig } from '../../lib/config/types';
import { httpBackend, loadBalancer, world, withoutSite } from '../constructs/helpers';
import { cli, ensureBundle, tempDir, writeJson } from './cli-helpers';

let dir: string;
beforeAll(() => {
  ensureBundle();
  dir = tempDir('shared-rules');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const cert = () => Certificate.fromFiles('package.json', 'package.json', 'site');

/** A small valid LB; `mistake` may break it. Returns the LB. */
function stack(mistake: (lb: LoadBalancer) => void = () => undefined): { lb: LoadBalancer; problems: string[] } {
  const w = world();
  const lb = loadBalancer(w);
  const web = httpBackend(lb, 'web');
  lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: web });
  const tcp = lb.addBackendService('db', { protocol: BackendProtocol.TCP, port: 5432 });
  tcp.addServerGroup(lb.addServerGroup('db', { targets: [{ address: '127.0.0.2' }] }));
  lb.addListener('tls', { protocol: ListenerProtocol.TLS, port: 5433, backendService: tcp, certificates: [cert()] });
  mistake(lb);
  const problems = w.stack.node.findAll().flatMap((c) => c.node.validate()).map(withoutSite);
  return { lb, problems };
}

/** What `alb-runtime validate` says about the good stack's document after `edit`. */
function runtimeProblems(edit: (doc: LbConfig) => void): string[] {
  const doc = JSON.parse(stack().lb.synthesizeConfig()) as LbConfig;
  edit(doc);
  const r = cli(['validate', '--config', writeJson(dir, 'doc.json', doc)]);
  expect(r.code).toBe(1);
  return r.stderr.split('\n').filter((l) => l.startsWith('  - ')).map((l) => l.slice(4));
}

const listenerOf = (doc: LbConfig, name: string) => doc.listeners.find((l) => l.id === `lb/Listeners/${name}`)!;
const backendOf = (doc: LbConfig, name: string) => doc.backendServices.find((b) => b.id === `lb/BackendServices/${name}`)!;

/** A URL map of the document, its rules forwarding `/<path>` to the web backend. */
const urlMap = (paths: [string, string][]) => ({
  id: 'lb/UrlMaps/site', path: 'test/lb/UrlMaps/site',
  rules: paths.map(([id, path]): UrlMapRuleConfig => ({
    id, host: null, path, action: { type: 'forward', backendService: 'lb/BackendServices/web', redirect: null, fixedResponse: null },
    rewrite: null, requestHeaders: null, responseHeaders: null, mirror: null,
  })),
});

describe('synth and runtime refuse the same mistake with the same line', () => {
  test('the good stack synthesizes and its document validates', () => {
    const { lb, problems } = stack();
    expect(problems).toEqual([]);
    const r = cli(['validate', '--config', writeJson(dir, 'good.json', JSON.parse(lb.synthesizeConfig()))]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  test.each<[string, (lb: LoadBalancer) => void, (doc: LbConfig) => void]>([
    ['listener/backend protocol pairing',
      (lb) => lb.addListener('plain', { protocol: ListenerProtocol.HTTP, port: 81, backendService: lb.backendServices[1] }),
      (doc) => doc.listeners.push({ ...listenerOf(doc, 'http'), id: 'lb/Listeners/plain', path: 'test/lb/Listeners/plain', port: 81, backendService: 'lb/BackendServices/db' })],
    ['a TLS listener needs a certificate',
      (lb) => lb.addListener('bare', { protocol: ListenerProtocol.TLS, port: 5434, backendService: lb.backendServices[1] }),
      (doc) => doc.listeners.push({ ...listenerOf(doc, 'tls'), id: 'lb/Listeners/bare', path: 'test/lb/Listeners/bare', port: 5434, tls: { ...listenerOf(doc, 'tls').tls!, defaultCertificates: [] } })],
    ['one port per listener',
      (lb) => lb.addListener('again', { protocol: ListenerProtocol.HTTP, port: 80, backendService: lb.backendServices[0] }),
      (doc) => doc.listeners.push({ ...listenerOf(doc, 'http'), id: 'lb/Listeners/again', path: 'test/lb/Listeners/again' })],
    ['target weight range',
      (lb) => lb.serverGroups[1].addTarget({ address: '127.0.0.3', weight: 101 }),
      (doc) => backendOf(doc, 'db').targets.push({ ...backendOf(doc, 'db').targets[0], id: 'lb/ServerGroups/db/127.0.0.3:5432', address: '127.0.0.3', weight: 101 })],
    ['cookie timeout range',
      (lb) => lb.addBackendService('sticky', { protocol: BackendProtocol.HTTP, port: 8080, sessionPersistence: { cookieTimeoutSeconds: 86401 } }),
      (doc) => doc.backendServices.push({
        ...backendOf(doc, 'web'), id: 'lb/BackendServices/sticky', path: 'test/lb/BackendServices/sticky',
        sessionPersistence: { cookieName: 'ALB_SESSION', cookieTimeoutSeconds: 86401 }, targets: [],
      })],
    ['one session cookie name per backend service',
      (lb) => {
        lb.addBackendService('a', { protocol: BackendProtocol.HTTP, port: 8080, sessionPersistence: { cookieName: 'SID' } });
        lb.addBackendService('b', { protocol: BackendProtocol.HTTP, port: 8080, sessionPersistence: { cookieName: 'SID' } });
      },
      (doc) => {
        for (const name of ['a', 'b']) {
          doc.backendServices.push({
            ...backendOf(doc, 'web'), id: `lb/BackendServices/${name}`, path: `test/lb/BackendServices/${name}`,
            sessionPersistence: { cookieName: 'SID', cookieTimeoutSeconds: 0 }, targets: [],
          });
        }
      }],
    ['a URL map on HTTP/HTTPS listeners only',
      (lb) => {
        const site = lb.addUrlMap('site');
        site.addRule('r', { path: '/x', action: RuleAction.forward(lb.backendServices[0]) });
        lb.addListener('t2', { protocol: ListenerProtocol.TLS, port: 5434, backendService: lb.backendServices[1], certificates: [cert()], urlMap: site });
      },
      (doc) => {
        doc.urlMaps = [urlMap([['r', '/x']])];
        doc.listeners.push({ ...listenerOf(doc, 'tls'), id: 'lb/Listeners/t2', path: 'test/lb/Listeners/t2', port: 5434, urlMap: 'lb/UrlMaps/site' });
      }],
    ['one rule per host and path in a URL map',
      (lb) => {
        const site = lb.addUrlMap('site');
        site.addRule('a', { path: '/x', action: RuleAction.forward(lb.backendServices[0]) });
        site.addRule('b', { path: '/x', action: RuleAction.forward(lb.backendServices[0]) });
      },
      (doc) => { doc.urlMaps = [urlMap([['a', '/x'], ['b', '/x']])]; }],
  ])('%s', (_name, mistake, edit) => {
    const synth = stack(mistake).problems;
    expect(synth).toHaveLength(1);
    expect(runtimeProblems(edit)).toEqual(synth);
  });
});
