/**
 * One shape for every problem this project reports, and one way to render it — a construct
 * prop refused at synth, a config document refused by a node's runtime, a placement the
 * planner cannot make:
 *
 *     <where>: <field> <value> <problem>; allowed: <what is allowed>
 *
 * Users grep these lines and tests assert them; a rule written once in lib/ gives the same
 * line wherever it runs (synth and runtime alike).
 */

/** One problem: where it is, which field, the value found, what is wrong, what is allowed. */
export interface Issue {
  /**
   * Where: a construct path (`shop/lb/Listeners/http`); in a config document the construct
   * path the document records for that part, or a JSON pointer (`/listeners/0`) where it
   * records none.
   */
  readonly where: string;
  /** The prop or document field (`healthCheck.timeoutSeconds`); '' when the problem is `where` itself. */
  readonly field: string;
  /** The value found ({@link MISSING} when there is none). */
  readonly value: unknown;
  /** What is wrong, as a phrase that follows the value (`is out of range`). */
  readonly problem: string;
  /** What would be accepted. */
  readonly allowed: string;
}

/** The value of an Issue about a field that is absent: the rendered line shows no value. */
export const MISSING: unique symbol = Symbol('missing');

/** An Issue (argument order as the rendered line reads). */
export function issue(where: string, field: string, value: unknown, problem: string, allowed: string): Issue {
  return { where, field, value, problem, allowed };
}

/** The one rendering of an Issue. */
export function renderIssue(i: Issue): string {
  const subject = [i.field, i.value === MISSING ? '' : formatValue(i.value)].filter((part) => part !== '').join(' ');
  return `${i.where}: ${subject === '' ? '' : `${subject} `}${i.problem}; allowed: ${i.allowed}`;
}

/** The issues without repeats (a group shared by two backends would report its problems twice). */
export function dedupeIssues(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const text = renderIssue(i);
    if (seen.has(text)) return false;
    seen.add(text);
    return true;
  });
}

/** Renders a value the way the user wrote it (strings quoted, arrays/objects as JSON, long ones cut). */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return shorten(JSON.stringify(value));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  try {
    return shorten(JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

function shorten(text: string): string {
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** An Error carrying Issues; its message is their rendered lines. */
export class IssueError extends Error {
  constructor(public readonly issues: readonly Issue[], heading?: string) {
    const lines = issues.map(renderIssue);
    super(heading === undefined ? lines.join('\n') : [heading, ...lines.map((l) => `  ${l}`)].join('\n'));
    this.name = 'IssueError';
  }
}

/** A validation warning: stable id (see lib/model/warnings.ts), the construct it is about, text. */
export interface ModelWarning {
  readonly id: string;
  readonly path: string;
  readonly message: string;
}

/** Result of a whole-tree validation: errors fail synth, warnings are annotations. */
export interface ValidationResult {
  readonly errors: Issue[];
  readonly warnings: ModelWarning[];
}

/** "a TCP listener", "an HTTP listener", "an Algorithm": the article as the word is spoken. */
export function withArticle(word: string): string {
  return /^(HTTP|[AEIOaeio])/.test(word) ? `an ${word}` : `a ${word}`;
}
