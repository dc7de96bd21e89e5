/**
 * Props that are wrong on their face are reported at synth (recorded on the construct, not
 * thrown), naming the construct path, the field, the value given and what is allowed; every
 * wrong field of one call is listed. Static factories with no construct throw at once.
 */
import { Token, TerraformVariable } from 'cdktf';
import {
  Algorithm, AvailabilityGroup, BackendProtocol, Certificate, HealthCheckProtocol, ListenerProtocol, LocalInfrastructure,
  MachineTemplate, TlsVersion, Vpc,
} from '../../index';
import { availabilityGroup, httpBackend, loadBalancer, reported, thrown, world } from './helpers';

const cert = () => Certificate.fromFiles('test/fixtures/none.pem', 'test/fixtures/none.key', 'site');

describe('listener fields', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['port below range', { protocol: ListenerProtocol.HTTP, port: 0 }, 'test/lb/Listeners/l: port 0 is out of range; allowed: 1..65535'],
    ['port above range', { protocol: ListenerProtocol.HTTP, port: 65536 }, 'test/lb/Listeners/l: port 65536 is out of range; allowed: 1..65535'],
    ['port not an integer', { protocol: ListenerProtocol.HTTP, port: 80.5 }, 'test/lb/Listeners/l: port 80.5 is not an integer; allowed: an integer 1..65535'],
    ['idle timeout 0', { protocol: ListenerProtocol.HTTP, port: 80, idleTimeoutSeconds: 0 }, 'test/lb/Listeners/l: idleTimeoutSeconds 0 is out of range; allowed: 1..86400 seconds'],
    ['idle timeout above a day', { protocol: ListenerProtocol.TCP, port: 80, idleTimeoutSeconds: 86401 }, 'test/lb/Listeners/l: idleTimeoutSeconds 86401 is out of range; allowed: 1..86400 seconds'],
    ['qps below 100', { protocol: ListenerProtocol.HTTP, port: 80, qpsLimit: 99 }, 'test/lb/Listeners/l: qpsLimit 99 is out of range; allowed: -1 (unlimited) or 100..500000'],
    ['qps above 500000', { protocol: ListenerProtocol.HTTP, port: 80, qpsLimit: 500001 }, 'test/lb/Listeners/l: qpsLimit 500001 is out of range; allowed: -1 (unlimited) or 100..500000'],
    ['qps on TCP', { protocol: ListenerProtocol.TCP, port: 80, qpsLimit: 1000 }, 'test/lb/Listeners/l: qpsLimit 1000 is set on a TCP listener; allowed: a QPS limit on HTTP and HTTPS listeners only (leave it out or -1)'],
    ['connections below 100', { protocol: ListenerProtocol.TCP, port: 80, connectionLimit: 50 }, 'test/lb/Listeners/l: connectionLimit 50 is out of range; allowed: -1 (unlimited) or 100..5000000'],
    ['connections above 5000000', { protocol: ListenerProtocol.TCP, port: 80, connectionLimit: 5000001 }, 'test/lb/Listeners/l: connectionLimit 5000001 is out of range; allowed: -1 (unlimited) or 100..5000000'],
    ['HSTS max-age 0', { protocol: ListenerProtocol.HTTPS, port: 443, hsts: { maxAgeSeconds: 0 } }, 'test/lb/Listeners/l: hsts.maxAgeSeconds 0 is out of range; allowed: 1..94608000 seconds'],
    ['HSTS max-age above 3 years', { protocol: ListenerProtocol.HTTPS, port: 443, hsts: { maxAgeSeconds: 94608001 } }, 'test/lb/Listeners/l: hsts.maxAgeSeconds 94608001 is out of range; allowed: 1..94608000 seconds'],
    ['HSTS on HTTP', { protocol: ListenerProtocol.HTTP, port: 80, hsts: {} }, 'test/lb/Listeners/l: hsts {} is set on an HTTP listener; allowed: HSTS on HTTPS listeners only'],
    ['TLS policy on HTTP', { protocol: ListenerProtocol.HTTP, port: 80, tlsPolicy: { minVersion: TlsVersion.TLS1_3 } }, 'test/lb/Listeners/l: tlsPolicy {"minVersion":"TLSv1.3"} is set on an HTTP listener; allowed: a TLS policy on TLS and HTTPS listeners only'],
    ['TLS min above max', { protocol: ListenerProtocol.TLS, port: 443, tlsPolicy: { minVersion: TlsVersion.TLS1_3, maxVersion: TlsVersion.TLS1_2 } }, 'test/lb/Listeners/l: tlsPolicy.minVersion "TLSv1.3" is newer than tlsPolicy.maxVersion "TLSv1.2"; allowed: minVersion <= maxVersion'],
    ['unknown TLS version', { protocol: ListenerProtocol.TLS, port: 443, tlsPolicy: { minVersion: 'SSLv3' } }, 'test/lb/Listeners/l: tlsPolicy.minVersion "SSLv3" is not a TlsVersion; allowed: TlsVersion.TLSv1, TlsVersion.TLSv1.1, TlsVersion.TLSv1.2, TlsVersion.TLSv1.3'],
    ['UDP', { protocol: ListenerProtocol.UDP, port: 53 }, 'test/lb/Listeners/l: protocol "UDP" is not supported yet (the runtime does not serve UDP); allowed: ListenerProtocol.TCP, ListenerProtocol.TLS, ListenerProtocol.HTTP, ListenerProtocol.HTTPS'],
    ['unknown protocol', { protocol: 'QUIC', port: 443 }, 'test/lb/Listeners/l: protocol "QUIC" is not a ListenerProtocol; allowed: ListenerProtocol.TCP, ListenerProtocol.TLS, ListenerProtocol.HTTP, ListenerProtocol.HTTPS, ListenerProtocol.UDP'],
  ];
  it.each(cases)('%s', (_name, props, message) => {
    const w = world();
    const lb = loadBalancer(w);
    const backend = httpBackend(lb);
    const error = reported(w, () => lb.addListener('l', { backendService: backend, ...props } as never));
    expect(error.split('\n')).toContain(message);
  });

  it('lists every wrong field of one listener, not only the first', () => {
    const w = world();
    const lb = loadBalancer(w);
    const error = reported(w, () => lb.addListener('l', { protocol: ListenerProtocol.HTTP, port: 0, idleTimeoutSeconds: 0, qpsLimit: 5, backendService: httpBackend(lb) }));
    expect(error.split('\n')).toEqual([
      'test/lb/Listeners/l: port 0 is out of range; allowed: 1..65535',
      'test/lb/Listeners/l: idleTimeoutSeconds 0 is out of range; allowed: 1..86400 seconds',
      'test/lb/Listeners/l: qpsLimit 5 is out of range; allowed: -1 (unlimited) or 100..500000',
    ]);
  });

  it('takes up to two default certificates and rejects a third', () => {
    const w = world();
    const lb = loadBalancer(w);
    const listener = lb.addListener('l', { protocol: ListenerProtocol.HTTPS, port: 443, backendService: httpBackend(lb), certificates: [cert(), cert()] });
    expect(reported(w, () => listener.addCertificates(cert()))).toBe(
      'test/lb/Listeners/l: certificates ["site"] would make 3 default certificates; allowed: at most 2 (e.g. one RSA and one ECDSA); use SNI certificates for more domains');
  });

  it('rejects certificates on an HTTP listener', () => {
    const w = world();
    const lb = loadBalancer(w);
    expect(reported(w, () => lb.addListener('l', { protocol: ListenerProtocol.HTTP, port: 80, backendService: httpBackend(lb), certificates: [cert()] })))
      .toBe('test/lb/Listeners/l: certificates ["site"] are given to an HTTP listener; allowed: certificates on TLS and HTTPS listeners only');
  });

  it('checks SNI domains: exact or *.suffix, one certificate per domain', () => {
    const w = world();
    const lb = loadBalancer(w);
    const listener = lb.addListener('l', {
      protocol: ListenerProtocol.HTTPS, port: 443, backendService: httpBackend(lb), certificates: [cert()],
      sniCertificates: [{ domain: 'api.example.com', certificate: cert() }, { domain: '*.example.org', certificate: cert() }],
    });
    expect(reported(w, () => listener.addSniCertificate('api.*', cert()))).toBe(
      'test/lb/Listeners/l: sniCertificates.domain "api.*" is not a domain; allowed: an exact host name ("api.example.com") or a wildcard ("*.example.com")');
    // Both calls' problems are listed at synth, in call order.
    expect(reported(w, () => listener.addSniCertificate('API.example.com', cert())).split('\n')).toEqual([
      'test/lb/Listeners/l: sniCertificates.domain "api.*" is not a domain; allowed: an exact host name ("api.example.com") or a wildcard ("*.example.com")',
      'test/lb/Listeners/l: sniCertificates.domain "API.example.com" already has a certificate; allowed: one certificate per SNI domain',
    ]);
  });

  it('refuses Terraform tokens where the config needs a literal', () => {
    const w = world();
    const lb = loadBalancer(w);
    const port = new TerraformVariable(w.stack, 'port', { type: 'number' });
    expect(Token.isUnresolved(port.numberValue)).toBe(true);
    expect(reported(w, () => lb.addListener('l', { protocol: ListenerProtocol.HTTP, port: port.numberValue, backendService: httpBackend(lb) })).split('\n'))
      .toContain('test/lb/Listeners/l: port "<token>" is an unresolved Terraform token; allowed: a literal value (the LB config is written at synth time)');
  });
});

