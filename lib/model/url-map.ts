/**
 * URL maps (JD Cloud's forwarding rule groups): the props of a rule, its defaults and every
 * check a rule needs on its own or against its map. Whole-tree checks (quotas, which
 * listeners use a map) are in ./load-balancer.ts. Pattern syntax and precedence live in
 * lib/routing, shared with the runtime.
 */
import { checkEnum, checkIntRange, isHostname, isIpv4 } from './check';
import { BackendProtocol, ListenerProtocol, RedirectProtocol } from './enums';
import { isHttpListener } from './listener';
import * as limits from './limits';
import { issue, Issue, withArticle } from './messages';
import { MAX_HOST_PATTERN_LENGTH, MAX_PATH_PATTERN_LENGTH, normalisedRuleKey, parseHostPattern, parsePathPattern, HostKind, PathKind } from '../routing/patterns';

/** Where a redirect sends the client; fields left out keep the request's value. */
export interface RedirectOptions {
  /**
   * Scheme of the Location.
   * @default - the listener's (http or https)
   */
  readonly protocol?: RedirectProtocol;
  /**
   * Host of the Location (a host name or IPv4 address, no port).
   * @default - the request's host
   */
  readonly host?: string;
  /**
   * Port of the Location (1..65535); left out of the Location when it is the scheme's default.
   * @default - the listener's port, or the new scheme's default port (80/443) when `protocol` changes it
   */
  readonly port?: number;
  /**
   * Path of the Location (starts with `/`, at most 128 characters).
   * @default - the request's path
   */
  readonly path?: string;
  /**
   * Query of the Location without `?` (at most 128 characters; '' drops the query).
   * @default - the request's query
   */
  readonly query?: string;
  /**
   * 301, 302, 307 or 308 (307/308 keep the method and body).
   * @default 301
   */
  readonly statusCode?: number;
}

/** A response the load balancer answers itself (AWS ALB's fixed-response action). */
export interface FixedResponseOptions {
  /** Status code, 200..599. */
  readonly statusCode: number;
  /**
   * Content-Type of the body.
   * @default 'text/plain'
   */
  readonly contentType?: string;
  /**
   * Body (at most 1024 characters).
   * @default - empty
   */
  readonly body?: string;
}

/**
 * Rewrites the request before it is forwarded (JD Cloud's RewriteSpec). One `*` may carry over
 * what the rule's wildcard matched: in `host` the part the host pattern's `*` matched, in `path`
 * the part after the path prefix, in `query` the request's whole query string.
 */
export interface RewriteOptions {
  /**
   * New Host header (e.g. `internal.example.com` or `*.internal` with a `*.example.com` rule).
   * @default - unchanged
   */
  readonly host?: string;
  /**
   * New path (e.g. `/new/*` with an `/old/*` rule).
   * @default - unchanged
   */
  readonly path?: string;
  /**
   * New query string without `?` (e.g. `v=2&*`).
   * @default - unchanged
   */
  readonly query?: string;
}

/** Header fields set or removed (JD Cloud's insert/delete header pre- and post-actions). */
export interface HeaderRules {
  /**
   * Fields to set: any field of that name is replaced by this value.
   * @default - none
   */
  readonly set?: { [name: string]: string };
  /**
   * Fields to remove.
   * @default - none
   */
  readonly remove?: string[];
}

/**
 * A rule's own fields: RuleOptions without the construct references (action, mirror).
 * Not a public type of its own: jsii lists these fields on RuleOptions.
 * @jsii ignore
 */
export interface UrlMapRuleSettings {
  /**
   * Host pattern: exact, `*.suffix` or `prefix.*`; case-insensitive, at most 110 characters.
   * @default - every host
   */
  readonly host?: string;
  /**
   * Path pattern: exact (`/ping`) or prefix with a trailing `*` (`/v1/*`); case-sensitive,
   * starts with `/`, at most 128 characters.
   * @default '/*'
   */
  readonly path?: string;
  /**
   * Rewrites host, path or query before forwarding (forward rules only).
   * @default - none
   */
  readonly rewrite?: RewriteOptions;
  /**
   * Request header fields to set or remove before forwarding (forward rules only).
   * @default - none
   */
  readonly requestHeaders?: HeaderRules;
  /**
   * Response header fields to set or remove before the client gets the response.
   * @default - none
   */
  readonly responseHeaders?: HeaderRules;
  /**
   * Largest request body (bytes) the mirror gets a copy of, 0..1073741824; a larger body is
   * not mirrored (counted as `too_large`), 0 mirrors body-less requests only. Rules with a
   * `mirror` only.
   * @default 1048576 (1 MiB)
   */
  readonly mirrorMaxBodyBytes?: number;
}

