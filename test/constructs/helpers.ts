/** A small world for construct tests: an app, a stack, local infrastructure, a VPC, an LB. */
import * as fs from 'fs';
import { App, TerraformStack, Testing } from 'cdktf';
import {
  AvailabilityGroup, BackendProtocol, LoadBalancer, LoadBalancerProps, LocalInfrastructure, MachineTemplate, Vpc,
} from '../../index';

export const ZONES = [{ name: 'az-1', racks: ['r1', 'r2'] }, { name: 'az-2', racks: ['r3', 'r4'] }];
/** A fixed cookie secret so construct tests do not depend on the project secret file. */
export const TEST_COOKIE_SECRET = 'ab'.repeat(32);

export interface World {
  app: App;
  stack: TerraformStack;
  dc: LocalInfrastructure;
  vpc: Vpc;
}

export function world(): World {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  const dc = new LocalInfrastructure(stack, 'dc', { zones: ZONES });
  const vpc = new Vpc(stack, 'vpc', { cidrBlock: '127.0.0.0/8' });
  return { app, stack, dc, vpc };
}

export function loadBalancer(w: World, id = 'lb', props: Partial<LoadBalancerProps> = {}): LoadBalancer {
  return new LoadBalancer(w.stack, id, { infrastructure: w.dc, vpc: w.vpc, cookieSecret: TEST_COOKIE_SECRET, ...props });
}

export function availabilityGroup(w: World, id = 'ag', instanceCount = 2, vpc: Vpc = w.vpc): AvailabilityGroup {
  return new AvailabilityGroup(w.stack, id, {
    infrastructure: w.dc, vpc, instanceCount,
    template: MachineTemplate.command({ command: 'node', args: ['app.js'], port: 8080 }),
  });
}

/** An HTTP backend with one ip target, so it raises no no-targets warning. */
export function httpBackend(lb: LoadBalancer, id = 'backend', port = 8080) {
  const backend = lb.addBackendService(id, { protocol: BackendProtocol.HTTP, port });
  const group = lb.addServerGroup(`${id}-group`);
  group.addTarget({ address: '127.0.0.1', port: 9001 });
  backend.addServerGroup(group);
  return backend;
}

/** Runs the stack's synth with validation; returns the error text ('' when it succeeds). */
export function synthErrors(stack: TerraformStack): string {
  try {
    const outdir = Testing.fullSynth(stack);
    fs.rmSync(outdir, { recursive: true, force: true });
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The error lines cdktf lists for a failed validation (one `[path] message` per problem),
 * without the source sites (test/constructs/all-problems.test.ts checks those).
 */
export function errorLines(text: string): string[] {
  return text.split('\n').map((l) => withoutSite(l.trim())).filter((l) => l.startsWith('['));
}

/** Warning annotations on the stack's constructs after a validation run. */
export function warnings(stack: TerraformStack): { path: string; message: string }[] {
  stack.node.findAll().forEach((c) => c.node.validate());
  return stack.node.findAll().flatMap((c) => c.node.metadata
    .filter((m) => m.type === '@cdktf/warn')
    .map((m) => ({ path: c.node.path, message: String(m.data) })));
}

/** A problem line as cdktf lists it, without the ` (at file:line:col)` source site our constructs append. */
export function withoutSite(line: string): string {
  return line.replace(/ \(at [^()]+:\d+:\d+\)$/, '');
}

/**
 * Runs fn, which must not throw (a wrong prop is recorded on its construct, not thrown), then
 * returns what the stack's validation reports at synth: one problem a line, without the
 * source site.
 */
export function reported(w: World, fn: () => unknown): string {
  fn();
  return w.stack.node.findAll().flatMap((c) => c.node.validate()).map(withoutSite).join('\n');
}

/** Calls fn, expects it to throw, returns the message. */
export function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error, none was thrown');
}
