import { findCookie, MAX_FUTURE_SKEW_MS, StickyCookie, STICKY_COOKIE_VALUE_LENGTH } from '../../runtime/persistence/cookie';

const SECRET = 'a1'.repeat(32);
const OTHER_SECRET = 'b2'.repeat(32);
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const cfg = { cookieName: 'ALB_STICKY', cookieTimeoutSeconds: 600 };

/** The cookie pair `name=value` of a Set-Cookie header value, as a browser sends it back. */
function pair(setCookie: string): string {
  return setCookie.split(';')[0];
}

describe('sticky cookie (HAProxy insert indirect nocache + maxidle)', () => {
  const sticky = new StickyCookie(SECRET, 'web', cfg, ['t0', 't1', 't2']);

  test('issue → read roundtrip names the target, with the expected attributes', () => {
    for (const id of ['t0', 't1', 't2']) {
      const set = sticky.issue(id, T0);
      expect(set).toMatch(/^ALB_STICKY=[A-Za-z0-9_-]{16}[0-9a-f]{8}[A-Za-z0-9_-]{16}; Path=\/; HttpOnly; Max-Age=600$/);
      expect(sticky.read(pair(set), T0 + 1000)).toBe(id);
      expect(sticky.read(`a=b; ${pair(set)}; c=d`, T0)).toBe(id);
    }
    expect(sticky.issue('t0', T0, true)).toMatch(/; Secure$/);
  });

  test('opaque: the value reveals neither the target id nor an address; tokens differ per target', () => {
    const values = ['t0', 't1', 't2'].map((id) => pair(sticky.issue(id, T0)).split('=')[1]);
    for (const v of values) {
      expect(v).toHaveLength(STICKY_COOKIE_VALUE_LENGTH);
      expect(v).not.toMatch(/t0|t1|t2|127/);
    }
    expect(new Set(values.map((v) => v.slice(0, 16))).size).toBe(3);
  });

  test('another node built from the same config honours the cookie', () => {
    const otherNode = new StickyCookie(SECRET, 'web', cfg, ['t2', 't1', 't0']);
    expect(otherNode.read(pair(sticky.issue('t1', T0)), T0 + 5000)).toBe('t1');
  });

  test('forged MAC, tampered date, tampered token → null', () => {
    const v = pair(sticky.issue('t1', T0)).split('=')[1];
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    expect(sticky.read(`ALB_STICKY=${flip(v, 39)}`, T0)).toBeNull(); // MAC
    expect(sticky.read(`ALB_STICKY=${flip(v, 30)}`, T0)).toBeNull();
    // A later date (cookie "refreshed" by the client itself) breaks the MAC.
    const later = Math.floor(T0 / 1000 + 60).toString(16).padStart(8, '0');
    expect(sticky.read(`ALB_STICKY=${v.slice(0, 16)}${later}${v.slice(24)}`, T0 + 61_000)).toBeNull();
    // Another target's token with this MAC.
    const v0 = pair(sticky.issue('t0', T0)).split('=')[1];
    expect(sticky.read(`ALB_STICKY=${v0.slice(0, 16)}${v.slice(16)}`, T0)).toBeNull();
  });

  test("other backend's cookie, other LB's secret, unknown target → null", () => {
    const otherBackend = new StickyCookie(SECRET, 'api', cfg, ['t0', 't1', 't2']);
    const otherLb = new StickyCookie(OTHER_SECRET, 'web', cfg, ['t0', 't1', 't2']);
    const withoutT1 = new StickyCookie(SECRET, 'web', cfg, ['t0', 't2']);
    const c = pair(sticky.issue('t1', T0));
    expect(otherBackend.read(c, T0)).toBeNull();
    expect(otherLb.read(c, T0)).toBeNull();
    expect(withoutT1.read(c, T0)).toBeNull();
    expect(withoutT1.read(pair(sticky.issue('t2', T0)), T0)).toBe('t2');
  });

  test('idle expiry: valid up to the timeout, null after; timeout 0 never expires', () => {
    const c = pair(sticky.issue('t0', T0));
    expect(sticky.read(c, T0 + 600_000)).toBe('t0');
    expect(sticky.read(c, T0 + 601_000)).toBeNull();
    const session = new StickyCookie(SECRET, 'web', { cookieName: 'S', cookieTimeoutSeconds: 0 }, ['t0']);
    const s = session.issue('t0', T0);
    expect(s).toBe(`${pair(s)}; Path=/; HttpOnly`); // no Max-Age: browser-session cookie
    expect(session.read(pair(s), T0 + 30 * 86_400_000)).toBe('t0');
  });

  test('a date far in the future is ignored; small clock skew between nodes is tolerated', () => {
    expect(sticky.read(pair(sticky.issue('t0', T0 + 60_000)), T0)).toBe('t0');
    expect(sticky.read(pair(sticky.issue('t0', T0 + MAX_FUTURE_SKEW_MS + 5_000)), T0)).toBeNull();
  });

  test('refresh: re-issuing later changes the date and extends the idle life', () => {
    const first = pair(sticky.issue('t2', T0));
    const refreshed = pair(sticky.issue('t2', T0 + 500_000));
    expect(refreshed).not.toBe(first);
    expect(refreshed.slice(0, 27)).toBe(first.slice(0, 27)); // name= + same token
    expect(sticky.read(first, T0 + 900_000)).toBeNull();
    expect(sticky.read(refreshed, T0 + 900_000)).toBe('t2');
  });

  test('malformed values never throw and give null', () => {
    const good = pair(sticky.issue('t0', T0)).split('=')[1];
    const bad = [undefined, '', 'ALB_STICKY', 'ALB_STICKY=', 'ALB_STICKY=x', `ALB_STICKY=${good}x`,
      `ALB_STICKY=${good.slice(0, 16)}ZZZZZZZZ${good.slice(24)}`, `ALB_STICKY=${'\u00ff'.repeat(40)}`,
      `ALB_STICKY=${'-'.repeat(40)}`, `alb_sticky=${good}`, ';;;; ; ;', '=' + good, `ALB_STICKYX=${good}`,
      'ALB_STICKY="', `ALB_STICKY=${good.slice(0, 16)}-0000001${good.slice(24)}`];
    for (const h of bad) expect(sticky.read(h, T0)).toBeNull();
    // Quoted values are unwrapped (RFC 6265 allows DQUOTE'd cookie values).
    expect(sticky.read(`ALB_STICKY="${good}"`, T0)).toBe('t0');
  });

  test('constructor refuses a bad secret, cookie name or timeout, naming the value', () => {
    expect(() => new StickyCookie('abcd', 'web', cfg, [])).toThrow(/backend web: cookieSecret .* got 4 characters/);
    expect(() => new StickyCookie('zz'.repeat(32), 'web', cfg, [])).toThrow(/cookieSecret/);
    expect(() => new StickyCookie(SECRET, 'web', { cookieName: 'a b', cookieTimeoutSeconds: 0 }, [])).toThrow(/cookieName .* got "a b"/);
    expect(() => new StickyCookie(SECRET, 'web', { cookieName: 'a', cookieTimeoutSeconds: 86401 }, [])).toThrow('backend web: sessionPersistence.cookieTimeoutSeconds 86401 is out of range; allowed: 0..86400 seconds (0 = browser-session cookie)');
    expect(() => sticky.issue('nope', T0)).toThrow(/unknown target id "nope"/);
  });
});

