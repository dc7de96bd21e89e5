/**
 * Config problems as the runtime reports them: lib/model Issues (one shape and one rendering
 * for synth and runtime alike), listed one a line under the file they were found in.
 */
import { Issue, renderIssue } from '../../lib/model/messages';

export type { Issue } from '../../lib/model/messages';

/** Thrown by loadConfigFile when a document cannot be used; carries every issue found. */
export class ConfigError extends Error {
  constructor(public readonly file: string, public readonly issues: Issue[]) {
    super(`${file}: invalid config\n${formatIssues(issues)}`);
    this.name = 'ConfigError';
  }
}

export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((i) => `  - ${renderIssue(i)}`).join('\n');
}
