/**
 * This library is built for one framework: cdktf (the cdktf-alb package) or CDK Terrain
 * (cdktn-alb, the same source with its `from 'cdktf'` imports rewritten by
 * scripts/package.js). Both name their stacks with the same marker, so a cdktn stack passes
 * cdktf's TerraformStack.of() — and the synth then fails far from the cause, inside the
 * framework (`e._resetResolveDiscoveredProviderFeatureUsage is not a function`). This finds
 * the stack and says at once which package the app needs.
 */
import { TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { issue, MISSING, renderIssue } from '../lib/model/messages';
import { AlbValidationError } from './errors';

const RTTI = Symbol.for('jsii.rtti');

/** `cdktf` or `cdktn`: the framework module a class comes from, by its jsii type name. */
function frameworkOf(type: unknown): string | undefined {
  const fqn: unknown = (type as { [RTTI]?: { fqn?: unknown } } | undefined)?.[RTTI]?.fqn;
  return typeof fqn === 'string' ? fqn.split('.')[0] : undefined;
}

/** TerraformStack.of(scope), refusing a stack of another framework or of another copy of this one. */
export function stackOfThisFramework(scope: IConstruct): TerraformStack {
  const stack: IConstruct = TerraformStack.of(scope);
  if (stack instanceof TerraformStack) return stack;
  const ours = frameworkOf(TerraformStack) ?? 'cdktf';
  const theirs = frameworkOf(stack.constructor) ?? 'another framework';
  const advice = theirs === ours
    ? `two copies of ${ours} are installed (see \`npm ls ${ours}\`); install one`
    : `a ${theirs} app needs the ${theirs}-alb package (same constructs, built for ${theirs}) in place of ${ours}-alb`;
  // Thrown at once: nothing of this library can work in that stack, and its synth would fail first.
  throw new AlbValidationError([renderIssue(issue(scope.node.path, '', MISSING,
    `the stack ${stack.node.path} is a ${theirs} TerraformStack, but this library was built for ${ours}`, advice))]);
}
