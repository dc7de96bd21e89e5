/** A small world for construct tests: an app, a stack, local infrastructure, a VPC, an LB. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Manifest, TerraformStack, Testing } from 'cdktf';
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

/**
 * Output directories this test file created; removed after its last test. cdktf's
 * Testing.app() and Testing.fullSynth() create one in the temporary directory each time and
 * never remove it (test/hygiene fails the run if any is left).
 */
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Testing.app() with an output directory that is removed after the test file. */
export function testApp(options: { context?: { [key: string]: any }; stackTraces?: boolean } = {}): App {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf.outdir.'));
  outdirs.push(outdir);
  return Testing.app({ ...options, outdir });
}

/**
 * What Testing.fullSynth(stack) does, into an output directory that is removed after the test
 * file — also when the synth throws (Testing.fullSynth creates its directory first and drops
 * it on the floor then).
 */
export function fullSynth(stack: TerraformStack): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf.outdir.'));
  outdirs.push(outdir);
  const manifest = new Manifest('stubbed', outdir, false);
  stack.synthesizer.synthesize({ outdir, manifest });
  manifest.writeToFile();
  return outdir;
}

/**
 * Runs the test file with a fresh temporary directory as the working directory, where a synth
 * without an explicit cookie secret creates the project secret (.cdktf-alb/secret) and a
 * LocalInfrastructure looks for its state directory: keeps both out of the working tree.
 */
export function inTemporaryProjectDir(): { dir: () => string } {
  let dir = '';
  let previous = '';
  beforeAll(() => {
    previous = process.cwd();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alb-project-'));
    process.chdir(dir);
  });
  afterAll(() => {
    process.chdir(previous);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir: () => dir };
}

export function world(): World {
  const app = testApp();
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
    fullSynth(stack);
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
export function reported(w: Pick<World, 'stack'>, fn: () => unknown): string {
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
