/** Rendering the LB config document from the model, and validating documents. */
import { defaultCookieName, renderLbConfig, serializeLbConfig } from '../../lib/config/render';
import { LbConfig } from '../../lib/config/types';
import { assertValidLbConfig, validateLbConfig } from '../../lib/config/validate';
import { validateLoadBalancerTree } from '../../lib/model/load-balancer';
import { renderIssue } from '../../lib/model/messages';
import { sampleTree } from './fixtures';

const SECRET = 'cd'.repeat(32);
const NODES = [{ name: 'lb-az-1-r1-0', zone: 'az-1', rack: 'r1', address: '10.0.9.1' }];

function render(): LbConfig {
  const tree = sampleTree();
  expect(validateLoadBalancerTree(tree).errors).toEqual([]);
  return renderLbConfig({ tree, id: 'lb', idPrefix: 'app', nodes: NODES, cookieSecret: SECRET });
}

describe('renderLbConfig', () => {
  it('produces a document the validator accepts', () => {
    expect(validateLbConfig(render())).toEqual([]);
  });

  it('is deterministic (byte-identical output for the same model)', () => {
    expect(serializeLbConfig(render())).toBe(serializeLbConfig(render()));
  });

  it('converts seconds to milliseconds and applies per-protocol idle defaults', () => {
    const doc = render();
    expect(doc.listeners.map((l) => [l.id, l.idleTimeoutMs])).toEqual([['lb/http', 60000], ['lb/https', 60000], ['lb/tcp', 1800000], ['lb/tls', 1800000]]);
    const web = doc.backendServices[0];
    expect(web.healthCheck).toMatchObject({ intervalMs: 10000, timeoutMs: 2000, httpPath: '/healthz', protocol: 'HTTP' });
    expect(web.timeouts).toEqual({ connectTimeoutMs: 5000, responseTimeoutMs: 60000 });
    expect(web.passiveHealth).toEqual({ maxFails: 3, failTimeoutMs: 10000 });
    expect(web.sessionPersistence).toEqual({ cookieName: defaultCookieName(web.id), cookieTimeoutSeconds: 30 });
    expect(web.sessionPersistence?.cookieName).toMatch(/^ALB_SESSION_[0-9a-f]{8}$/);
    expect(web.forwardedHeaders).toEqual({ proto: true, port: false, host: false, lbIp: false, clientPort: false });
    expect(web.algorithm).toBe('WEIGHTED_LEAST_CONNECTIONS');
  });

  it('renders TLS (default TLS 1.2..1.3, or the policy given), HSTS and limits', () => {
    const [http, https, tcp, tls] = render().listeners;
    expect(http.tls).toBeNull();
    expect(https.tls).toEqual({
      defaultCertificates: [{ name: 'site', certFile: '/etc/site.pem', keyFile: '/etc/site.key' }], sniCertificates: [],
      minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: null,
    });
    expect(https.hsts).toEqual({ maxAgeSeconds: 31536000, includeSubDomains: true });
    expect(https.limits).toEqual({ qps: 1000, activeConnections: -1 });
    expect(tcp.limits).toEqual({ qps: -1, activeConnections: 100 });
    expect(tls.tls?.minVersion).toBe('TLSv1.3');
  });

  it('resolves targets: port 0 inherits the backend port, AG VMs use the template port, attachment order kept', () => {
    const [web, web2, db] = render().backendServices;
    expect(web.targets.map((t) => [t.id, t.port, t.weight])).toEqual([['lb/legacy/10.0.0.1:8080', 8080, 10], ['lb/legacy/10.0.0.1:9002', 9002, 0]]);
    expect(web2.targets.map((t) => [t.id, t.port, t.weight, t.source.kind])).toEqual([
      ['ag/10.0.1.1:7000', 7000, 7, 'availabilityGroup'],
      ['lb/legacy/10.0.0.1:8081', 8081, 10, 'serverGroup'],
      ['lb/legacy/10.0.0.1:9002', 9002, 0, 'serverGroup'],
    ]);
    expect(db.proxyProtocol).toBe(true);
    expect(db.sessionPersistence).toBeNull();
    expect(db.healthCheck.protocol).toBe('TCP');
  });
});

describe('validateLbConfig', () => {
  it('refuses an unknown schemaVersion with one clear message', () => {
    expect(validateLbConfig({ ...render(), schemaVersion: 2 }).map(renderIssue)).toEqual([
      '/schemaVersion: 2 is not understood by this runtime; allowed: schemaVersion 1 (re-synthesize with the cdktf-alb version that matches this runtime)',
    ]);
    expect(validateLbConfig({ listeners: [] }).map(renderIssue)).toEqual([
      '/schemaVersion: is missing; allowed: schemaVersion 1 (re-synthesize with the cdktf-alb version that matches this runtime)',
    ]);
  });

  it('refuses non-objects', () => {
    expect(validateLbConfig(null).map(renderIssue)).toEqual(['/: null is not an LB config; allowed: a JSON object (an LB config document)']);
    expect(validateLbConfig([]).map(renderIssue)).toEqual(['/: "an array" is not an LB config; allowed: a JSON object (an LB config document)']);
  });

  it('lists every schema problem with its JSON pointer and value', () => {
    const doc = render() as unknown as Record<string, any>;
    doc.listeners[0].port = 70000;
    doc.listeners[0].protocol = 'QUIC';
    doc.backendServices[0].extra = true;
    delete doc.admin;
    doc.cookieSecret = 'xyz';
    const errors = validateLbConfig(doc).map(renderIssue);
    expect(errors).toEqual(expect.arrayContaining([
      '/admin: is missing; allowed: an AdminConfig object',
      '/listeners/0/port: 70000 must be <= 65535; allowed: a number 1..65535',
      '/listeners/0/protocol: "QUIC" is not one of the allowed values; allowed: "TCP", "TLS", "HTTP", "HTTPS"',
      '/backendServices/0/extra: true is not a known property; allowed: the properties id, path, protocol, port, algorithm, sessionPersistence, healthCheck, forwardedHeaders, proxyProtocol, timeouts, passiveHealth, targets',
      '/cookieSecret: "xyz" must NOT have fewer than 64 characters; allowed: a string of at least 64 characters matching /^[0-9a-f]+$/',
    ]));
  });

  it('checks cross references the schema cannot express', () => {
    const doc = render();
    doc.listeners[1].backendService = 'nope';
    doc.listeners[2].port = 80;
    doc.backendServices[0].targets[1].id = doc.backendServices[0].targets[0].id;
    doc.listeners[3].tls!.defaultCertificates = [];
    expect(validateLbConfig(doc).map(renderIssue)).toEqual([
      '/backendServices/0/targets/1/id: "lb/legacy/10.0.0.1:8080" is not unique in backend service "lb/web"; allowed: one target per id',
      '/listeners/1/backendService: "nope" is not the id of a backend service in this document; allowed: "lb/web", "lb/web2", "lb/db"',
      // The model's rules, with the construct paths the document records (the same lines synth gives).
      'app/lb/tcp: port 80 is already used by app/lb/http; allowed: a port unique per load balancer (listeners and adminPort)',
      'app/lb/tls: certificates [] are missing on a TLS listener; allowed: 1..2 default certificates (certificates prop or listener.addCertificates(Certificate.fromFiles(...)))',
    ]);
  });

  it('assertValidLbConfig throws listing the problems', () => {
    expect(() => assertValidLbConfig({ ...render(), schemaVersion: 9 }, 'alb/lb.json')).toThrow(/^alb\/lb.json is invalid:\n {2}\/schemaVersion: 9 is not understood/);
  });
});
