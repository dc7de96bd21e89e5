/**
 * Every problem of the app in one synth: props wrong on their face are recorded on their
 * construct (nothing throws while the app is built) and reported at synth with the whole-tree
 * problems, each with its construct path and the line of the user's source that created the
 * construct or called the method.
 */
import * as fs from 'fs';
import { TerraformStack } from 'cdktf';
import { BackendProtocol, ListenerProtocol, LoadBalancer, LocalInfrastructure, Vpc } from '../../index';
import { availabilityGroup, errorLines, loadBalancer, TEST_COOKIE_SECRET, testApp, world, ZONES } from './helpers';

/** The 1-based line of this file that holds `marker` (so the test does not hard-code line numbers). */
function lineOf(marker: string): number {
  return fs.readFileSync(__filename, 'utf8').split('\n').findIndex((l) => l.includes(marker) && !l.includes('lineOf(')) + 1;
}

describe('all problems in one synth', () => {
  it('lists field and whole-tree problems together, each with the user\'s file:line', () => {
    const w = world();
    const build = () => {
      const lb = new LoadBalancer(w.stack, 'lb', { infrastructure: w.dc, vpc: w.vpc, cookieSecret: TEST_COOKIE_SECRET, nodesPerZone: 0 }); // mark:lb
      const group = lb.addServerGroup('g');
      group.addTarget({ address: '127.0.0.1', port: 9001, weight: 101 }); // mark:weight
      const backend = lb.addBackendService('web', { protocol: BackendProtocol.HTTP, port: 8080 });
      backend.addServerGroup(group);
      lb.addListener('a', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend });
      lb.addListener('b', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend }); // mark:clash
      lb.addListener('c', { protocol: ListenerProtocol.HTTP, port: 70000, backendService: backend }); // mark:port
    };
    expect(build).not.toThrow();

    let message = '';
    try {
      w.app.synth();
    } catch (err) {
      message = (err as Error).message;
    }
    const file = 'test/constructs/all-problems.test.ts';
    const lines = message.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('['));
    expect(lines).toEqual([
      `[test/lb] test/lb: nodesPerZone 0 is out of range; allowed: 1..16 (at ${file}:${lineOf('mark:lb')}:18)`,
      `[test/lb] test/lb/Listeners/b: port 80 is already used by test/lb/Listeners/a; allowed: a port unique per load balancer (listeners and adminPort) (at ${file}:${lineOf('mark:clash')}:10)`,
      `[test/lb/ServerGroups/g] test/lb/ServerGroups/g: target.weight 101 is out of range; allowed: 0..100 (0 = no new traffic) (at ${file}:${lineOf('mark:weight')}:13)`,
      `[test/lb/Listeners/c] test/lb/Listeners/c: port 70000 is out of range; allowed: 1..65535 (at ${file}:${lineOf('mark:port')}:10)`,
    ]);
    // A wrong target is not registered (it would only cause follow-up problems).
    expect(errorLines(message)).toHaveLength(4);
  });

  it('a problem with a group attached by a method names the line of that call', () => {
    const w = world();
    const other = loadBalancer(w, 'other');
    const foreign = other.addServerGroup('foreign', { targets: [{ address: '127.0.0.9' }] });
    const lb = loadBalancer(w);
    const backend = lb.addBackendService('web', { protocol: BackendProtocol.HTTP, port: 8080 });
    backend.addServerGroup(foreign); // mark:attach
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend });
    const lines = w.stack.node.findAll().flatMap((c) => c.node.validate());
    expect(lines).toContain('test/lb/BackendServices/web: serverGroups "test/other/ServerGroups/foreign" belongs to load balancer test/other; '
      + 'allowed: server groups of test/lb (a virtual server group belongs to one LB; an AvailabilityGroup may serve several) '
      + `(at test/constructs/all-problems.test.ts:${lineOf('mark:attach')}:13)`);
  });

  it('an app of several stacks: one synth lists the problems of every stack', () => {
    const app = testApp();
    const stacks = ['first', 'second'].map((name) => {
      const stack = new TerraformStack(app, name);
      const dc = new LocalInfrastructure(stack, 'dc', { zones: ZONES, stateDir: `.alb-state-${name}` });
      const vpc = new Vpc(stack, 'vpc', { cidrBlock: '127.0.0.0/8' });
      return new LoadBalancer(stack, 'lb', { infrastructure: dc, vpc, cookieSecret: TEST_COOKIE_SECRET });
    });
    stacks[0].addServerGroup('g').addTarget({ address: '127.0.0.1', weight: 101 });
    stacks[1].addServerGroup('g').addTarget({ address: '127.0.0.1', port: 70000 });
    let message = '';
    try {
      app.synth();
    } catch (err) {
      message = (err as Error).message;
    }
    // cdktf stops at the first stack that fails; that stack reports the other stacks' problems too.
    expect(errorLines(message)).toEqual([
      '[first] second/lb/ServerGroups/g: target.port 70000 is out of range; allowed: 0..65535 (0 = the backend service\'s port)',
      '[first/lb/ServerGroups/g] first/lb/ServerGroups/g: target.weight 101 is out of range; allowed: 0..100 (0 = no new traffic)',
    ]);
  });

  it('a construct with wrong props still serves user code that goes on with it', () => {
    const w = world();
    const ag = availabilityGroup(w, 'ag', 2);
    const odd = availabilityGroup(w, 'odd', 1);
    const lb = loadBalancer(w);
    const group = lb.addServerGroup('g');
    group.addTarget({ instance: ag.instance(1), weight: -5 });
    expect(odd.instance(0).name).toMatch(/^odd-/);
    expect(group.targets).toEqual([]);
    expect(() => lb.synthesizeConfig()).toThrow(/^test\/lb\/ServerGroups\/g: target.weight -5 is out of range; allowed: 0..100 \(0 = no new traffic\) \(at test\/constructs\/all-problems.test.ts:\d+:\d+\)/);
  });
});
