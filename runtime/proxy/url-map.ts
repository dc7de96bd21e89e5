/**
 * A listener's URL map compiled for the hot path (at config load, once per listener): the
 * shared matcher (lib/routing/matcher.ts) plus, per rule, everything its action needs
 * precomputed — the backend and its header plan, the fixed response's encoded head and body,
 * the redirect's constant parts, header edits as lower-case name sets. A reload builds a new
 * table and swaps it with the route, so a request keeps the table it started with.
 */
import type { ListenerConfig, UrlMapConfig, UrlMapRuleConfig } from '../../lib/config/types';
import { DEFAULT_MIRROR_MAX_BODY_BYTES } from '../../lib/model/limits';
import { BODYLESS_STATUS } from '../../lib/model/url-map';
import { UrlMatcher } from '../../lib/routing/matcher';
import { HostPattern, PathPattern, requestHost } from '../../lib/routing/patterns';
import type { DataPlaneObserver } from '../dataplane-types';
import type { ClientRequest } from './h1-response';
import { buildHeaderPlan, HeaderPlan } from './headers';
import { applyHeaderEdits, HeaderEdits, headerEdits } from './header-edits';
import { MirrorTarget } from './mirror';
import type { BackendRuntime } from './routes';

export enum RuleKind { FORWARD = 0, REDIRECT = 1, FIXED = 2 }

export interface CompiledRedirect {
  readonly status: number;
  /** `https://` etc., or null = the listener's scheme. */
  readonly scheme: string | null;
  readonly host: string | null;
  /** `:8443`, '' (the scheme's default port) or null = the request's port. */
  readonly port: string | null;
  readonly path: string | null;
  /** `?a=1`, '' (no query) or null = the request's query. */
  readonly query: string | null;
}

export interface CompiledRewrite {
  readonly host: string | null;
  readonly path: string | null;
  readonly query: string | null;
}

export interface RuleRuntime {
  /** `<map id>/<rule id>`: the name metrics and the access log give the rule. */
  readonly id: string;
  readonly kind: RuleKind;
  /** The forward target (FORWARD), else null. */
  readonly backend: BackendRuntime | null;
  /** Request-header plan of this listener × backend (FORWARD), else null. */
  readonly plan: HeaderPlan | null;
  readonly hostPattern: HostPattern;
  readonly pathPattern: PathPattern;
  readonly rewrite: CompiledRewrite | null;
  readonly requestEdits: HeaderEdits | null;
  readonly responseEdits: HeaderEdits | null;
  readonly mirror: MirrorTarget | null;
  /** Largest request body the mirror gets a copy of (0: body-less requests only). */
  readonly mirrorMaxBodyBytes: number;
  readonly redirect: CompiledRedirect | null;
  /** FIXED: status, encoded body and the whole header list. */
  readonly fixedStatus: number;
  readonly fixedBody: Buffer | null;
  readonly fixedHeaders: readonly string[] | null;
}

export const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443' };

function compileRedirect(r: NonNullable<UrlMapRuleConfig['action']['redirect']>): CompiledRedirect {
  const scheme = r.protocol === null ? null : r.protocol.toLowerCase();
  let port: string | null = null;
  if (r.port !== null) port = scheme !== null && DEFAULT_PORT[scheme] === String(r.port) ? '' : `:${r.port}`;
  // A new scheme without a port goes to that scheme's default port, not to the old one's.
  else if (scheme !== null) port = '';
  return {
    status: r.statusCode, scheme, host: r.host, port, path: r.path,
    query: r.query === null ? null : r.query === '' ? '' : `?${r.query}`,
  };
}

