/**
 * The rule actions the load balancer answers itself: redirects and fixed responses. Nothing
 * reaches a target; the request's body, if any, is discarded by ./h1-server.ts so the
 * connection can carry the next request.
 */
import { STATUS_CODES } from 'node:http';
import type { DataPlaneObserver } from '../dataplane-types';
import { ANSWERS } from './admission';
import type { ClientRequest } from './h1-response';
import type { Route } from './routes';
import { requestHost } from '../../lib/routing/patterns';
import { CompiledRedirect, DEFAULT_PORT, hostHeader, RuleKind, RuleRuntime, splitTarget } from './url-map';
import { applyHeaderEdits } from './header-edits';

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

interface RuleResponse { status: number; headers: string[]; body: Buffer; close: boolean }


/** The response a redirect or fixed-response rule gives this request (HSTS included). */
function ruleResponse(route: Route, req: ClientRequest, rule: RuleRuntime): RuleResponse {
  let out: RuleResponse;
  if (rule.kind === RuleKind.FIXED) {
    out = { status: rule.fixedStatus, headers: [...rule.fixedHeaders as string[]], body: rule.fixedBody as Buffer, close: false };
  } else {
    const r = rule.redirect as CompiledRedirect;
    const location = redirectLocation(r, req, route.secureCookie ? 'https' : 'http');
    if (location === null) {
      out = { status: ANSWERS.badHost.status, headers: [...ANSWERS.badHost.headers], body: ANSWERS.badHost.body, close: true };
    } else {
      out = { status: r.status, headers: ['location', location, 'content-length', '0'], body: EMPTY, close: false };
      if (rule.responseEdits !== null) applyHeaderEdits(out.headers, rule.responseEdits);
    }
  }
  if (route.hsts !== null) out.headers.push('strict-transport-security', route.hsts);
  return out;
}

/** Answers a redirect or fixed-response rule and reports the request. */
export function answerRule(route: Route, observer: DataPlaneObserver, req: ClientRequest, rule: RuleRuntime, start: number): void {
  const r = ruleResponse(route, req, rule);
  // A client waiting for 100 Continue has not sent its body: closing avoids reading it.
  if (r.close || req.expectContinue) req.closeAfter = true;
  req.respond(r.status, r.headers, r.body);
  observer.requestDone(route.listenerId, route.backend.id, null, r.status, performance.now() - start, 0,
    req.method, req.url, req.conn.clientIp, rule.id);
}

const EMPTY = Buffer.alloc(0);

/**
 * A redirect or fixed-response rule's answer as raw bytes with `Connection: close`, for an
 * Upgrade request (./upgrade.ts owns the socket there, not a ClientRequest response).
 */
export function ruleAnswerBytes(route: Route, req: ClientRequest, rule: RuleRuntime): { status: number; bytes: Buffer } {
  const r = ruleResponse(route, req, rule);
  let head = `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? 'Unknown'}\r\n`;
  for (let i = 0; i < r.headers.length; i += 2) head += `${r.headers[i]}: ${r.headers[i + 1]}\r\n`;
  head += 'connection: close\r\n\r\n';
  return { status: r.status, bytes: Buffer.concat([Buffer.from(head, 'latin1'), req.method === 'HEAD' ? EMPTY : r.body]) };
}
