/** LocalInfrastructure: topology checks, placement through the shared planner, defaults. */
import * as path from 'path';
import { Construct } from 'constructs';
import { LocalInfrastructure, VmRole } from '../../index';
import { availabilityGroup, loadBalancer, thrown, world, ZONES } from './helpers';

describe('LocalInfrastructure', () => {
  it('resolves stateDir against the project directory and finds the runtime bundle of this package', () => {
    const w = world();
    expect(w.dc.stateDir).toBe(path.join(process.cwd(), '.alb-state'));
    expect(w.dc.runtimeBundle).toBe(path.join(__dirname, '..', '..', 'dist', 'runtime', 'alb-runtime.js'));
    const custom = new LocalInfrastructure(w.stack, 'dc2', { zones: ZONES, stateDir: '/tmp/x-state', runtimeBundle: 'rt.js' });
    expect(custom.stateDir).toBe('/tmp/x-state');
    expect(custom.runtimeBundle).toBe(path.join(process.cwd(), 'rt.js'));
  });

  it('places LB nodes per zone and AG VMs by count, with distinct addresses, and records the deployments', () => {
    const w = world();
    const lb = loadBalancer(w, 'web', { nodesPerZone: 3 });
    const ag = availabilityGroup(w, 'app', 5);
    expect(lb.nodes).toHaveLength(6);
    expect(lb.nodes.every((n) => n.role === VmRole.LB_NODE && n.group === 'web')).toBe(true);
    expect(ag.instances).toHaveLength(5);
    const addresses = [...lb.nodes, ...w.dc.placedVms.filter((v) => v.group === ag.placementGroupName)].map((v) => v.address);
    expect(new Set(addresses).size).toBe(11);
    expect(w.dc.loadBalancerDeployments[0]).toMatchObject({ loadBalancer: lb, configFile: 'alb/web.json' });
    expect(w.dc.availabilityGroupDeployments[0]).toMatchObject({ availabilityGroup: ag, command: 'node', args: ['app.js'], port: 8080, env: {} });
  });

  it('an LB limited to one zone places nodes only there', () => {
    const w = world();
    const lb = loadBalancer(w, 'web', { zones: ['az-2'] });
    expect(lb.nodes.map((n) => n.zone)).toEqual(['az-2', 'az-2']);
  });

  it('nested constructs get placement names that cannot collide with a sibling id', () => {
    const w = world();
    const scope = new Construct(w.stack, 'a');
    const nested = loadBalancer({ ...w, stack: scope as never }, 'lb');
    const flat = loadBalancer(w, 'a-lb');
    expect(flat.loadBalancerId).toBe('a-lb');
    expect(nested.loadBalancerId).toMatch(/^a-lb-[0-9a-f]{8}$/);
  });

  it('wraps a planner refusal with the construct path', () => {
    const w = world();
    const big = thrown(() => availabilityGroup(w, 'big', 300));
    expect(big).toMatch(/^test\/big: the infrastructure cannot place 300 VMs: /);
  });
});
