/**
 * The rule actions the load balancer answers itself: redirects and fixed responses. Nothing
 * reaches a target; the request's body, if any, is discarded by ./h1-server.ts so the
 * connection can carry the next request.
 */
import type { DataPlaneObserver } from '../dataplane-types';
import type { ClientRequest } from './h1-response';
import { ANSWERS } from './admission';
import { sendLocal } from './http';
import type { Route } from './routes';
import { requestHost } from '../../lib/routing/patterns';
import { CompiledRedirect, DEFAULT_PORT, hostHeader, RuleKind, RuleRuntime, splitTarget } from './url-map';
import { applyHeaderEdits } from './rule-forward';

/** Host names and IPv4/IPv6 literals with an optional port: what may go into a Location. */
const SAFE_HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The Location of a redirect rule for this request, or null when the request's Host cannot
 * be put into a URL (then the client gets 400). Fields the rule leaves out keep the request's.
 */
export function redirectLocation(r: CompiledRedirect, req: ClientRequest, listenerScheme: string): string | null {
  const scheme = r.scheme ?? listenerScheme;
  let host = r.host;
  let port = r.port;
  if (host === null || port === null) {
    const header = hostHeader(req.rawHeaders);
    if (header === null || !SAFE_HOST.test(header)) return null;
    const bare = requestHost(header);
    if (host === null) host = bare;
    if (port === null) {
      const p = header.length > bare.length ? header.slice(bare.length + 1) : '';
      port = p === '' || p === DEFAULT_PORT[scheme] ? '' : `:${p}`;
    }
  }
  let path = r.path;
  let query = r.query;
  if (path === null || query === null) {
    const [p, q] = splitTarget(req.url);
    if (path === null) path = p;
    if (query === null) query = q === '' ? '' : `?${q}`;
  }
  return `${scheme}://${host}${port}${path}${query}`;
}

/** Answers a redirect or fixed-response rule and reports the request. */
export function answerRule(route: Route, observer: DataPlaneObserver, req: ClientRequest, rule: RuleRuntime, start: number): void {
  let status: number;
  if (rule.kind === RuleKind.FIXED) {
    status = rule.fixedStatus;
    const headers = route.hsts === null ? rule.fixedHeaders as string[] : [...rule.fixedHeaders as string[], 'strict-transport-security', route.hsts];
    if (req.expectContinue) req.closeAfter = true;
    req.respond(status, headers, rule.fixedBody as Buffer);
  } else {
    const r = rule.redirect as CompiledRedirect;
    const location = redirectLocation(r, req, route.secureCookie ? 'https' : 'http');
    if (location === null) {
      status = ANSWERS.badHost.status;
      sendLocal(req, ANSWERS.badHost, true, route.hsts);
    } else {
      status = r.status;
      const headers = ['location', location, 'content-length', '0'];
      if (rule.responseEdits !== null) applyHeaderEdits(headers, rule.responseEdits);
      if (route.hsts !== null) headers.push('strict-transport-security', route.hsts);
      if (req.expectContinue) req.closeAfter = true;
      req.respond(status, headers, EMPTY);
    }
  }
  observer.requestDone(route.listenerId, route.backend.id, null, status, performance.now() - start, 0,
    req.method, req.url, req.conn.clientIp, rule.id);
}

const EMPTY = Buffer.alloc(0);
