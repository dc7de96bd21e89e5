/**
 * One format for every validation message, so users can grep them and tests can assert
 * them: `<construct path>: <field> <value> <problem>; allowed: <what is allowed>`.
 */

/** Renders a value the way the user wrote it (strings quoted, arrays/objects as JSON). */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** A message about one field of one construct. */
export function fieldMessage(path: string, field: string, value: unknown, problem: string, allowed: string): string {
  return `${path}: ${field} ${formatValue(value)} ${problem}; allowed: ${allowed}`;
}

/** A validation warning: stable id (see lib/model/warnings.ts), the construct it is about, text. */
export interface ModelWarning {
  readonly id: string;
  readonly path: string;
  readonly message: string;
}

/** Result of a whole-tree validation: errors fail synth, warnings are annotations. */
export interface ValidationResult {
  readonly errors: string[];
  readonly warnings: ModelWarning[];
}

/** "a TCP listener", "an HTTP listener", "an Algorithm": the article as the word is spoken. */
export function withArticle(word: string): string {
  return /^(HTTP|[AEIOaeio])/.test(word) ? `an ${word}` : `a ${word}`;
}