describe('findCookie', () => {
  test('finds one cookie among many, tolerant of whitespace, first occurrence wins', () => {
    expect(findCookie('a=1; b=2; c=3', 'b')).toBe('2');
    expect(findCookie('a=1;b=2', 'b')).toBe('2');
    expect(findCookie('  a = 1 ;  b=2  ', 'a')).toBe('1');
    expect(findCookie('ab=1; b=2', 'b')).toBe('2');
    expect(findCookie('b=first; b=second', 'b')).toBe('first');
    expect(findCookie('bb=1', 'b')).toBeNull();
    expect(findCookie('a=1; b', 'b')).toBeNull();
    expect(findCookie('b=', 'b')).toBe('');
    expect(findCookie('x=a=b; y', 'x')).toBe('a=b');
    expect(findCookie(undefined, 'b')).toBeNull();
    expect(findCookie('b=1', '')).toBeNull();
  });
});

describe('PrefixedHmac', () => {
  test('equals HMAC-SHA256 from node:crypto, call after call (scratch buffers rewritten)', () => {
    const { createHmac, randomBytes } = require('node:crypto') as typeof import('node:crypto');
    const { PrefixedHmac } = require('../../runtime/persistence/hmac') as typeof import('../../runtime/persistence/hmac');
    const key = randomBytes(32);
    const h = new PrefixedHmac(key, 'ALB\nweb\n', 24);
    for (let i = 0; i < 50; i++) {
      const body = randomBytes(18).toString('base64url');
      expect(h.base64url(body)).toBe(createHmac('sha256', key).update('ALB\nweb\n').update(body).digest('base64url'));
    }
    expect(() => h.base64url('short')).toThrow(/must be 24 characters, got 5/);
  });
});
