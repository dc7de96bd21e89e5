/**
 * JD Cloud's seven reuse rules (docs/jdcloud-alb-model.md), each shown on a synthesized
 * LB config: the tree synthesizes without errors and the document carries the sharing.
 */
import { DefaultTokenResolver, StringConcat, Testing, Tokenization } from 'cdktf';
import { BackendProtocol, Certificate, ListenerProtocol } from '../../index';
import { sha256Hex } from '../../lib/config/hash';
import { LbConfig } from '../../lib/config/types';
import { validateLbConfig } from '../../lib/config/validate';
import { availabilityGroup, httpBackend, loadBalancer, synthErrors, world } from './helpers';
import { LoadBalancer } from '../../index';

function config(lb: LoadBalancer): LbConfig {
  const doc = JSON.parse(lb.synthesizeConfig());
  expect(validateLbConfig(doc)).toEqual([]);
  return doc as LbConfig;
}

const cert = Certificate.fromFiles('package.json', 'package.json', 'fake');

describe('reuse rules', () => {
  it('1. one LB carries listeners of several protocols, and several of one protocol on different ports', () => {
    const w = world();
    const lb = loadBalancer(w);
    const http = httpBackend(lb, 'http');
    const tcp = lb.addBackendService('tcp', { protocol: BackendProtocol.TCP, port: 5432 });
    tcp.addServerGroup(lb.addServerGroup('db', { targets: [{ address: '127.0.0.1' }] }));
    lb.addListener('http-80', { protocol: ListenerProtocol.HTTP, port: 80, backendService: http });
    lb.addListener('http-8080', { protocol: ListenerProtocol.HTTP, port: 8080, backendService: http });
    lb.addListener('https', { protocol: ListenerProtocol.HTTPS, port: 443, backendService: http, certificates: [cert] });
    lb.addListener('tcp-5432', { protocol: ListenerProtocol.TCP, port: 5432, backendService: tcp });
    lb.addListener('tls', { protocol: ListenerProtocol.TLS, port: 5433, backendService: tcp, certificates: [cert] });
    expect(synthErrors(w.stack)).toBe('');
    expect(config(lb).listeners.map((l) => `${l.protocol}:${l.port}`)).toEqual(['HTTP:80', 'HTTP:8080', 'HTTPS:443', 'TCP:5432', 'TLS:5433']);
  });

  it('2. several listeners share one backend service', () => {
    const w = world();
    const lb = loadBalancer(w);
    const web = httpBackend(lb, 'web');
    lb.addListener('a', { protocol: ListenerProtocol.HTTP, port: 80, backendService: web });
    lb.addListener('b', { protocol: ListenerProtocol.HTTPS, port: 443, backendService: web, certificates: [cert] });
    expect(synthErrors(w.stack)).toBe('');
    const doc = config(lb);
    expect(doc.listeners.map((l) => l.backendService)).toEqual(['lb/BackendServices/web', 'lb/BackendServices/web']);
    expect(doc.backendServices).toHaveLength(1);
  });

  it('3. several backend services of one LB share one server group and one availability group', () => {
    const w = world();
    const lb = loadBalancer(w);
    const group = lb.addServerGroup('shared', { targets: [{ address: '127.0.0.1', port: 9001 }] });
    const ag = availabilityGroup(w, 'ag', 2);
    const a = lb.addBackendService('a', { protocol: BackendProtocol.HTTP, port: 8080 });
    const b = lb.addBackendService('b', { protocol: BackendProtocol.TCP, port: 8080 });
    for (const backend of [a, b]) {
      backend.addServerGroup(group);
      backend.addAvailabilityGroup(ag);
    }
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: a });
    lb.addListener('tcp', { protocol: ListenerProtocol.TCP, port: 81, backendService: b });
    expect(synthErrors(w.stack)).toBe('');
    const [da, db] = config(lb).backendServices;
    expect(da.targets.map((t) => t.id)).toEqual(db.targets.map((t) => t.id));
    expect(da.targets.map((t) => t.source.kind)).toEqual(['serverGroup', 'availabilityGroup', 'availabilityGroup']);
  });

  it('4. one server is registered in one server group on different ports', () => {
    const w = world();
    const lb = loadBalancer(w);
    const group = lb.addServerGroup('g');
    group.addTarget({ address: '127.0.0.1', port: 9001 });
    group.addTarget({ address: '127.0.0.1', port: 9002, weight: 30 });
    const backend = lb.addBackendService('b', { protocol: BackendProtocol.HTTP, port: 8080 });
    backend.addServerGroup(group);
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend });
    expect(synthErrors(w.stack)).toBe('');
    expect(config(lb).backendServices[0].targets.map((t) => [t.id, t.weight])).toEqual([
      ['lb/ServerGroups/g/127.0.0.1:9001', 10], ['lb/ServerGroups/g/127.0.0.1:9002', 30],
    ]);
  });

  it('5. one server is registered in different server groups', () => {
    const w = world();
    const lb = loadBalancer(w);
    const blue = lb.addServerGroup('blue', { targets: [{ address: '127.0.0.1', port: 9001, weight: 5 }] });
    const green = lb.addServerGroup('green', { targets: [{ address: '127.0.0.1', port: 9001, weight: 50 }] });
    const backend = lb.addBackendService('b', { protocol: BackendProtocol.HTTP, port: 8080 });
    backend.addServerGroup(blue);
    backend.addServerGroup(green);
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend });
    expect(synthErrors(w.stack)).toBe('');
    expect(config(lb).backendServices[0].targets.map((t) => [t.id, t.weight])).toEqual([
      ['lb/ServerGroups/blue/127.0.0.1:9001', 5], ['lb/ServerGroups/green/127.0.0.1:9001', 50],
    ]);
  });

  it('6. one availability group serves several backend services of one LB', () => {
    const w = world();
    const lb = loadBalancer(w);
    const ag = availabilityGroup(w, 'ag', 3);
    const a = lb.addBackendService('a', { protocol: BackendProtocol.HTTP, port: 80 });
    const b = lb.addBackendService('b', { protocol: BackendProtocol.HTTP, port: 81 });
    a.addAvailabilityGroup(ag);
    b.addAvailabilityGroup(ag);
    lb.addListener('http-80', { protocol: ListenerProtocol.HTTP, port: 80, backendService: a });
    lb.addListener('http-81', { protocol: ListenerProtocol.HTTP, port: 81, backendService: b });
    expect(synthErrors(w.stack)).toBe('');
    const doc = config(lb);
    const addresses = ag.instances.map((i) => i.address);
    // AG instances use the template's port (8080), not the backend port.
    expect(doc.backendServices[0].targets.map((t) => `${t.address}:${t.port}`)).toEqual(addresses.map((a) => `${a}:8080`));
    expect(doc.backendServices[1].targets.map((t) => `${t.address}:${t.port}`)).toEqual(addresses.map((a) => `${a}:8080`));
  });

  it('7. one availability group serves backend services of several LBs', () => {
    const w = world();
    const ag = availabilityGroup(w, 'ag', 2);
    const lbs = ['lb1', 'lb2'].map((id) => {
      const lb = loadBalancer(w, id);
      const backend = lb.addBackendService('b', { protocol: BackendProtocol.HTTP, port: 80 });
      backend.addAvailabilityGroup(ag);
      lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend });
      return lb;
    });
    expect(synthErrors(w.stack)).toBe('');
    const [t1, t2] = lbs.map((lb) => config(lb).backendServices[0].targets);
    expect(t1).toEqual(t2);
    expect(t1.map((t) => t.source.instance)).toEqual(ag.instances.map((i) => i.name));
    // The AG's VMs are deployed once, by the AG, whatever number of LBs use it.
    expect(w.dc.availabilityGroupDeployments).toHaveLength(1);
    expect(w.dc.loadBalancerDeployments.map((d) => d.loadBalancer)).toEqual(lbs);
  });

  it('an instance target registers an AG instance by reference, with its own port and weight', () => {
    const w = world();
    const lb = loadBalancer(w);
    const ag = availabilityGroup(w, 'ag', 2);
    const group = lb.addServerGroup('g', { targets: [{ instance: ag.instance(0), port: 8081, weight: 40 }] });
    const backend = lb.addBackendService('b', { protocol: BackendProtocol.HTTP, port: 80 });
    backend.addServerGroup(group);
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend });
    expect(synthErrors(w.stack)).toBe('');
    expect(config(lb).backendServices[0].targets).toEqual([{
      id: `lb/ServerGroups/g/${ag.instances[0].address}:8081`, address: ag.instances[0].address, port: 8081, weight: 40,
      source: { kind: 'serverGroup', path: 'test/lb/ServerGroups/g', instance: ag.instances[0].name },
    }]);
  });

  it('Testing.synth renders the Terraform JSON with the config hash resolved', () => {
    const w = world();
    const lb = loadBalancer(w);
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: httpBackend(lb) });
    const resolved = Tokenization.resolve(lb.configHash, { scope: w.stack, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) });
    expect(resolved).toMatch(/^[0-9a-f]{64}$/);
    expect(resolved).toBe(sha256Hex(lb.synthesizeConfig()));
    expect(() => Testing.synth(w.stack, true)).not.toThrow();
  });

  it('the rendered config follows later changes (the render cache is invalidated)', () => {
    const w = world();
    const lb = loadBalancer(w);
    const backend = httpBackend(lb);
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend });
    const before = config(lb).backendServices[0].targets.length;
    backend.serverGroups[0].addTarget({ address: '127.0.0.2' });
    expect(config(lb).backendServices[0].targets.length).toBe(before + 1);
    lb.addListener('http2', { protocol: ListenerProtocol.HTTP, port: 81, backendService: backend });
    expect(config(lb).listeners).toHaveLength(2);
  });
});
