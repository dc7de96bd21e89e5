/**
 * Listener, backend-service and server-group names are separate namespaces per LB, as in
 * JD Cloud's model: one name may be used once of each kind on the same LB.
 */
import { BackendProtocol, ListenerProtocol, LoadBalancerNamespace } from '../../index';
import { LbConfig } from '../../lib/config/types';
import { loadBalancer, synthErrors, world } from './helpers';

describe('LB namespaces', () => {
  it('one name serves as a listener, a backend service and a server group of one LB', () => {
    const w = world();
    const lb = loadBalancer(w);
    const group = lb.addServerGroup('hashed', { targets: [{ address: '127.0.0.1', port: 9001 }] });
    const backend = lb.addBackendService('hashed', { protocol: BackendProtocol.HTTP, port: 8080 });
    backend.addServerGroup(group);
    const listener = lb.addListener('hashed', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend });

    expect([listener.node.path, backend.node.path, group.node.path])
      .toEqual(['test/lb/Listeners/hashed', 'test/lb/BackendServices/hashed', 'test/lb/ServerGroups/hashed']);
    expect(lb.namespace(LoadBalancerNamespace.LISTENERS).node.children).toEqual([listener]);
    expect(synthErrors(w.stack)).toBe('');
    const doc = JSON.parse(lb.synthesizeConfig()) as LbConfig;
    expect(doc.listeners.map((l) => [l.id, l.backendService])).toEqual([['lb/Listeners/hashed', 'lb/BackendServices/hashed']]);
    expect(doc.backendServices[0].targets.map((t) => t.id)).toEqual(['lb/ServerGroups/hashed/127.0.0.1:9001']);
  });

  it('still refuses the same name twice within one kind', () => {
    const w = world();
    const lb = loadBalancer(w);
    lb.addServerGroup('g');
    expect(() => lb.addServerGroup('g')).toThrow(/There is already a Construct with name 'g' in Construct \[ServerGroups\]/);
  });
});
