/**
 * Header hygiene between client and target (RFC 9110 §7.6.1) and the X-Forwarded-* family.
 *
 * Everything that depends only on the config (which X-Forwarded-* fields a backend wants, the
 * listener's scheme and port, the HSTS value) is computed once per config load into a
 * HeaderPlan; the per-request functions below only walk the raw header arrays Node's parsers
 * already give us, so no header object is built per request.
 */
import { ForwardedHeadersConfig, HstsConfig } from '../../lib/config/types';

/**
 * Fields that describe one connection, never the message: a proxy must not forward them.
 * `expect` is answered by the proxy itself (it sends `100 Continue`), so it is not forwarded
 * either; `trailer` announces trailers this proxy does not forward.
 */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade',
  'expect', 'trailer', 'http2-settings',
]);

/** Per listener × backend, computed at config load. */
export interface HeaderPlan {
  /** X-Forwarded-Proto value, or null when the backend does not want it. */
  readonly proto: string | null;
  /** X-Forwarded-Port value (the listener port), or null. */
  readonly port: string | null;
  readonly host: boolean;
  readonly lbIp: boolean;
  readonly clientPort: boolean;
  /**
   * Lower-case names of X-Forwarded-* fields the LB sets itself: a client-sent copy is
   * dropped so a client cannot spoof them. X-Forwarded-For is always appended to instead.
   */
  readonly owned: ReadonlySet<string>;
  /**
   * `NAME=` of every session cookie of the LB (one per backend service with persistence), or
   * null when there is none: the LB's cookies are removed from the Cookie header sent to the
   * target (HAProxy `indirect`): they are the LB's business, not the application's — also the
   * cookie of another backend service a URL map sent the same client to.
   */
  readonly stickyPrefixes: readonly string[] | null;
  /**
   * `special[name.length]` is 1 when a field name of that length could be one this plan acts
   * on (hop-by-hop, Host, X-Forwarded-*, Cookie): every other name is forwarded without
   * lower-casing it — most request fields (User-Agent, Accept...) never need the comparison.
   */
  readonly special: Uint8Array;
}

/** Longest field name a length filter tracks; longer names are always compared. */
const MAX_TRACKED_NAME = 63;

function lengthFilter(names: Iterable<string>): Uint8Array {
  const out = new Uint8Array(MAX_TRACKED_NAME + 1);
  for (const n of names) if (n.length <= MAX_TRACKED_NAME) out[n.length] = 1;
  return out;
}

/** True when a field name of this length may be in the filter (then compare it in lower case). */
function mayBeSpecial(filter: Uint8Array, length: number): boolean {
  return length > MAX_TRACKED_NAME || filter[length] === 1;
}

/** Response fields acted on: hop-by-hop ones and Cache-Control (cookie `nocache` semantics). */
const RESPONSE_SPECIAL = lengthFilter([...HOP_BY_HOP, 'cache-control']);

export function buildHeaderPlan(scheme: 'http' | 'https', listenerPort: number,
  fwd: ForwardedHeadersConfig, stickyCookieNames: readonly string[]): HeaderPlan {
  const owned = new Set<string>();
  if (fwd.proto) owned.add('x-forwarded-proto');
  if (fwd.port) owned.add('x-forwarded-port');
  if (fwd.host) owned.add('x-forwarded-host');
  if (fwd.lbIp) owned.add('x-forwarded-lbip');
  if (fwd.clientPort) owned.add('x-forwarded-client-port');
  const special = lengthFilter([...HOP_BY_HOP, ...owned, 'x-forwarded-for', 'host', 'cookie']);
  return {
    proto: fwd.proto ? scheme : null,
    port: fwd.port ? String(listenerPort) : null,
    host: fwd.host,
    lbIp: fwd.lbIp,
    clientPort: fwd.clientPort,
    owned,
    stickyPrefixes: stickyCookieNames.length === 0 ? null : stickyCookieNames.map((n) => `${n}=`),
    special,
  };
}

/** `Strict-Transport-Security` value, or null when HSTS is off. */
export function hstsValue(hsts: HstsConfig | null): string | null {
  if (hsts === null) return null;
  return `max-age=${hsts.maxAgeSeconds}${hsts.includeSubDomains ? '; includeSubDomains' : ''}`;
}

/**
 * Fields a Connection header cannot remove: routing and framing are end-to-end (a client that
 * lists `Host` must not make the target see a request without one).
 */
const NOT_REMOVABLE: ReadonlySet<string> = new Set(['host', 'content-length', 'transfer-encoding']);

/**
 * Lower-case field names listed in Connection header values (besides the keep-alive/close
 * options every client sends), or null when there are none — the common case allocates
 * nothing beyond the split.
 */
function connectionTokens(values: string | null): Set<string> | null {
  if (values === null || isPlainConnectionOption(values)) return null;
  let out: Set<string> | null = null;
  const parts = values.split(',');
  for (let i = 0; i < parts.length; i++) {
    const t = parts[i].trim().toLowerCase();
    if (t === '' || t === 'close' || t === 'keep-alive' || t === 'upgrade' || NOT_REMOVABLE.has(t)) continue;
    if (out === null) out = new Set();
    out.add(t);
  }
  return out;
}

