/**
 * A hook that runs when the stack is synthesized (after validation, before the Terraform JSON
 * is written), the way cdktf's TerraformAsset copies its files: cdktf calls `onSynthesize`
 * on every construct registered under this symbol and does not export its helper.
 */
import { ISynthesisSession, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import * as path from 'path';

const CUSTOM_SYNTHESIS = Symbol.for('cdktf/customSynthesis');

/** Registers `fn`, chaining any hook the construct already has. */
export function registerSynthesis(construct: IConstruct, fn: (session: ISynthesisSession) => void): void {
  const existing = (construct as any)[CUSTOM_SYNTHESIS] as { onSynthesize(session: ISynthesisSession): void } | undefined;
  const hook = {
    onSynthesize: (session: ISynthesisSession) => {
      existing?.onSynthesize(session);
      fn(session);
    },
  };
  Object.defineProperty(construct, CUSTOM_SYNTHESIS, { value: hook, enumerable: false, configurable: true });
}

/** The stack's synth directory (Terraform's working directory) in this session. */
export function stackDir(session: ISynthesisSession, construct: IConstruct): string {
  return path.join(session.outdir, session.manifest.forStack(TerraformStack.of(construct)).workingDirectory);
}