describe('backend service and health check fields', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['port 0', { protocol: BackendProtocol.HTTP, port: 0 }, 'test/lb/BackendServices/b: port 0 is out of range; allowed: 1..65535'],
    ['cookie persistence on TCP', { protocol: BackendProtocol.TCP, port: 80, sessionPersistence: { cookieTimeoutSeconds: 60 } },
      'test/lb/BackendServices/b: sessionPersistence {"cookieTimeoutSeconds":60} is set on a TCP backend service; allowed: cookie session persistence on BackendProtocol.HTTP backend services only (use Algorithm.SOURCE_IP_HASH for TCP)'],
    ['cookie timeout above a day', { protocol: BackendProtocol.HTTP, port: 80, sessionPersistence: { cookieTimeoutSeconds: 86401 } },
      'test/lb/BackendServices/b: sessionPersistence.cookieTimeoutSeconds 86401 is out of range; allowed: 0..86400 seconds (0 = browser-session cookie)'],
    ['negative cookie timeout', { protocol: BackendProtocol.HTTP, port: 80, sessionPersistence: { cookieTimeoutSeconds: -1 } },
      'test/lb/BackendServices/b: sessionPersistence.cookieTimeoutSeconds -1 is out of range; allowed: 0..86400 seconds (0 = browser-session cookie)'],
    ['bad cookie name', { protocol: BackendProtocol.HTTP, port: 80, sessionPersistence: { cookieName: 'a b' } },
      'test/lb/BackendServices/b: sessionPersistence.cookieName "a b" is not a cookie name; allowed: 1..64 RFC 6265 token characters, e.g. "ALB_SESSION"'],
    ['PROXY protocol on HTTP', { protocol: BackendProtocol.HTTP, port: 80, proxyProtocol: true },
      'test/lb/BackendServices/b: proxyProtocol true is set on an HTTP backend service; allowed: PROXY protocol v1 on BackendProtocol.TCP backend services only'],
    ['X-Forwarded-* on TCP', { protocol: BackendProtocol.TCP, port: 80, forwardedHeaders: { proto: true } },
      'test/lb/BackendServices/b: forwardedHeaders {"proto":true} is set on a TCP backend service; allowed: X-Forwarded-* headers on BackendProtocol.HTTP backend services only (use proxyProtocol for TCP)'],
    ['unknown algorithm', { protocol: BackendProtocol.TCP, port: 80, algorithm: 'RANDOM' },
      'test/lb/BackendServices/b: algorithm "RANDOM" is not an Algorithm; allowed: Algorithm.WEIGHTED_ROUND_ROBIN, Algorithm.WEIGHTED_LEAST_CONNECTIONS, Algorithm.SOURCE_IP_HASH'],
    ['connect timeout 0', { protocol: BackendProtocol.TCP, port: 80, connectTimeoutSeconds: 0 }, 'test/lb/BackendServices/b: connectTimeoutSeconds 0 is out of range; allowed: 1..120 seconds'],
    ['response timeout above an hour', { protocol: BackendProtocol.HTTP, port: 80, responseTimeoutSeconds: 3601 }, 'test/lb/BackendServices/b: responseTimeoutSeconds 3601 is out of range; allowed: 1..3600 seconds'],
    ['passive maxFails above 100', { protocol: BackendProtocol.HTTP, port: 80, passiveHealthCheck: { maxFails: 101 } }, 'test/lb/BackendServices/b: passiveHealthCheck.maxFails 101 is out of range; allowed: 0..100 (0 = off)'],
    ['healthy threshold 0', { protocol: BackendProtocol.HTTP, port: 80, healthCheck: { healthyThresholdCount: 0 } }, 'test/lb/BackendServices/b: healthCheck.healthyThresholdCount 0 is out of range; allowed: 1..5'],
    ['unhealthy threshold 6', { protocol: BackendProtocol.HTTP, port: 80, healthCheck: { unhealthyThresholdCount: 6 } }, 'test/lb/BackendServices/b: healthCheck.unhealthyThresholdCount 6 is out of range; allowed: 1..5'],
    ['check timeout 1 s', { protocol: BackendProtocol.HTTP, port: 80, healthCheck: { timeoutSeconds: 1 } }, 'test/lb/BackendServices/b: healthCheck.timeoutSeconds 1 is out of range; allowed: 2..60 seconds'],
    ['check timeout 61 s', { protocol: BackendProtocol.HTTP, port: 80, healthCheck: { timeoutSeconds: 61 } }, 'test/lb/BackendServices/b: healthCheck.timeoutSeconds 61 is out of range; allowed: 2..60 seconds'],
    ['interval 4 s', { protocol: BackendProtocol.HTTP, port: 80, healthCheck: { intervalSeconds: 4 } }, 'test/lb/BackendServices/b: healthCheck.intervalSeconds 4 is out of range; allowed: 5..300 seconds'],
    ['interval 301 s', { protocol: BackendProtocol.HTTP, port: 80, healthCheck: { intervalSeconds: 301 } }, 'test/lb/BackendServices/b: healthCheck.intervalSeconds 301 is out of range; allowed: 5..300 seconds'],
    ['check port 65536', { protocol: BackendProtocol.HTTP, port: 80, healthCheck: { port: 65536 } }, 'test/lb/BackendServices/b: healthCheck.port 65536 is out of range; allowed: 0..65535'],
    ['path without slash', { protocol: BackendProtocol.HTTP, port: 80, healthCheck: { path: 'healthz' } },
      'test/lb/BackendServices/b: healthCheck.path "healthz" is not a request path; allowed: a path starting with "/" of printable characters without spaces'],
    ['codes outside 200..499', { protocol: BackendProtocol.HTTP, port: 80, healthCheck: { healthyHttpCodes: '200,500' } },
      'test/lb/BackendServices/b: healthCheck.healthyHttpCodes "200,500" is not a status-code list; allowed: comma-separated classes, codes and ranges within 200..499, e.g. "2xx,3xx" or "200,202-207"'],
    ['domain with spaces', { protocol: BackendProtocol.HTTP, port: 80, healthCheck: { domain: 'a b' } },
      'test/lb/BackendServices/b: healthCheck.domain "a b" is not a host name; allowed: a host name or IPv4 address (optionally :port), at most 255 characters'],
    ['HTTP path on a TCP check', { protocol: BackendProtocol.TCP, port: 80, healthCheck: { protocol: HealthCheckProtocol.TCP, path: '/x' } },
      'test/lb/BackendServices/b: healthCheck.path "/x" is set on a TCP health check; allowed: HTTP fields with protocol HealthCheckProtocol.HTTP only'],
  ];
  it.each(cases)('%s', (_name, props, message) => {
    const w = world();
    const lb = loadBalancer(w);
    expect(reported(w, () => lb.addBackendService('b', props as never)).split('\n')).toContain(message);
  });

  it('accepts every valid combination at the edges of the ranges', () => {
    const w = world();
    const lb = loadBalancer(w);
    expect(() => lb.addBackendService('b', {
      protocol: BackendProtocol.HTTP, port: 65535, algorithm: Algorithm.SOURCE_IP_HASH,
      sessionPersistence: { cookieTimeoutSeconds: 86400, cookieName: 'S' },
      healthCheck: { intervalSeconds: 300, timeoutSeconds: 60, healthyThresholdCount: 5, unhealthyThresholdCount: 1, port: 65535, healthyHttpCodes: '200,202-207,3xx', domain: 'app.example.com:8080' },
      forwardedHeaders: { proto: true, port: true, host: true, lbIp: true, clientPort: true },
    })).not.toThrow();
  });
});

