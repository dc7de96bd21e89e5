/**
 * For the unit tests of stacks that use this library. cdktf's `Testing` matchers see what
 * the stack emits into Terraform — the `terraform_data` resources (`DataResource`) that create
 * the VMs and carry each LB's config hash — but listeners, backend services, targets, health
 * checks and persistence live in each LB's config document, which is written next to the
 * Terraform JSON. These return that document, parsed, for assertions.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TerraformStack } from 'cdktf';
import { LoadBalancer } from './load-balancer';

export class AlbTesting {
  /**
   * The config document every node of `lb` receives (see docs/constructs.md, "The LB config
   * document"), parsed, rendered from the construct tree as it is now — no synth needed.
   * Throws an `AlbValidationError` listing every problem when the LB's tree is not valid,
   * as `cdktf synth` would fail.
   *
   * @param lb the load balancer
   * @returns the LB config document (JSON object)
   */
  public static lbConfig(lb: LoadBalancer): any {
    return JSON.parse(lb.synthesizeConfig());
  }

  /**
   * The config document of `lb` as a full synth wrote it: `outdir` is what
   * `Testing.fullSynth(stack)` returns, or the `cdktf.out` directory of `cdktf synth`.
   *
   * @param outdir the synth output directory (holds manifest.json)
   * @param lb the load balancer
   * @returns the LB config document (JSON object)
   */
  public static lbConfigFromOutdir(outdir: string, lb: LoadBalancer): any {
    const stack = TerraformStack.of(lb);
    const manifestFile = path.join(outdir, 'manifest.json');
    if (!fs.existsSync(manifestFile)) {
      throw new Error(`${outdir}: no manifest.json; pass the directory Testing.fullSynth(stack) returned (or cdktf.out after cdktf synth)`);
    }
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    const entry = manifest.stacks?.[stack.node.id];
    if (entry === undefined) {
      throw new Error(`${manifestFile}: stack "${stack.node.id}" (of ${lb.node.path}) was not synthesized into this directory; stacks there: ${Object.keys(manifest.stacks ?? {}).join(', ') || 'none'}`);
    }
    const file = path.join(outdir, entry.workingDirectory, lb.configFile);
    if (!fs.existsSync(file)) throw new Error(`${file}: no config document for ${lb.node.path} in this synth output`);
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  }

  private constructor() {}
}
