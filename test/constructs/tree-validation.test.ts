/**
 * Rules that need the whole tree run at synth (deferred validation): `cdktf synth` fails
 * listing every problem, each naming the construct path, field, value and what is allowed.
 */
import { TerraformStack } from 'cdktf';
import {
  AvailabilityGroup, BackendProtocol, Certificate, ListenerProtocol, LoadBalancer, MachineTemplate, Vpc, Warnings,
} from '../../index';
import { availabilityGroup, errorLines, httpBackend, loadBalancer, reported, synthErrors, TEST_COOKIE_SECRET, testApp, warnings, world, ZONES } from './helpers';

describe('deferred validation', () => {
  it('a duplicate listener port on one LB', () => {
    const w = world();
    const lb = loadBalancer(w);
    const backend = httpBackend(lb);
    lb.addListener('a', { protocol: ListenerProtocol.HTTP, port: 8080, backendService: backend });
    lb.addListener('b', { protocol: ListenerProtocol.HTTP, port: 8080, backendService: backend });
    expect(errorLines(synthErrors(w.stack))).toEqual([
      '[test/lb] test/lb/Listeners/b: port 8080 is already used by test/lb/Listeners/a; allowed: a port unique per load balancer (listeners and adminPort)',
    ]);
  });

  it('a listener on the admin port', () => {
    const w = world();
    const lb = loadBalancer(w, 'lb', { adminPort: 8081 });
    lb.addListener('a', { protocol: ListenerProtocol.HTTP, port: 8081, backendService: httpBackend(lb) });
    expect(errorLines(synthErrors(w.stack))).toEqual([
      '[test/lb] test/lb/Listeners/a: port 8081 is already used by test/lb (adminPort); allowed: a port unique per load balancer (listeners and adminPort)',
    ]);
  });

  it('the same port on two different LBs is fine (each LB node has its own address)', () => {
    const w = world();
    for (const id of ['lb1', 'lb2']) {
      const lb = loadBalancer(w, id);
      lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: httpBackend(lb) });
    }
    expect(synthErrors(w.stack)).toBe('');
  });

  it('a listener/backend protocol mismatch, both ways', () => {
    const w = world();
    const lb = loadBalancer(w);
    const http = httpBackend(lb, 'http-backend');
    const tcp = lb.addBackendService('tcp-backend', { protocol: BackendProtocol.TCP, port: 5432 });
    lb.addListener('tcp', { protocol: ListenerProtocol.TCP, port: 5432, backendService: http });
    lb.addListener('web', { protocol: ListenerProtocol.HTTP, port: 80, backendService: tcp });
    expect(errorLines(synthErrors(w.stack))).toEqual([
      '[test/lb] test/lb/Listeners/tcp: backendService "test/lb/BackendServices/http-backend" is an HTTP backend service behind a TCP listener; allowed: a BackendProtocol.TCP backend service (HTTP/HTTPS listeners → HTTP backends, TCP/TLS listeners → TCP backends)',
      '[test/lb] test/lb/Listeners/web: backendService "test/lb/BackendServices/tcp-backend" is a TCP backend service behind an HTTP listener; allowed: a BackendProtocol.HTTP backend service (HTTP/HTTPS listeners → HTTP backends, TCP/TLS listeners → TCP backends)',
    ]);
  });

  it('TLS and HTTPS listeners without a certificate', () => {
    const w = world();
    const lb = loadBalancer(w);
    const tcp = lb.addBackendService('tcp', { protocol: BackendProtocol.TCP, port: 5432 });
    lb.addServerGroup('g', { targets: [{ address: '127.0.0.1' }] });
    tcp.addServerGroup(lb.serverGroups[0]);
    lb.addListener('tls', { protocol: ListenerProtocol.TLS, port: 5433, backendService: tcp });
    lb.addListener('https', { protocol: ListenerProtocol.HTTPS, port: 443, backendService: httpBackend(lb) });
    expect(errorLines(synthErrors(w.stack))).toEqual([
      '[test/lb] test/lb/Listeners/tls: certificates [] are missing on a TLS listener; allowed: 1..2 default certificates (certificates prop or listener.addCertificates(Certificate.fromFiles(...)))',
      '[test/lb] test/lb/Listeners/https: certificates [] are missing on an HTTPS listener; allowed: 1..2 default certificates (certificates prop or listener.addCertificates(Certificate.fromFiles(...)))',
    ]);
  });

  it('a certificate added after the listener satisfies the rule (elbv2 addCertificates)', () => {
    const w = world();
    const lb = loadBalancer(w);
    const https = lb.addListener('https', { protocol: ListenerProtocol.HTTPS, port: 443, backendService: httpBackend(lb) });
    https.addCertificates(Certificate.fromFiles('package.json', 'package.json', 'fake'));
    expect(synthErrors(w.stack)).toBe('');
  });

  it('a server group of one LB attached to a backend of another LB', () => {
    const w = world();
    const lb1 = loadBalancer(w, 'lb1');
    const lb2 = loadBalancer(w, 'lb2');
    const group = lb1.addServerGroup('g', { targets: [{ address: '127.0.0.1' }] });
    const backend = lb2.addBackendService('b', { protocol: BackendProtocol.HTTP, port: 80 });
    backend.addServerGroup(group);
    lb2.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend });
    expect(errorLines(synthErrors(w.stack))).toEqual([
      '[test/lb2] test/lb2/BackendServices/b: serverGroups "test/lb1/ServerGroups/g" belongs to load balancer test/lb1; allowed: server groups of test/lb2 (a virtual server group belongs to one LB; an AvailabilityGroup may serve several)',
    ]);
  });

  it('a listener whose default backend belongs to another LB', () => {
    const w = world();
    const lb1 = loadBalancer(w, 'lb1');
    const lb2 = loadBalancer(w, 'lb2');
    lb2.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: httpBackend(lb1) });
    expect(errorLines(synthErrors(w.stack))).toContain(
      '[test/lb2] test/lb2/Listeners/http: backendService "test/lb1/BackendServices/backend" belongs to load balancer test/lb1; allowed: a backend service of test/lb2');
  });

  it('synth fails listing ALL errors of the tree, not only the first', () => {
    const w = world();
    const lb = loadBalancer(w);
    const other = loadBalancer(w, 'other', { vpc: new Vpc(w.stack, 'vpc2', { cidrBlock: '10.0.0.0/16' }) });
    const http = httpBackend(lb);
    const tcp = lb.addBackendService('tcp', { protocol: BackendProtocol.TCP, port: 22 });
    lb.addListener('a', { protocol: ListenerProtocol.HTTP, port: 80, backendService: http });
    lb.addListener('b', { protocol: ListenerProtocol.HTTP, port: 80, backendService: tcp });
    lb.addListener('c', { protocol: ListenerProtocol.HTTPS, port: 443, backendService: http });
    const outside = lb.addServerGroup('outside', { targets: [{ address: '192.168.1.1' }] });
    http.addServerGroup(outside);
    const foreign = other.addServerGroup('foreign', { targets: [{ address: '10.0.0.5' }] });
    http.addServerGroup(foreign);
    const text = synthErrors(w.stack);
    expect(text).toMatch(/^Validation failed with the following errors:/);
    expect(errorLines(text)).toEqual([
      '[test/lb] test/lb/Listeners/b: port 80 is already used by test/lb/Listeners/a; allowed: a port unique per load balancer (listeners and adminPort)',
      '[test/lb] test/lb/Listeners/b: backendService "test/lb/BackendServices/tcp" is a TCP backend service behind an HTTP listener; allowed: a BackendProtocol.HTTP backend service (HTTP/HTTPS listeners → HTTP backends, TCP/TLS listeners → TCP backends)',
      '[test/lb] test/lb/Listeners/c: certificates [] are missing on an HTTPS listener; allowed: 1..2 default certificates (certificates prop or listener.addCertificates(Certificate.fromFiles(...)))',
      '[test/lb] test/lb/ServerGroups/outside: target.address "192.168.1.1" is outside the VPC test/vpc of load balancer test/lb; allowed: addresses in 127.0.0.0/8',
      '[test/lb] test/lb/BackendServices/backend: serverGroups "test/other/ServerGroups/foreign" belongs to load balancer test/other; allowed: server groups of test/lb (a virtual server group belongs to one LB; an AvailabilityGroup may serve several)',
      '[test/lb] test/other/ServerGroups/foreign: target.address "10.0.0.5" is outside the VPC test/vpc of load balancer test/lb; allowed: addresses in 127.0.0.0/8',
    ]);
  });

  it('app.synth() (what `cdktf synth` runs) fails with the same list', () => {
    const w = world();
    const lb = loadBalancer(w);
    const backend = httpBackend(lb);
    lb.addListener('a', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend });
    lb.addListener('b', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend });
    lb.addListener('c', { protocol: ListenerProtocol.HTTPS, port: 443, backendService: backend });
    expect(() => w.app.synth()).toThrow(/test\/lb\/Listeners\/b: port 80 is already used by test\/lb\/Listeners\/a[\s\S]*test\/lb\/Listeners\/c: certificates \[\] are missing on an HTTPS listener/);
  });
});