describe('server group targets', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['weight 101', { address: '127.0.0.1', weight: 101 }, 'test/lb/ServerGroups/g: target.weight 101 is out of range; allowed: 0..100 (0 = no new traffic)'],
    ['weight -1', { address: '127.0.0.1', weight: -1 }, 'test/lb/ServerGroups/g: target.weight -1 is out of range; allowed: 0..100 (0 = no new traffic)'],
    ['port 65536', { address: '127.0.0.1', port: 65536 }, 'test/lb/ServerGroups/g: target.port 65536 is out of range; allowed: 0..65535 (0 = the backend service\'s port)'],
    ['not an IPv4 address', { address: 'localhost' }, 'test/lb/ServerGroups/g: target.address "localhost" is not an IPv4 address; allowed: a dotted-quad IPv4 address in the load balancer\'s VPC, e.g. "127.0.0.1"'],
    ['neither address nor instance', { port: 80 }, 'test/lb/ServerGroups/g: target {} names neither an address nor an instance; allowed: exactly one of address (an IPv4 address) and instance (an AvailabilityGroup instance)'],
  ];
  it.each(cases)('%s', (_name, target, message) => {
    const w = world();
    const lb = loadBalancer(w);
    const group = lb.addServerGroup('g');
    expect(reported(w, () => group.addTarget(target as never)).split('\n')).toContain(message);
  });

  it('rejects the same address:port twice in one group', () => {
    const w = world();
    const group = loadBalancer(w).addServerGroup('g');
    group.addTarget({ address: '127.0.0.1', port: 9001 });
    expect(reported(w, () => group.addTarget({ address: '127.0.0.1', port: 9001, weight: 50 }))).toBe(
      'test/lb/ServerGroups/g: target "127.0.0.1:9001" is already registered in this group; allowed: each address:port once per group (the same server on another port, or in another group, is fine)');
  });

  it('defaults: port 0 (inherit) and weight 10', () => {
    const w = world();
    const group = loadBalancer(w).addServerGroup('g', { targets: [{ address: '127.0.0.5' }] });
    expect(group.targets).toEqual([{ address: '127.0.0.5', port: 0, weight: 10, instanceName: undefined }]);
  });
});

