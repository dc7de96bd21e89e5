/** How the constructs report problems: literal mistakes throw at once, listing all of them. */
import { Token } from 'cdktf';
import { fieldMessage } from '../lib/model/messages';

/** Thrown for props that are wrong on their face; the message lists every such problem. */
export class AlbValidationError extends Error {
  /** The individual problems, one message each (`<path>: <field> <value> <problem>; allowed: ...`). */
  public readonly problems: string[];

  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.name = 'AlbValidationError';
    this.problems = problems;
  }
}

/** Throws an AlbValidationError when there are problems. */
export function throwIfProblems(problems: string[]): void {
  if (problems.length > 0) throw new AlbValidationError(problems);
}

/**
 * The LB config is written at synth time from literal values, so a Terraform token (a
 * variable, a resource attribute) cannot stand in for a port or a weight. Walks plain
 * objects and arrays of props; construct references are not walked.
 */
export function tokenProblems(path: string, field: string, value: unknown, depth = 0): string[] {
  if (depth > 4 || value === undefined || value === null) return [];
  if ((typeof value === 'string' || typeof value === 'number') && Token.isUnresolved(value)) {
    return [fieldMessage(path, field, '<token>', 'is an unresolved Terraform token', 'a literal value (the LB config is written at synth time)')];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => tokenProblems(path, `${field}[${i}]`, v, depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => tokenProblems(path, field ? `${field}.${k}` : k, v, depth + 1));
  }
  return [];
}