/** A backend service as a rule sees it. */
export interface BackendRef {
  readonly path: string;
  readonly loadBalancerPath: string;
  readonly protocol: BackendProtocol;
}

export type RuleActionSpec =
  | { readonly kind: 'forward'; readonly backend: BackendRef }
  | { readonly kind: 'redirect'; readonly redirect: RedirectOptions }
  | { readonly kind: 'fixedResponse'; readonly fixedResponse: FixedResponseOptions };

/** What the rule checks see. */
export interface UrlMapRuleSpec extends UrlMapRuleSettings {
  /** Construct path of the URL map, for messages. */
  readonly mapPath: string;
  /** Path of the LB that owns the map. */
  readonly loadBalancerPath: string;
  /** The rule's id within its map. */
  readonly name: string;
  readonly action: RuleActionSpec;
  readonly mirror?: BackendRef;
}

export interface RedirectModel {
  readonly protocol: RedirectProtocol | null;
  readonly host: string | null;
  readonly port: number | null;
  readonly path: string | null;
  readonly query: string | null;
  readonly statusCode: number;
}

export interface FixedResponseModel {
  readonly statusCode: number;
  readonly contentType: string;
  readonly body: string;
}

export interface RewriteModel {
  readonly host: string | null;
  readonly path: string | null;
  readonly query: string | null;
}

export interface HeaderRulesModel {
  /** [name, value] pairs, names as written. */
  readonly set: readonly (readonly [string, string])[];
  readonly remove: readonly string[];
}

export type RuleActionModel =
  | { readonly kind: 'forward'; readonly backendPath: string }
  | { readonly kind: 'redirect'; readonly redirect: RedirectModel }
  | { readonly kind: 'fixedResponse'; readonly fixedResponse: FixedResponseModel };

export interface UrlMapRuleModel {
  readonly name: string;
  readonly host: string | null;
  readonly path: string | null;
  readonly action: RuleActionModel;
  readonly rewrite: RewriteModel | null;
  readonly requestHeaders: HeaderRulesModel | null;
  readonly responseHeaders: HeaderRulesModel | null;
  readonly mirrorBackendPath: string | null;
  /** The mirror's body bound (the default when not given); null without a mirror. */
  readonly mirrorMaxBodyBytes: number | null;
}

export interface UrlMapModel {
  readonly path: string;
  readonly loadBalancerPath: string;
  readonly rules: readonly UrlMapRuleModel[];
}

/**
 * Header names no rule may set or remove (JD Cloud's reserved list): the proxy owns framing,
 * connection management, the Host and Cookie handling and the X-Forwarded-* family.
 */
export const RESERVED_HEADER_NAMES: readonly string[] = [
  'connection', 'upgrade', 'content-length', 'transfer-encoding', 'keep-alive', 'te', 'host', 'cookie',
];
const RESERVED_PREFIX = 'x-forwarded-';

