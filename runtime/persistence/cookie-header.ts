/**
 * Finds one cookie in a `Cookie:` request header without splitting the header (no arrays,
 * no per-pair strings): the per-request path only ever wants the LB's own cookie.
 *
 * Follows RFC 6265 §5.4's `name=value; name=value` shape, tolerating the whitespace real
 * clients send; names compare case-sensitively; a value wrapped in DQUOTEs is unwrapped. When
 * the name occurs more than once the first occurrence wins (browsers send the most specific
 * path first).
 */
export function findCookie(header: string | undefined, name: string): string | null {
  if (header === undefined || header.length === 0 || name.length === 0) return null;
  const len = header.length;
  let i = 0;
  while (i < len) {
    // Skip separators and optional whitespace before a pair.
    let c = header.charCodeAt(i);
    while (c === 32 /* SP */ || c === 9 /* HTAB */ || c === 59 /* ; */) {
      if (++i >= len) return null;
      c = header.charCodeAt(i);
    }
    const end = pairEnd(header, i, len);
    if (header.startsWith(name, i)) {
      let j = i + name.length;
      // Whitespace between name and '=' is tolerated (RFC 6265 §5.2 trims it).
      while (j < end && (header.charCodeAt(j) === 32 || header.charCodeAt(j) === 9)) j++;
      if (j < end && header.charCodeAt(j) === 61 /* = */) {
        let from = j + 1;
        let to = end;
        while (from < to && (header.charCodeAt(from) === 32 || header.charCodeAt(from) === 9)) from++;
        while (to > from && (header.charCodeAt(to - 1) === 32 || header.charCodeAt(to - 1) === 9)) to--;
        if (to - from >= 2 && header.charCodeAt(from) === 34 && header.charCodeAt(to - 1) === 34) {
          from++;
          to--;
        }
        return header.slice(from, to);
      }
    }
    i = end + 1;
  }
  return null;
}

function pairEnd(header: string, from: number, len: number): number {
  const semi = header.indexOf(';', from);
  return semi < 0 ? len : semi;
}
