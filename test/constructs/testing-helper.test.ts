/**
 * What docs/constructs.md ("Testing your own stacks") shows a user: cdktf's Testing matchers
 * on the emitted terraform_data resources, and AlbTesting for the LB config document.
 */
import { DataResource, Testing } from 'cdktf';
// The matchers' types (Testing.setupJest() registers them); type-only, so nothing of cdktf is loaded.
import type {} from 'cdktf/lib/testing/adapters/jest';
import { AlbTesting, Algorithm, BackendProtocol, ListenerProtocol } from '../../index';
import { availabilityGroup, fullSynth, httpBackend, loadBalancer, thrown, world } from './helpers';

Testing.setupJest();

function shop() {
  const w = world();
  const lb = loadBalancer(w, 'shop');
  const app = availabilityGroup(w, 'app', 2);
  const web = lb.addBackendService('web', { protocol: BackendProtocol.HTTP, port: 8080, algorithm: Algorithm.WEIGHTED_LEAST_CONNECTIONS });
  web.addAvailabilityGroup(app);
  const legacy = lb.addServerGroup('legacy');
  legacy.addTarget({ address: '127.0.0.1', port: 9001, weight: 30 });
  web.addServerGroup(legacy);
  lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: web });
  return { w, lb, app };
}

describe('AlbTesting.lbConfig', () => {
  it('returns the LB config document: listeners, backend services and resolved targets', () => {
    const { lb, app } = shop();
    const config = AlbTesting.lbConfig(lb);
    expect(config.listeners).toEqual([expect.objectContaining({ protocol: 'HTTP', port: 80, backendService: 'shop/BackendServices/web' })]);
    const [backend] = config.backendServices;
    expect(backend.algorithm).toBe('WEIGHTED_LEAST_CONNECTIONS');
    expect(backend.targets.map((t: { address: string; port: number; weight: number }) => [t.address, t.port, t.weight])).toEqual([
      ...app.instances.map((vm) => [vm.address, 8080, 10]),
      ['127.0.0.1', 9001, 30],
    ]);
    expect(config.nodes).toHaveLength(lb.nodes.length);
  });

  it('throws listing every problem when the tree is invalid, as cdktf synth would fail', () => {
    const { lb } = shop();
    lb.addListener('again', { protocol: ListenerProtocol.HTTP, port: 80, backendService: httpBackend(lb, 'other') });
    let error: unknown;
    try {
      AlbTesting.lbConfig(lb);
    } catch (e) {
      error = e;
    }
    expect((error as Error).name).toBe('AlbValidationError');
    expect((error as Error).message).toContain('test/shop/Listeners/again: port 80 is already used by test/shop/Listeners/http');
  });
});

describe('AlbTesting.lbConfigFromOutdir', () => {
  it('reads the document a full synth wrote, identical to lbConfig', () => {
    const { w, lb } = shop();
    const outdir = fullSynth(w.stack);
    expect(AlbTesting.lbConfigFromOutdir(outdir, lb)).toEqual(AlbTesting.lbConfig(lb));
  });

  it('says what to pass when the directory is not a synth output', () => {
    const { lb } = shop();
    expect(thrown(() => AlbTesting.lbConfigFromOutdir('/nonexistent', lb))).toBe(
      '/nonexistent: no manifest.json; pass the directory Testing.fullSynth(stack) returned (or cdktf.out after cdktf synth)');
  });
});

describe("cdktf's Testing matchers on the emitted terraform_data resources", () => {
  it('see one for_each block per kind of VM, with the LB nodes and the config hash', () => {
    const { w, lb } = shop();
    const synthesized = Testing.synth(w.stack, true);
    expect(synthesized).toHaveResource(DataResource);
    const nodes = Object.fromEntries(lb.nodes.map((n) => [n.name, expect.objectContaining({ address: n.address, zone: n.zone, rack: n.rack })]));
    expect(synthesized).toHaveResourceWithProperties(DataResource, { for_each: nodes });
    const moved = { ...nodes, [lb.nodes[0].name]: expect.objectContaining({ address: '127.99.99.99' }) };
    expect(synthesized).not.toHaveResourceWithProperties(DataResource, { for_each: moved });
    const hash = expect.stringMatching(/^[0-9a-f]{64}$/);
    expect(synthesized).toHaveResourceWithProperties(DataResource, {
      for_each: Object.fromEntries(lb.nodes.map((n) => [n.name, expect.objectContaining({ config_hash: hash })])),
    });
  });
});