function compileRule(map: UrlMapConfig, rule: UrlMapRuleConfig, hostPattern: HostPattern, pathPattern: PathPattern,
  listener: ListenerConfig, backends: ReadonlyMap<string, BackendRuntime>, mirrors: Map<string, MirrorTarget>,
  stickyCookieNames: readonly string[], observer: DataPlaneObserver): RuleRuntime {
  const a = rule.action;
  const scheme = listener.protocol === 'HTTPS' ? 'https' : 'http';
  let backend: BackendRuntime | null = null;
  let plan: HeaderPlan | null = null;
  let kind = RuleKind.FORWARD;
  let fixedBody: Buffer | null = null;
  let fixedHeaders: string[] | null = null;
  const responseEdits = headerEdits(rule.responseHeaders);
  if (a.type === 'forward') {
    backend = backends.get(a.backendService as string) as BackendRuntime;
    plan = buildHeaderPlan(scheme, listener.port, backend.config.forwardedHeaders, stickyCookieNames);
  } else if (a.type === 'redirect') {
    kind = RuleKind.REDIRECT;
  } else {
    kind = RuleKind.FIXED;
    const f = a.fixedResponse as NonNullable<typeof a.fixedResponse>;
    // 204 and 304 carry neither a body nor its length (the model refuses a body on them).
    const bodyless = BODYLESS_STATUS.includes(f.statusCode);
    fixedBody = bodyless ? Buffer.alloc(0) : Buffer.from(f.body, 'utf8');
    fixedHeaders = bodyless ? [] : ['content-type', f.contentType, 'content-length', String(fixedBody.length)];
    if (responseEdits !== null) applyHeaderEdits(fixedHeaders, responseEdits);
  }
  let mirror: MirrorTarget | null = null;
  if (rule.mirror !== null) {
    mirror = mirrors.get(rule.mirror) ?? null;
    if (mirror === null) {
      mirror = new MirrorTarget(backends.get(rule.mirror) as BackendRuntime, listener.id, observer);
      mirrors.set(rule.mirror, mirror);
    }
  }
  return {
    id: `${map.id}/${rule.id}`,
    kind,
    backend,
    plan,
    hostPattern,
    pathPattern,
    rewrite: rule.rewrite,
    requestEdits: headerEdits(rule.requestHeaders),
    responseEdits,
    mirror,
    mirrorMaxBodyBytes: rule.mirrorMaxBodyBytes ?? DEFAULT_MIRROR_MAX_BODY_BYTES,
    redirect: a.type === 'redirect' ? compileRedirect(a.redirect as NonNullable<typeof a.redirect>) : null,
    fixedStatus: a.type === 'fixedResponse' ? (a.fixedResponse as NonNullable<typeof a.fixedResponse>).statusCode : 0,
    fixedBody,
    fixedHeaders,
  };
}

/** Joined values of the Host field ('' when absent): h1-server admits at most one. */
export function hostHeader(raw: readonly string[]): string | null {
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i];
    if (n.length === 4 && n.toLowerCase() === 'host') return raw[i + 1];
  }
  return null;
}

export class UrlMapTable {
  private readonly matcher: UrlMatcher;
  private readonly rules: readonly RuleRuntime[];
  /** The longest response timeout of the backends the rules forward to. */
  readonly maxResponseTimeoutMs: number;

  /** @param stickyCookieNames every session cookie name of the LB (kept from targets) */
  constructor(map: UrlMapConfig, listener: ListenerConfig, backends: ReadonlyMap<string, BackendRuntime>, stickyCookieNames: readonly string[],
    observer: DataPlaneObserver) {
    // One mirror target (and in-flight bound) per mirror backend of this listener's map.
    const mirrors = new Map<string, MirrorTarget>();
    this.matcher = new UrlMatcher(map.rules);
    const matcher = this.matcher;
    this.rules = map.rules.map((r, i) => compileRule(map, r, matcher.hostPatterns[i], matcher.pathPatterns[i], listener, backends, mirrors, stickyCookieNames, observer));
    let max = 0;
    for (const r of this.rules) if (r.backend !== null) max = Math.max(max, r.backend.responseTimeoutMs);
    this.maxResponseTimeoutMs = max;
  }

  /** The rule a request matches, or null (the listener's default backend). */
  select(req: ClientRequest): RuleRuntime | null {
    const host = this.matcher.usesHost ? requestHost(hostHeader(req.rawHeaders)) : '';
    const i = this.matcher.match(host, req.url);
    return i === -1 ? null : this.rules[i];
  }
}

/** Splits a request target at `?`: [path, query without '?'] ('' when there is none). */
export function splitTarget(url: string): [string, string] {
  const q = url.indexOf('?');
  return q === -1 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}

