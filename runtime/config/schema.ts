/**
 * Adapter from the shared validator (lib/config/validate: JSON Schema + cross references) to
 * the runtime's ConfigIssue shape.
 */
import { validateLbConfig } from '../../lib/config/validate';
import { ConfigIssue } from './issues';

export function schemaIssues(doc: unknown): ConfigIssue[] {
  return validateLbConfig(doc).map((line) => {
    // The validator writes `<JSON pointer>: <problem>`.
    const m = /^(\/[^:]*|\/): (.*)$/s.exec(line);
    return m ? { path: m[1], message: m[2] } : { path: '/', message: line };
  });
}
