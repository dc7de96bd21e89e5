/**
 * cdktf-alb in a CDK Terrain app (or cdktn-alb in a cdktf app) fails at once, naming the
 * package the app needs — not at synth inside the framework with
 * `e._resetResolveDiscoveredProviderFeatureUsage is not a function`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalInfrastructure } from '../../index';
import { thrown, ZONES } from './helpers';

// The framework the library is built against here ('cdktf', or cdktn under jest.cdktn.config.js)
// and the other one, loaded by path so that the cdktn run's module mapping does not apply.
const ours = process.env.ALB_TEST_FRAMEWORK ?? 'cdktf';
const theirs = ours === 'cdktf' ? 'cdktn' : 'cdktf';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const other = require(path.join(__dirname, '..', '..', 'node_modules', theirs));

describe('a stack of the other framework', () => {
  const outdirs: string[] = [];
  afterAll(() => outdirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it(`is refused when the infrastructure is created, naming ${theirs}-alb`, () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf.outdir.'));
    outdirs.push(outdir);
    const stack = new other.TerraformStack(new other.App({ outdir }), 'shop');
    expect(thrown(() => new LocalInfrastructure(stack, 'dc', { zones: ZONES }))).toBe(
      `shop/dc: the stack shop is a ${theirs} TerraformStack, but this library was built for ${ours}; ` +
      `allowed: a ${theirs} app needs the ${theirs}-alb package (same constructs, built for ${theirs}) in place of ${ours}-alb`);
  });
});