describe('load balancer, availability group, topology and VPC fields', () => {
  it('nodesPerZone, adminPort, quotas and cookieSecret are checked together', () => {
    const w = world();
    expect(reported(w, () => loadBalancer(w, 'lb', { nodesPerZone: 0, adminPort: 70000, quotas: { maxListeners: 0 }, cookieSecret: 'short' })).split('\n')).toEqual([
      'test/lb: nodesPerZone 0 is out of range; allowed: 1..16',
      'test/lb: adminPort 70000 is out of range; allowed: 1..65535',
      'test/lb: quotas.maxListeners 0 is not a positive integer; allowed: an integer >= 1 (JD Cloud\'s default is 20)',
      'test/lb: cookieSecret "<redacted>" is not a hex secret of at least 32 bytes; allowed: at least 64 lowercase hex characters, e.g. the output of `openssl rand -hex 32`',
    ]);
  });

  it('adminBindAddress and adminTokenFile are checked and carried in the config document', () => {
    const w = world();
    expect(reported(w, () => loadBalancer(w, 'lb', { adminBindAddress: 'admin.local', adminTokenFile: 'token.txt' })).split('\n')).toEqual([
      'test/lb: adminBindAddress "admin.local" is not an IP address; allowed: an IPv4 or IPv6 address of the node, 127.0.0.1 (local only) or 0.0.0.0 (every address)',
      'test/lb: adminTokenFile "token.txt" is not an absolute file path; allowed: the absolute path of a file on each node that holds the bearer token, e.g. /etc/alb/admin-token',
    ]);
    const lb = loadBalancer(world(), 'lb2', { adminBindAddress: '127.0.0.1', adminTokenFile: '/etc/alb/admin-token' });
    httpBackend(lb);
    expect(JSON.parse(lb.synthesizeConfig()).admin).toEqual({ port: 9900, bindAddress: '127.0.0.1', tokenFile: '/etc/alb/admin-token' });
    const plain = loadBalancer(world(), 'lb3');
    httpBackend(plain);
    expect(JSON.parse(plain.synthesizeConfig()).admin).toEqual({ port: 9900 });
  });

  it('an LB in a zone the infrastructure lacks', () => {
    const w = world();
    expect(reported(w, () => loadBalancer(w, 'lb', { zones: ['az-3'] }))).toBe(
      'test/lb: zones "az-3" is a zone the infrastructure lacks; allowed: zones of the infrastructure: "az-1", "az-2"');
  });

  it('an availability group in a zone the infrastructure lacks', () => {
    const w = world();
    expect(reported(w, () => new AvailabilityGroup(w.stack, 'ag', {
      infrastructure: w.dc, vpc: w.vpc, zones: ['az-1', 'eu-9'],
      template: MachineTemplate.command({ command: 'node', port: 8080 }),
    }))).toBe('test/ag: zones "eu-9" is a zone the infrastructure lacks; allowed: zones of the infrastructure: "az-1", "az-2"');
  });

  it('availability group size and default weight', () => {
    const w = world();
    expect(reported(w, () => new AvailabilityGroup(w.stack, 'ag', {
      infrastructure: w.dc, vpc: w.vpc, instanceCount: 301, defaultWeight: 101,
      template: MachineTemplate.command({ command: 'node', port: 8080 }),
    })).split('\n')).toEqual([
      'test/ag: instanceCount 301 is out of range; allowed: 0..300',
      'test/ag: defaultWeight 101 is out of range; allowed: 0..100 (0 = no new traffic)',
    ]);
  });

  it('machine template: port, command and reserved environment names', () => {
    expect(thrown(() => MachineTemplate.command({ command: '', port: 0, env: { PORT: '1', 'A-B': 'x' } })).split('\n')).toEqual([
      'MachineTemplate.command: command "" is empty; allowed: a program name or path, e.g. "node"',
      'MachineTemplate.command: port 0 is out of range; allowed: 1..65535',
      'MachineTemplate.command: env key "PORT" is set by the infrastructure; allowed: any name except HOST, PORT, VM_NAME, VM_ZONE, VM_RACK',
      'MachineTemplate.command: env key "A-B" is not a variable name; allowed: letters, digits and "_", not starting with a digit',
    ]);
  });

  it('VPC CIDR must be a network block', () => {
    const w = world();
    expect(reported(w, () => new Vpc(w.stack, 'v2', { cidrBlock: '10.0.0.1/8' }))).toBe(
      'test/v2: cidrBlock "10.0.0.1/8" is not an IPv4 CIDR block with zero host bits; allowed: a.b.c.d/n with n in 0..32, e.g. "127.0.0.0/8" or "10.0.0.0/16"');
  });

  it('topology: zones need racks, rack names are unique across zones', () => {
    const w = world();
    expect(reported(w, () => new LocalInfrastructure(w.stack, 'dc2', { stateDir: '.alb-state-dc2', zones: [{ name: 'a', racks: ['r1'] }, { name: 'b', racks: ['r1'] }, { name: 'c', racks: [] }] })).split('\n')).toEqual([
      'test/dc2: zones[1].racks[0] "r1" is already a rack of zone "a"; allowed: rack names unique across all zones',
      'test/dc2: zones[2].racks [] is empty; allowed: at least one rack per zone',
    ]);
  });

  it('an AG instance index that does not exist', () => {
    const w = world();
    const ag = availabilityGroup(w, 'ag', 2);
    expect(thrown(() => ag.instance(2))).toBe('test/ag: instance index 2 does not exist; allowed: 0..1');
  });
});
