/**
 * Syntax of the Host field (RFC 9110 §7.2: `uri-host [ ":" port ]`, uri-host per RFC 3986
 * §3.2.2). llhttp checks only that a field value has no control bytes, so `Host: a b` or
 * `Host: evil@lb.test` would otherwise reach targets that route, log or build URLs from it.
 * One table lookup per character: this runs for every request.
 */

/** 1: allowed in a reg-name (unreserved, pct-encoded's '%', sub-delims); 2: also hex/':' of an IP literal. */
const REG_NAME = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&\'()*+,;=') {
  REG_NAME[c.charCodeAt(0)] = 1;
}
const IP_LITERAL = new Uint8Array(128);
for (const c of '0123456789abcdefABCDEF:.vV') IP_LITERAL[c.charCodeAt(0)] = 1;
// IPvFuture and zone ids (`v1.x`, `fe80::1%25eth0`) use reg-name characters too.
for (let i = 0; i < 128; i++) if (REG_NAME[i] === 1) IP_LITERAL[i] = 1;

const COLON = 58;
const OPEN = 91; // '['
const CLOSE = 93; // ']'

/** True when `value` is a valid Host field value; an empty one is allowed (RFC 9112 §3.2). */
export function validHost(value: string): boolean {
  const n = value.length;
  let i = 0;
  if (n > 0 && value.charCodeAt(0) === OPEN) {
    i = 1;
    for (; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c === CLOSE) break;
      if (c >= 128 || IP_LITERAL[c] === 0) return false;
    }
    if (i === n || i === 1) return false; // no ']' or nothing inside
    i++;
  } else {
    for (; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c === COLON) break;
      if (c >= 128 || REG_NAME[c] === 0) return false;
    }
  }
  if (i === n) return true;
  if (value.charCodeAt(i) !== COLON) return false;
  // port = *DIGIT, at most 5 of them
  if (n - i - 1 > 5) return false;
  for (i++; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** An absolute-form request target (RFC 9112 §3.2.2) taken apart. */
export interface AbsoluteTarget {
  /** host[:port] of the URI: what the Host field must carry from now on. */
  readonly authority: string;
  /** The origin-form rest (path and query, at least "/"): what a target is sent. */
  readonly path: string;
}

const HTTP_SCHEME = /^https?:\/\//i;
const SLASH = 47;

/**
 * Splits `http://authority/path?query` (the scheme in any case; https too, as nginx does: the
 * listener, not the URI, decides the protocol) into authority and origin-form, or null when
 * the target is not an absolute http(s) URI with a valid, non-empty authority. A userinfo
 * (`user@host`) is refused: RFC 9110 §4.2.4 forbids senders to generate it, and it is the
 * classic way to make a URL read as another host. Only called for targets not starting with
 * '/', so origin-form requests never pay for it.
 */
export function splitAbsoluteForm(target: string): AbsoluteTarget | null {
  const scheme = HTTP_SCHEME.exec(target);
  if (scheme === null) return null;
  const start = scheme[0].length;
  let end = start;
  while (end < target.length) {
    const c = target.charCodeAt(end);
    if (c === SLASH || c === 63 /* '?' */ || c === 35 /* '#' */) break;
    end++;
  }
  const authority = target.slice(start, end);
  if (authority === '' || !validHost(authority)) return null;
  const rest = target.slice(end);
  return { authority, path: rest.charCodeAt(0) === SLASH ? rest : `/${rest}` };
}
