/**
 * One problem found in a config document, in the shape every error of this project takes:
 * where (a JSON path), what is wrong, the value found and what is allowed.
 */
export interface ConfigIssue {
  /** JSON-pointer-like path into the document, e.g. `/listeners/1/backendService`. */
  path: string;
  message: string;
  value?: unknown;
  allowed?: string;
}

/** Thrown by loadConfigFile when a document cannot be used; carries every issue found. */
export class ConfigError extends Error {
  constructor(public readonly file: string, public readonly issues: ConfigIssue[]) {
    super(`${file}: invalid config\n${formatIssues(issues)}`);
    this.name = 'ConfigError';
  }
}

export function formatIssue(issue: ConfigIssue): string {
  let line = `${issue.path || '/'}: ${issue.message}`;
  if (issue.value !== undefined) line += ` (value: ${shortJson(issue.value)})`;
  if (issue.allowed !== undefined) line += ` (allowed: ${issue.allowed})`;
  return line;
}

export function formatIssues(issues: ConfigIssue[]): string {
  return issues.map((i) => `  - ${formatIssue(i)}`).join('\n');
}

function shortJson(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
