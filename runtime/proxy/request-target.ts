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