describe('the VPC rule', () => {
  it('an ip target outside the LB VPC CIDR fails synth; inside passes', () => {
    const w = world();
    const vpc = new Vpc(w.stack, 'small', { cidrBlock: '127.10.0.0/16' });
    const lb = loadBalancer(w, 'lb', { vpc });
    const backend = lb.addBackendService('b', { protocol: BackendProtocol.HTTP, port: 80 });
    const group = lb.addServerGroup('g', { targets: [{ address: '127.10.255.254' }, { address: '127.11.0.1', port: 81 }] });
    backend.addServerGroup(group);
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend });
    expect(errorLines(synthErrors(w.stack))).toEqual([
      '[test/lb] test/lb/ServerGroups/g: target.address "127.11.0.1" is outside the VPC test/small of load balancer test/lb; allowed: addresses in 127.10.0.0/16',
    ]);
  });

  it('an availability group of another VPC fails synth', () => {
    const w = world();
    const otherVpc = new Vpc(w.stack, 'other-vpc', { cidrBlock: '127.0.0.0/8' });
    const lb = loadBalancer(w);
    const ag = availabilityGroup(w, 'ag', 2, otherVpc);
    const backend = lb.addBackendService('b', { protocol: BackendProtocol.HTTP, port: 80 });
    backend.addAvailabilityGroup(ag);
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend });
    expect(errorLines(synthErrors(w.stack))).toEqual([
      '[test/lb] test/lb/BackendServices/b: availabilityGroups "test/ag" is in VPC test/other-vpc; allowed: availability groups in the load balancer\'s VPC test/vpc (127.0.0.0/8)',
    ]);
  });

  it('an instance target of another VPC fails synth', () => {
    const w = world();
    const otherVpc = new Vpc(w.stack, 'other-vpc', { cidrBlock: '127.0.0.0/8' });
    const lb = loadBalancer(w);
    const ag = availabilityGroup(w, 'ag', 2, otherVpc);
    const backend = lb.addBackendService('b', { protocol: BackendProtocol.HTTP, port: 80 });
    const group = lb.addServerGroup('g', { targets: [{ instance: ag.instance(1), port: 8080 }] });
    backend.addServerGroup(group);
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend });
    expect(errorLines(synthErrors(w.stack))).toEqual([
      `[test/lb] test/lb/ServerGroups/g: target.instance "${ag.instances[1].name}" is in VPC test/other-vpc; allowed: instances in the VPC of load balancer test/lb: test/vpc (127.0.0.0/8)`,
    ]);
  });
});

