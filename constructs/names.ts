/** Stable names derived from construct paths. */
import { sha256Hex } from '../lib/config/hash';
import { TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';

/** The construct's path relative to its stack (stable when the app or stack is renamed). */
export function stackRelativePath(construct: IConstruct): string {
  const stackPath = TerraformStack.of(construct).node.path;
  const path = construct.node.path;
  return stackPath && path.startsWith(`${stackPath}/`) ? path.slice(stackPath.length + 1) : path;
}

/** Path of the construct's stack ('' when the stack is the root). */
export function stackPath(construct: IConstruct): string {
  return TerraformStack.of(construct).node.path;
}

const MAX_GROUP_NAME = 40;
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * A placement-group name for a construct: its id when it sits directly in the stack and is a
 * plain name; otherwise its stack-relative path with `/` turned into `-`, cleaned, shortened
 * and suffixed with a hash of the path, so names stay unique, readable and within the planner's limits
 * (VM names are `<group>-<zone>-<rack>-<index>`).
 */
export function placementGroupName(construct: IConstruct): string {
  const relative = stackRelativePath(construct);
  const plain = relative.replace(/\//g, '-');
  // A nested path (`a/lb`) could collide with a sibling id (`a-lb`): only top-level ids are used bare.
  if (!relative.includes('/') && plain.length <= MAX_GROUP_NAME && GROUP_NAME.test(plain)) return plain;
  const hash = sha256Hex(relative).slice(0, 8);
  const cleaned = plain.replace(/[^A-Za-z0-9._-]/g, '').replace(/^[^A-Za-z0-9]+/, '').slice(0, MAX_GROUP_NAME - 9);
  return cleaned ? `${cleaned}-${hash}` : `g-${hash}`;
}
