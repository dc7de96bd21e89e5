/**
 * `cdktf synth` / `cdktn synth` run App.synth(), which resolves every element once (the
 * "preparing" pass, where the LB's Lazy configHash is produced) before it runs the
 * validations; Testing.fullSynth skips that pass under cdktf. An invalid tree must still fail
 * with every validation problem listed, not stop at the first with a "Resolution error".
 */
import { TerraformStack } from 'cdktf';
import { ListenerProtocol, LocalInfrastructure, Vpc } from '../../index';
import { httpBackend, loadBalancer, testApp, thrown, World, ZONES } from './helpers';

function appWorld(): World {
  const app = testApp();
  const stack = new TerraformStack(app, 'test');
  return { app, stack, dc: new LocalInfrastructure(stack, 'dc', { zones: ZONES }), vpc: new Vpc(stack, 'vpc', { cidrBlock: '127.0.0.0/8' }) };
}

describe('the framework these construct tests run against', () => {
  // jest.cdktn.config.js maps 'cdktf' to cdktn and says so; `npm test` runs both.
  const expected = process.env.ALB_TEST_FRAMEWORK ?? 'cdktf';

  it(`is ${expected}`, () => {
    expect(require('cdktf').App).toBe(require(expected).App);
    if (expected === 'cdktn') expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
  });
});

describe('App.synth() of an invalid tree', () => {
  it('lists every validation problem, with no "Resolution error"', () => {
    const w = appWorld();
    const lb = loadBalancer(w);
    const backend = httpBackend(lb);
    lb.addListener('a', { protocol: ListenerProtocol.HTTP, port: 8080, backendService: backend });
    lb.addListener('b', { protocol: ListenerProtocol.HTTP, port: 8080, backendService: backend });
    lb.addListener('c', { protocol: ListenerProtocol.HTTP, port: 8081, backendService: backend });
    lb.addListener('d', { protocol: ListenerProtocol.HTTP, port: 8081, backendService: backend });
    const message = thrown(() => w.app.synth());
    expect(message).not.toContain('Resolution error');
    expect(message).toContain('test/lb/Listeners/b: port 8080 is already used by test/lb/Listeners/a');
    expect(message).toContain('test/lb/Listeners/d: port 8081 is already used by test/lb/Listeners/c');
  });

  it('a valid tree synthesizes, with the config hash resolved', () => {
    const w = appWorld();
    const lb = loadBalancer(w);
    lb.addListener('a', { protocol: ListenerProtocol.HTTP, port: 8080, backendService: httpBackend(lb) });
    expect(() => w.app.synth()).not.toThrow();
  });
});