/** `keep-alive` or `close` alone: what nearly every client and target sends, checked without splitting. */
function isPlainConnectionOption(value: string): boolean {
  const n = value.length;
  if (n !== 10 && n !== 5) return false;
  const lower = value.toLowerCase();
  return lower === 'keep-alive' || lower === 'close';
}

/** Joined values of every `Connection` field in a raw header list. */
function connectionValues(raw: readonly string[]): string | null {
  let v: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i];
    if (n.length === 10 && n.toLowerCase() === 'connection') v = v === null ? raw[i + 1] : `${v},${raw[i + 1]}`;
  }
  return v;
}

/** True when a TE value names `trailers` (the one TE value that may cross a proxy). */
function teHasTrailers(value: string): boolean {
  return value.toLowerCase().includes('trailers');
}

/**
 * Builds the flat [name, value, ...] header list sent to the target.
 * `upgrade` is the Upgrade value when the request is tunnelled as an upgrade (then
 * `Connection: upgrade` + `Upgrade` are kept), null otherwise.
 */
export function upstreamRequestHeaders(raw: readonly string[], plan: HeaderPlan, clientIp: string,
  clientPort: number, lbIp: string, upgrade: string | null): string[] {
  const named = connectionTokens(connectionValues(raw));
  const out: string[] = [];
  let xff: string | null = null;
  let host: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (named === null && !mayBeSpecial(plan.special, name.length)) {
      out.push(name, raw[i + 1]);
      continue;
    }
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'te' && teHasTrailers(raw[i + 1])) out.push('te', 'trailers');
      continue;
    }
    if (named !== null && named.has(lower)) continue;
    if (lower === 'x-forwarded-for') {
      xff = xff === null ? raw[i + 1] : `${xff}, ${raw[i + 1]}`;
      continue;
    }
    if (lower === 'host') host = raw[i + 1];
    if (plan.owned.size !== 0 && plan.owned.has(lower)) continue;
    if (plan.stickyPrefixes !== null && lower === 'cookie' && includesAny(raw[i + 1], plan.stickyPrefixes)) {
      const rest = withoutCookies(raw[i + 1], plan.stickyPrefixes);
      if (rest !== '') out.push(name, rest);
      continue;
    }
    out.push(name, raw[i + 1]);
  }
  out.push('x-forwarded-for', xff === null ? clientIp : `${xff}, ${clientIp}`);
  if (plan.proto !== null) out.push('x-forwarded-proto', plan.proto);
  if (plan.port !== null) out.push('x-forwarded-port', plan.port);
  if (plan.host && host !== null) out.push('x-forwarded-host', host);
  if (plan.lbIp) out.push('x-forwarded-lbip', lbIp);
  if (plan.clientPort) out.push('x-forwarded-client-port', String(clientPort));
  if (upgrade !== null) out.push('connection', 'upgrade', 'upgrade', upgrade);
  return out;
}

function includesAny(value: string, parts: readonly string[]): boolean {
  for (let i = 0; i < parts.length; i++) if (value.includes(parts[i])) return true;
  return false;
}

function startsWithAny(value: string, prefixes: readonly string[]): boolean {
  for (let i = 0; i < prefixes.length; i++) if (value.startsWith(prefixes[i])) return true;
  return false;
}

/** A Cookie header value without the pairs named by `prefixes` (`NAME=`). */
function withoutCookies(value: string, prefixes: readonly string[]): string {
  const pairs = value.split(';');
  let out = '';
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i].trim();
    if (p === '' || startsWithAny(p, prefixes)) continue;
    out = out === '' ? p : `${out}; ${p}`;
  }
  return out;
}

/**
 * Copies a target's raw response headers (as parsed by ./h1-upstream.ts) into `out`,
 * dropping hop-by-hop fields (Node re-frames the body itself). Returns whether the response
 * carried a Cache-Control field (for cookie `nocache` semantics).
 */
export function copyResponseHeaders(raw: readonly string[], out: string[]): boolean {
  let named: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 10 && raw[i].toLowerCase() === 'connection') {
      const t = connectionTokens(raw[i + 1]);
      if (t !== null) {
        if (named === null) named = t; else for (const x of t) named.add(x);
      }
    }
  }
  let cacheControl = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (named === null && !mayBeSpecial(RESPONSE_SPECIAL, name.length)) {
      out.push(name, raw[i + 1]);
      continue;
    }
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    if (named !== null && named.has(lower)) continue;
    if (lower === 'cache-control') cacheControl = true;
    out.push(name, raw[i + 1]);
  }
  return cacheControl;
}

/** Normalises an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) to dotted IPv4. */
export function normaliseIp(addr: string | undefined): string {
  if (addr === undefined) return '';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}