describe('quotas', () => {
  function lbWith(w: ReturnType<typeof world>, counts: { listeners: number; backends: number; groups: number; targets: number }, quotas?: object): LoadBalancer {
    const lb = loadBalancer(w, 'lb', quotas ? { quotas } : {});
    const groups = Array.from({ length: counts.groups }, (_, g) => {
      const group = lb.addServerGroup(`g${g}`);
      for (let t = 0; t < counts.targets; t++) group.addTarget({ address: `127.1.${g}.${t + 1}` });
      return group;
    });
    const backends = Array.from({ length: counts.backends }, (_, b) => {
      const backend = lb.addBackendService(`b${b}`, { protocol: BackendProtocol.HTTP, port: 8080 });
      groups.forEach((g) => backend.addServerGroup(g));
      return backend;
    });
    for (let l = 0; l < counts.listeners; l++) {
      lb.addListener(`l${l}`, { protocol: ListenerProtocol.HTTP, port: 10000 + l, backendService: backends[l % backends.length] });
    }
    return lb;
  }

  it('JD defaults: exactly 20/20/20/100 pass', () => {
    const w = world();
    lbWith(w, { listeners: 20, backends: 20, groups: 20, targets: 100 });
    expect(synthErrors(w.stack)).toBe('');
  }, 120000);

  it('one more of each fails with all four quota errors', () => {
    const w = world();
    lbWith(w, { listeners: 21, backends: 21, groups: 21, targets: 101 });
    const lines = errorLines(synthErrors(w.stack));
    expect(lines.slice(0, 3)).toEqual([
      '[test/lb] test/lb: maxListeners 21 listeners exceed the quota; allowed: at most 20 (raise it with LoadBalancerProps.quotas.maxListeners)',
      '[test/lb] test/lb: maxBackendServices 21 backend services exceed the quota; allowed: at most 20 (raise it with LoadBalancerProps.quotas.maxBackendServices)',
      '[test/lb] test/lb: maxServerGroups 21 server groups exceed the quota; allowed: at most 20 (raise it with LoadBalancerProps.quotas.maxServerGroups)',
    ]);
    expect(lines).toContain('[test/lb] test/lb/ServerGroups/g0: targets 101 targets exceed the quota; allowed: at most 100 per server group (raise it with LoadBalancerProps.quotas.maxTargetsPerServerGroup on test/lb)');
    expect(lines).toHaveLength(3 + 21);
  }, 120000);

  it('raised quotas let the same tree synthesize', () => {
    const w = world();
    lbWith(w, { listeners: 21, backends: 21, groups: 21, targets: 101 },
      { maxListeners: 21, maxBackendServices: 21, maxServerGroups: 21, maxTargetsPerServerGroup: 101 });
    expect(synthErrors(w.stack)).toBe('');
  }, 120000);

  it('lowered quotas are enforced too', () => {
    const w = world();
    lbWith(w, { listeners: 2, backends: 1, groups: 1, targets: 1 }, { maxListeners: 1 });
    expect(errorLines(synthErrors(w.stack))).toEqual([
      '[test/lb] test/lb: maxListeners 2 listeners exceed the quota; allowed: at most 1 (raise it with LoadBalancerProps.quotas.maxListeners)',
    ]);
  });
});

