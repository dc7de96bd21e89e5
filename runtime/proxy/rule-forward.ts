/**
 * What a forward rule changes on the way through (JD Cloud's pre- and post-actions): the
 * rewrite of path, query and Host, request header edits, response header edits. Runs only for
 * requests a rule matched; the template work is precomputed in ./url-map.ts.
 */
import { hostCapture, pathCapture, requestHost } from '../../lib/routing/patterns';
import { applyHeaderEdits } from './header-edits';
import type { CompiledRewrite, RuleRuntime } from './url-map';
import { hostHeader, splitTarget } from './url-map';

/**
 * The request target after a rule's rewrite: `*` in the path template is what the rule's
 * path prefix left over, `*` in the query template the request's query.
 */
export function rewrittenTarget(rule: RuleRuntime, url: string): string {
  const rw = rule.rewrite as CompiledRewrite;
  const [path, query] = splitTarget(url);
  const newPath = rw.path === null ? path : rw.path.replace('*', () => pathCapture(rule.pathPattern, path));
  const newQuery = rw.query === null ? query : rw.query.replace('*', () => query);
  return newQuery === '' ? newPath : `${newPath}?${newQuery}`;
}

/** The Host value after a rule's host rewrite (`*` = what the host pattern's `*` matched). */
export function rewrittenHost(rule: RuleRuntime, rawHeaders: readonly string[]): string {
  const template = (rule.rewrite as CompiledRewrite).host as string;
  if (!template.includes('*')) return template;
  return template.replace('*', () => hostCapture(rule.hostPattern, requestHost(hostHeader(rawHeaders))));
}

/** Sets the Host field of an outgoing header list (adds it when the client sent none). */
export function replaceHost(headers: string[], host: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i].length === 4 && headers[i].toLowerCase() === 'host') {
      headers[i + 1] = host;
      return;
    }
  }
  headers.push('host', host);
}

/** The request target sent to the target: rewritten when the rule says so. */
export function forwardTarget(rule: RuleRuntime, url: string): string {
  return rule.rewrite === null || (rule.rewrite.path === null && rule.rewrite.query === null) ? url : rewrittenTarget(rule, url);
}

/** Applies the rule's Host rewrite and request header edits to the outgoing header list. */
export function forwardHeaders(rule: RuleRuntime, headers: string[], rawHeaders: readonly string[]): void {
  if (rule.rewrite !== null && rule.rewrite.host !== null) replaceHost(headers, rewrittenHost(rule, rawHeaders));
  if (rule.requestEdits !== null) applyHeaderEdits(headers, rule.requestEdits);
}

/** Applies the rule's response header edits to the header list sent to the client. */
export function editResponseHeaders(rule: RuleRuntime, headers: string[]): void {
  if (rule.responseEdits !== null) applyHeaderEdits(headers, rule.responseEdits);
}
