/**
 * Host and path patterns of URL-map rules (JD Cloud's forwarding rules), parsed once. Used by
 * synth-time validation (lib/model/url-map.ts) and by the compiled matcher (./matcher.ts)
 * that the runtime builds at config load, so what synth accepts is what the runtime serves.
 *
 * Host: exact (`api.example.com`), `*.suffix` or `prefix.*`, case-insensitive, at most 110
 * characters, no bare `*`; absent = any host. Path: starts with `/`, case-sensitive, at most
 * 128 characters; exact (`/ping`, `/` alone) or prefix with one trailing `*` (`/v1/*`, `/x*`);
 * absent = `/*`.
 */

export const MAX_HOST_PATTERN_LENGTH = 110;
export const MAX_PATH_PATTERN_LENGTH = 128;

/** Host pattern kinds in precedence order (most specific first). */
export enum HostKind { EXACT = 0, SUFFIX = 1, PREFIX = 2, ANY = 3 }
/** Path pattern kinds in precedence order. */
export enum PathKind { EXACT = 0, PREFIX = 1 }

export interface HostPattern {
  readonly kind: HostKind;
  /** EXACT: the lower-case host; SUFFIX: `.example.com`; PREFIX: `www.`; ANY: ''. */
  readonly text: string;
}

export interface PathPattern {
  readonly kind: PathKind;
  /** EXACT: the path; PREFIX: the part before the trailing `*` (`/v1/` for `/v1/*`). */
  readonly text: string;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function isLabels(text: string): boolean {
  return text.length > 0 && text.split('.').every((l) => LABEL.test(l));
}

/**
 * Parses a host pattern; a string result is the reason it is refused. Labels are letters,
 * digits and hyphens (an IPv4 address is labels of digits), compared in lower case.
 */
export function parseHostPattern(pattern: string | null | undefined): HostPattern | string {
  if (pattern === null || pattern === undefined) return { kind: HostKind.ANY, text: '' };
  if (typeof pattern !== 'string' || pattern.length === 0) return 'is empty (leave host out to match every host)';
  if (pattern.length > MAX_HOST_PATTERN_LENGTH) return `is ${pattern.length} characters long`;
  const lower = pattern.toLowerCase();
  if (lower === '*') return 'is a bare "*" (leave host out to match every host)';
  const stars = lower.split('*').length - 1;
  if (stars > 1) return 'has more than one "*"';
  if (lower.startsWith('*.')) {
    return isLabels(lower.slice(2)) ? { kind: HostKind.SUFFIX, text: lower.slice(1) } : 'is not a host name after "*."';
  }
  if (lower.endsWith('.*')) {
    return isLabels(lower.slice(0, -2)) ? { kind: HostKind.PREFIX, text: lower.slice(0, -1) } : 'is not a host name before ".*"';
  }
  if (stars === 1) return 'has a "*" that is not a leading "*." or a trailing ".*"';
  return isLabels(lower) ? { kind: HostKind.EXACT, text: lower } : 'is not a host name';
}

/** Visible ASCII a request path may hold, without `?`, `#` and `*` (a `*` only ends a prefix). */
const PATH_TEXT = /^\/[A-Za-z0-9\-._~!$&'()+,;=:@%/]*$/;

/** Parses a path pattern; a string result is the reason it is refused. */
export function parsePathPattern(pattern: string | null | undefined): PathPattern | string {
  if (pattern === null || pattern === undefined) return { kind: PathKind.PREFIX, text: '/' };
  if (typeof pattern !== 'string' || !pattern.startsWith('/')) return 'does not start with "/"';
  if (pattern.length > MAX_PATH_PATTERN_LENGTH) return `is ${pattern.length} characters long`;
  const prefix = pattern.endsWith('*');
  const text = prefix ? pattern.slice(0, -1) : pattern;
  if (!PATH_TEXT.test(text)) return 'holds a character other than a trailing "*" that a path pattern cannot hold (?, #, *, space, control or non-ASCII)';
  return { kind: prefix ? PathKind.PREFIX : PathKind.EXACT, text };
}

/** The pattern as the user means it, for duplicate checks: lower-case host, `/*` for no path. */
export function normalisedRuleKey(host: HostPattern, path: PathPattern): string {
  const h = host.kind === HostKind.ANY ? '' : host.kind === HostKind.SUFFIX ? `*${host.text}` : host.kind === HostKind.PREFIX ? `${host.text}*` : host.text;
  const p = path.kind === PathKind.PREFIX ? `${path.text}*` : path.text;
  return `${h} ${p}`;
}

/**
 * The request's host as rules compare it: the Host header without its port, in lower case
 * ('' when the request has none). IPv6 literals keep their brackets.
 */
export function requestHost(hostHeader: string | null): string {
  if (hostHeader === null) return '';
  let end = hostHeader.length;
  const colon = hostHeader.lastIndexOf(':');
  if (colon !== -1 && hostHeader.indexOf(']', colon) === -1) end = colon;
  const host = end === hostHeader.length ? hostHeader : hostHeader.slice(0, end);
  return host.toLowerCase();
}

/** What the `*` of a host pattern stood for in `host` ('' for exact/any patterns). */
export function hostCapture(pattern: HostPattern, host: string): string {
  if (pattern.kind === HostKind.SUFFIX) return host.slice(0, host.length - pattern.text.length);
  if (pattern.kind === HostKind.PREFIX) return host.slice(pattern.text.length);
  return '';
}

/** What the `*` of a path pattern stood for in `path` ('' for exact patterns). */
export function pathCapture(pattern: PathPattern, path: string): string {
  return pattern.kind === PathKind.PREFIX ? path.slice(pattern.text.length) : '';
}