describe('warnings with stable ids', () => {
  it('a backend service with no targets at all is a warning, not an error', () => {
    const w = world();
    const lb = loadBalancer(w);
    const empty = lb.addBackendService('empty', { protocol: BackendProtocol.HTTP, port: 80 });
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: empty });
    expect(synthErrors(w.stack)).toBe('');
    expect(warnings(w.stack)).toEqual([{
      path: 'test/lb/BackendServices/empty',
      message: "[cdktf-alb:no-targets] backend service has no targets at all: add a server group with targets or an availability group, or every request gets 503 (acknowledge: Warnings.acknowledge(scope, 'cdktf-alb:no-targets'))",
    }]);
  });

  it('other warnings: unused backend, all weights zero, single node per zone, health-check timeout, missing certificate file', () => {
    const w = world();
    const lb = loadBalancer(w, 'lb', { nodesPerZone: 1 });
    const unused = httpBackend(lb, 'unused');
    expect(unused).toBeDefined();
    const zero = lb.addBackendService('zero', { protocol: BackendProtocol.HTTP, port: 80, healthCheck: { timeoutSeconds: 5, intervalSeconds: 5 } });
    zero.addServerGroup(lb.addServerGroup('drained', { targets: [{ address: '127.0.0.9', weight: 0 }] }));
    const https = lb.addListener('https', { protocol: ListenerProtocol.HTTPS, port: 443, backendService: zero });
    https.addCertificates(Certificate.fromFiles('/nonexistent/site.pem', '/nonexistent/site.key'));
    const ids = warnings(w.stack).map((x) => `${x.path} ${/^\[([^\]]+)\]/.exec(x.message)![1]}`).sort();
    expect(ids).toEqual([
      'test/lb cdktf-alb:single-node-per-zone',
      'test/lb/BackendServices/unused cdktf-alb:unused-backend-service',
      'test/lb/BackendServices/zero cdktf-alb:all-weights-zero',
      'test/lb/BackendServices/zero cdktf-alb:health-check-timeout',
      'test/lb/Listeners/https cdktf-alb:certificate-file-missing',
      'test/lb/Listeners/https cdktf-alb:certificate-file-missing',
    ]);
  });

  it('Warnings.acknowledge silences an id below the scope, even when called after the construct exists', () => {
    const w = world();
    const lb = loadBalancer(w);
    const empty = lb.addBackendService('empty', { protocol: BackendProtocol.HTTP, port: 80 });
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: empty });
    Warnings.acknowledge(w.stack, 'cdktf-alb:no-targets');
    expect(warnings(w.stack)).toEqual([]);
  });

  it('acknowledging another id does not silence this one', () => {
    const w = world();
    const lb = loadBalancer(w);
    const empty = lb.addBackendService('empty', { protocol: BackendProtocol.HTTP, port: 80 });
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: empty });
    Warnings.acknowledge(lb, 'cdktf-alb:unused-backend-service');
    expect(warnings(w.stack).map((x) => x.message.slice(0, 22))).toEqual(['[cdktf-alb:no-targets]']);
  });

  it('the cdktf-alb:acknowledgedWarnings context key silences an id app-wide', () => {
    const app = testApp({ context: { 'cdktf-alb:acknowledgedWarnings': ['cdktf-alb:no-targets'] } });
    const stack = new TerraformStack(app, 'test');
    const w = { app, stack, dc: undefined as never, vpc: undefined as never };
    const dc = new (require('../../index').LocalInfrastructure)(stack, 'dc', { zones: ZONES });
    const vpc = new Vpc(stack, 'vpc', { cidrBlock: '127.0.0.0/8' });
    const lb = new LoadBalancer(stack, 'lb', { infrastructure: dc, vpc, cookieSecret: TEST_COOKIE_SECRET });
    const empty = lb.addBackendService('empty', { protocol: BackendProtocol.HTTP, port: 80 });
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: empty });
    expect(w.stack).toBe(stack);
    expect(warnings(stack)).toEqual([]);
  });

  it('warnings are emitted once even when validation runs several times', () => {
    const w = world();
    const lb = loadBalancer(w);
    const empty = lb.addBackendService('empty', { protocol: BackendProtocol.HTTP, port: 80 });
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: empty });
    warnings(w.stack);
    expect(warnings(w.stack)).toHaveLength(1);
  });
});

describe('availability groups in several LBs and immediate misuse', () => {
  it('attaching the same group twice to one backend is reported at synth', () => {
    const w = world();
    const lb = loadBalancer(w);
    const ag = new AvailabilityGroup(w.stack, 'ag', { infrastructure: w.dc, vpc: w.vpc, template: MachineTemplate.command({ command: 'node', port: 8080 }) });
    const backend = lb.addBackendService('b', { protocol: BackendProtocol.HTTP, port: 80 });
    backend.addAvailabilityGroup(ag);
    expect(reported(w, () => backend.addAvailabilityGroup(ag))).toBe(
      'test/lb/BackendServices/b: availabilityGroups "test/ag" is already attached; allowed: each availability group once per backend service');
    expect(backend.availabilityGroups).toEqual([ag]);
  });
});