/** Whether rules may touch this header name. */
export function isReservedHeaderName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith(RESERVED_PREFIX) || RESERVED_HEADER_NAMES.includes(lower);
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field values: visible ASCII, space and tab, no leading/trailing white space. */
const FIELD_VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?)?$/;
/** Path and query text of a redirect or rewrite (a `*` only where it carries a capture over). */
const URL_PATH = /^\/[A-Za-z0-9\-._~!$&'()+,;=:@%/*]*$/;
const URL_QUERY = /^[A-Za-z0-9\-._~!$&'()+,;=:@%/?*]*$/;
const MEDIA_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;\s*[A-Za-z0-9-]+=[A-Za-z0-9._-]+)*$/;
const RESERVED_LIST = `not ${RESERVED_HEADER_NAMES.join(', ')} or X-Forwarded-*`;

function stars(text: string): number {
  return text.split('*').length - 1;
}

function checkHeaderRules(path: string, field: string, rules: HeaderRules | undefined): { model: HeaderRulesModel | null; errors: Issue[] } {
  if (rules === undefined) return { model: null, errors: [] };
  const errors: Issue[] = [];
  const set = Object.entries(rules.set ?? {});
  const remove = rules.remove ?? [];
  const checkName = (f: string, name: string) => {
    if (typeof name !== 'string' || !TOKEN.test(name) || name.length > limits.RULE_HEADER_NAME_MAX_LENGTH) {
      errors.push(issue(path, f, name, 'is not a header field name', `1..${limits.RULE_HEADER_NAME_MAX_LENGTH} token characters, e.g. "X-Env"`));
    } else if (isReservedHeaderName(name)) {
      errors.push(issue(path, f, name, 'is a reserved header name', `any header field name ${RESERVED_LIST}`));
    }
  };
  for (const [name, value] of set) {
    checkName(`${field}.set`, name);
    if (typeof value !== 'string' || !FIELD_VALUE.test(value) || value.length > limits.RULE_HEADER_VALUE_MAX_LENGTH) {
      errors.push(issue(path, `${field}.set.${name}`, value, 'is not a header field value',
        `0..${limits.RULE_HEADER_VALUE_MAX_LENGTH} visible ASCII characters and spaces, no line breaks`));
    }
  }
  const setNames = new Set(set.map(([n]) => n.toLowerCase()));
  for (const name of remove) {
    checkName(`${field}.remove`, name);
    if (typeof name === 'string' && setNames.has(name.toLowerCase())) {
      errors.push(issue(path, `${field}.remove`, name, 'is also set', 'a name either in set (which replaces it) or in remove'));
    }
  }
  if (set.length === 0 && remove.length === 0) {
    errors.push(issue(path, field, rules, 'sets and removes nothing', 'at least one field in set or remove (or leave it out)'));
  }
  return { model: { set: set.map(([n, v]) => [n, v] as const), remove: [...remove] }, errors };
}

function checkRedirect(path: string, field: string, r: RedirectOptions): { model: RedirectModel; errors: Issue[] } {
  const errors: Issue[] = [];
  const model: RedirectModel = {
    protocol: r.protocol ?? null,
    host: r.host ?? null,
    port: r.port ?? null,
    path: r.path ?? null,
    query: r.query ?? null,
    statusCode: r.statusCode ?? limits.DEFAULT_REDIRECT_STATUS_CODE,
  };
  if (model.protocol === null && model.host === null && model.port === null && model.path === null && model.query === null) {
    errors.push(issue(path, field, r, 'changes nothing (it would redirect to the same URL)',
      'at least one of protocol, host, port, path, query'));
  }
  if (model.protocol !== null) errors.push(...checkEnum(path, `${field}.protocol`, model.protocol, Object.values(RedirectProtocol), 'RedirectProtocol'));
  if (model.host !== null && !(typeof model.host === 'string' && model.host.length <= MAX_HOST_PATTERN_LENGTH && (isIpv4(model.host) || isHostname(model.host)))) {
    errors.push(issue(path, `${field}.host`, model.host, 'is not a host name', `a host name or IPv4 address without port, at most ${MAX_HOST_PATTERN_LENGTH} characters`));
  }
  if (model.port !== null) errors.push(...checkIntRange(path, `${field}.port`, model.port, limits.PORT));
  if (model.path !== null && !(typeof model.path === 'string' && model.path.length <= limits.REDIRECT_PART_MAX_LENGTH && URL_PATH.test(model.path) && stars(model.path) === 0)) {
    errors.push(issue(path, `${field}.path`, model.path, 'is not a path', `"/" followed by URL path characters, at most ${limits.REDIRECT_PART_MAX_LENGTH} characters`));
  }
  if (model.query !== null && !(typeof model.query === 'string' && model.query.length <= limits.REDIRECT_PART_MAX_LENGTH && URL_QUERY.test(model.query) && !model.query.startsWith('?') && stars(model.query) === 0)) {
    errors.push(issue(path, `${field}.query`, model.query, 'is not a query string', `URL query characters without a leading "?", at most ${limits.REDIRECT_PART_MAX_LENGTH} characters`));
  }
  if (!limits.REDIRECT_STATUS_CODES.includes(model.statusCode)) {
    errors.push(issue(path, `${field}.statusCode`, model.statusCode, 'is not a redirect status', limits.REDIRECT_STATUS_CODES.join(', ')));
  }
  return { model, errors };
}

/** Statuses whose responses carry no body (RFC 9110 §15.3.5, §15.4.5). */
export const BODYLESS_STATUS: readonly number[] = [204, 304];

function checkFixedResponse(path: string, field: string, f: FixedResponseOptions): { model: FixedResponseModel; errors: Issue[] } {
  const model: FixedResponseModel = {
    statusCode: f.statusCode,
    contentType: f.contentType ?? limits.DEFAULT_FIXED_RESPONSE_CONTENT_TYPE,
    body: f.body ?? '',
  };
  const errors = checkIntRange(path, `${field}.statusCode`, model.statusCode, limits.FIXED_RESPONSE_STATUS);
  if (typeof model.contentType !== 'string' || !MEDIA_TYPE.test(model.contentType)) {
    errors.push(issue(path, `${field}.contentType`, model.contentType, 'is not a media type', 'e.g. "text/plain", "application/json; charset=utf-8"'));
  }
  if (BODYLESS_STATUS.includes(model.statusCode) && model.body !== '') {
    errors.push(issue(path, `${field}.body`, model.body, `is set on a ${model.statusCode} response`, `no body with ${BODYLESS_STATUS.join(' or ')} (HTTP forbids one)`));
  } else if (typeof model.body !== 'string' || model.body.length > limits.FIXED_RESPONSE_BODY_MAX_LENGTH) {
    errors.push(issue(path, `${field}.body`, typeof model.body === 'string' ? `<${model.body.length} characters>` : model.body,
      'is too long', `at most ${limits.FIXED_RESPONSE_BODY_MAX_LENGTH} characters`));
  }
  return { model, errors };
}

function checkRewrite(path: string, field: string, r: RewriteOptions, hostKind: HostKind | null, pathKind: PathKind | null): { model: RewriteModel; errors: Issue[] } {
  const errors: Issue[] = [];
  const model: RewriteModel = { host: r.host ?? null, path: r.path ?? null, query: r.query ?? null };
  if (model.host === null && model.path === null && model.query === null) {
    errors.push(issue(path, field, r, 'rewrites nothing', 'at least one of host, path, query (or leave it out)'));
  }
  if (model.host !== null) {
    const h = model.host;
    const literal = typeof h === 'string' ? h.replace('*', 'x') : '';
    if (typeof h !== 'string' || h.length > MAX_HOST_PATTERN_LENGTH || stars(h) > 1 || !(isIpv4(literal) || isHostname(literal))) {
      errors.push(issue(path, `${field}.host`, h, 'is not a host name', `a host name, at most ${MAX_HOST_PATTERN_LENGTH} characters, with at most one "*"`));
    } else if (stars(h) === 1 && (hostKind === null || hostKind === HostKind.EXACT || hostKind === HostKind.ANY)) {
      errors.push(issue(path, `${field}.host`, h, 'carries a "*" but the rule\'s host has none', 'a "*" only with a "*.suffix" or "prefix.*" host'));
    }
  }
  if (model.path !== null) {
    const p = model.path;
    if (typeof p !== 'string' || p.length > MAX_PATH_PATTERN_LENGTH || !URL_PATH.test(p) || stars(p) > 1) {
      errors.push(issue(path, `${field}.path`, p, 'is not a path', `"/" followed by URL path characters, at most ${MAX_PATH_PATTERN_LENGTH} characters, with at most one "*"`));
    } else if (stars(p) === 1 && pathKind !== PathKind.PREFIX) {
      errors.push(issue(path, `${field}.path`, p, 'carries a "*" but the rule\'s path is exact', 'a "*" only with a prefix path ("/old/*")'));
    }
  }
  if (model.query !== null) {
    const q = model.query;
    if (typeof q !== 'string' || q.length > limits.REDIRECT_PART_MAX_LENGTH || !URL_QUERY.test(q) || q.startsWith('?') || stars(q) > 1) {
      errors.push(issue(path, `${field}.query`, q, 'is not a query string',
        `URL query characters without a leading "?", at most ${limits.REDIRECT_PART_MAX_LENGTH} characters, with at most one "*" (the request's query)`));
    }
  }
  return { model, errors };
}

function checkBackendRef(path: string, field: string, b: BackendRef, loadBalancerPath: string): Issue[] {
  const errors: Issue[] = [];
  if (b.loadBalancerPath !== loadBalancerPath) {
    errors.push(issue(path, field, b.path, `belongs to load balancer ${b.loadBalancerPath}`, `a backend service of ${loadBalancerPath}`));
  }
  if (b.protocol !== BackendProtocol.HTTP) {
    errors.push(issue(path, field, b.path, `is ${withArticle(b.protocol)} backend service`, 'a BackendProtocol.HTTP backend service (rules serve HTTP/HTTPS listeners)'));
  }
  return errors;
}

/** A rule's identity and route, as props and config documents both carry them. */
export interface RuleRoute {
  readonly name: string;
  readonly host: string | null;
  readonly path: string | null;
}

/**
 * The route rules of one rule: its id unique in its map, host and path patterns that parse,
 * and no earlier rule (`earlier`) with the same host and path. Checks construct props at synth
 * and every document a node loads (lib/config/validate.ts), with the same lines.
 */
export function checkRuleRoute(mapPath: string, name: string, host: string | null, route: string | null, earlier: readonly RuleRoute[]): Issue[] {
  const f = `rules.${name}`;
  const errors: Issue[] = [];
  if (earlier.some((r) => r.name === name)) {
    errors.push(issue(mapPath, 'rules', name, 'is already a rule of this URL map', 'a rule id unique within its URL map'));
  }
  const parsedHost = parseHostPattern(host);
  if (typeof parsedHost === 'string') {
    errors.push(issue(mapPath, `${f}.host`, host, parsedHost,
      `an exact host, "*.suffix" or "prefix.*" (no bare "*"), at most ${MAX_HOST_PATTERN_LENGTH} characters; leave it out for every host`));
  }
  const parsedPath = parsePathPattern(route);
  if (typeof parsedPath === 'string') {
    errors.push(issue(mapPath, `${f}.path`, route, parsedPath,
      `"/" then URL path characters, exact or with one trailing "*", at most ${MAX_PATH_PATTERN_LENGTH} characters`));
  }
  if (typeof parsedHost !== 'string' && typeof parsedPath !== 'string') {
    const key = normalisedRuleKey(parsedHost, parsedPath);
    const twin = earlier.find((r) => {
      const h = parseHostPattern(r.host);
      const p = parsePathPattern(r.path);
      return typeof h !== 'string' && typeof p !== 'string' && normalisedRuleKey(h, p) === key;
    });
    if (twin !== undefined) {
      errors.push(issue(mapPath, `${f}.host+path`, `${host ?? '(any host)'} ${route ?? '/*'}`,
        `is already matched by rule ${twin.name}`, 'one rule per host and path in a URL map'));
    }
  }
  return errors;
}

/** A mirror must be another backend than the one the rule forwards to (`forwardPath`, null for other actions). */
export function checkMirrorTarget(mapPath: string, name: string, mirrorPath: string, forwardPath: string | null): Issue[] {
  if (forwardPath !== mirrorPath) return [];
  return [issue(mapPath, `rules.${name}.mirror`, mirrorPath, 'is the backend service the rule forwards to',
    'another backend service (a mirror receives a copy of what the forward target gets)')];
}

/** The body bound of a mirror: a byte count in range, beside a mirror only (`value` undefined when unset). */
export function checkMirrorMaxBodyBytes(mapPath: string, name: string, value: unknown, hasMirror: boolean): Issue[] {
  if (value === undefined) return [];
  const field = `rules.${name}.mirrorMaxBodyBytes`;
  if (!hasMirror) {
    return [issue(mapPath, field, value, 'is set on a rule without a mirror',
      'mirrorMaxBodyBytes beside mirror only (it bounds the request bodies the mirror gets a copy of)')];
  }
  return checkIntRange(mapPath, field, value, limits.MIRROR_MAX_BODY_BYTES, 'bytes');
}

/** Rewrite, request headers and mirror act on what is forwarded: on forward rules only (`value` undefined when unset). */
export function checkForwardOnly(mapPath: string, name: string, actionKind: string, field: 'rewrite' | 'requestHeaders' | 'mirror', value: unknown): Issue[] {
  if (value === undefined || actionKind === 'forward') return [];
  return [issue(mapPath, `rules.${name}.${field}`, value, `is set on a ${actionKind} rule`,
    `${field} on RuleAction.forward rules only (nothing is forwarded otherwise)`)];
}

/** URL maps serve HTTP and HTTPS listeners only (for the tree and documents alike). */
export function checkListenerUrlMap(listenerPath: string, protocol: ListenerProtocol, urlMapPath: string): Issue[] {
  if (isHttpListener(protocol)) return [];
  return [issue(listenerPath, 'urlMap', urlMapPath, `is set on ${withArticle(protocol)} listener`,
    'a URL map on HTTP and HTTPS listeners only (TCP/TLS listeners do not see hosts or paths)')];
}

/**
 * Resolves one rule and checks it against itself and against the rules already in its map
 * (`existing`): every problem is listed.
 */
export function resolveUrlMapRule(spec: UrlMapRuleSpec, existing: readonly UrlMapRuleModel[]): { model: UrlMapRuleModel; errors: Issue[] } {
  const path = spec.mapPath;
  const f = `rules.${spec.name}`;
  const errors: Issue[] = [];
  errors.push(...checkRuleRoute(path, spec.name, spec.host ?? null, spec.path ?? null, existing));
  const host = parseHostPattern(spec.host);
  const route = parsePathPattern(spec.path);

  const a = spec.action;
  let action: RuleActionModel;
  if (a.kind === 'forward') {
    errors.push(...checkBackendRef(path, `${f}.action.forward`, a.backend, spec.loadBalancerPath));
    action = { kind: 'forward', backendPath: a.backend.path };
  } else if (a.kind === 'redirect') {
    const r = checkRedirect(path, `${f}.action.redirect`, a.redirect);
    errors.push(...r.errors);
    action = { kind: 'redirect', redirect: r.model };
  } else {
    const r = checkFixedResponse(path, `${f}.action.fixedResponse`, a.fixedResponse);
    errors.push(...r.errors);
    action = { kind: 'fixedResponse', fixedResponse: r.model };
  }
  errors.push(...checkForwardOnly(path, spec.name, a.kind, 'rewrite', spec.rewrite));
  errors.push(...checkForwardOnly(path, spec.name, a.kind, 'requestHeaders', spec.requestHeaders));
  errors.push(...checkForwardOnly(path, spec.name, a.kind, 'mirror', spec.mirror?.path));

  let rewrite: RewriteModel | null = null;
  if (spec.rewrite !== undefined) {
    const r = checkRewrite(path, `${f}.rewrite`, spec.rewrite, typeof host === 'string' ? null : host.kind, typeof route === 'string' ? null : route.kind);
    errors.push(...r.errors);
    rewrite = r.model;
  }
  const requestHeaders = checkHeaderRules(path, `${f}.requestHeaders`, spec.requestHeaders);
  const responseHeaders = checkHeaderRules(path, `${f}.responseHeaders`, spec.responseHeaders);
  errors.push(...requestHeaders.errors, ...responseHeaders.errors);

  let mirrorBackendPath: string | null = null;
  if (spec.mirror !== undefined) {
    mirrorBackendPath = spec.mirror.path;
    errors.push(...checkBackendRef(path, `${f}.mirror`, spec.mirror, spec.loadBalancerPath));
    errors.push(...checkMirrorTarget(path, spec.name, spec.mirror.path, a.kind === 'forward' ? a.backend.path : null));
  }
  errors.push(...checkMirrorMaxBodyBytes(path, spec.name, spec.mirrorMaxBodyBytes, spec.mirror !== undefined));
  return {
    model: {
      name: spec.name,
      host: spec.host ?? null,
      path: spec.path ?? null,
      action,
      rewrite,
      requestHeaders: requestHeaders.model,
      responseHeaders: responseHeaders.model,
      mirrorBackendPath,
      mirrorMaxBodyBytes: spec.mirror === undefined ? null : spec.mirrorMaxBodyBytes ?? limits.DEFAULT_MIRROR_MAX_BODY_BYTES,
    },
    errors,
  };
}

/** Backend services a map's rules send traffic to (forward targets and mirrors). */
export function backendsUsedBy(map: UrlMapModel): string[] {
  const out: string[] = [];
  for (const r of map.rules) {
    if (r.action.kind === 'forward') out.push(r.action.backendPath);
    if (r.mirrorBackendPath !== null) out.push(r.mirrorBackendPath);
  }
  return out;
}

