/**
 * Session persistence by cookie insertion, with the semantics of HAProxy
 * `cookie NAME insert indirect nocache maxidle <cookieTimeoutSeconds>`:
 * - the LB inserts a cookie naming the chosen target; later requests carrying it go back to
 *   that target while it is available (the data plane's job, via BackendPool.pickById);
 * - the cookie carries a last-seen date and is ignored once older than the idle timeout; each
 *   response re-issues it with a fresh date (the "aging time" refresh). Timeout 0 = browser
 *   session cookie with no idle limit;
 * - dates far in the future are ignored (clock games, or a cookie minted elsewhere);
 * - nocache: responses carrying Set-Cookie should also get `Cache-Control: private` so a
 *   shared cache never hands one client's cookie to another (the data plane adds it).
 *
 * Value layout (40 characters of base64url / hex, all cookie-octets):
 *   token (16)  — base64url(HMAC(tokenKey, backendId ␊ targetId))[0..16): opaque, reveals no
 *                 address, differs per backend and per LB secret, identical on every node;
 *   seen  (8)   — last-seen time, seconds since the epoch, lower-case hex;
 *   mac   (16)  — base64url(HMAC(macKey, cookieName ␊ backendId ␊ token ‖ seen))[0..16)
 *                 (96-bit truncated HMAC-SHA256), compared in constant time.
 * tokenKey and macKey are derived from the LB-wide cookie secret with distinct labels, so the
 * two uses of the secret cannot be confused.
 *
 * Everything per target (token, MAC prefix, Set-Cookie prefix and attributes) is computed at
 * construction; read() rejects cheap failures (length, unknown token, dates) before the one
 * HMAC it needs.
 */
import { createHmac } from 'node:crypto';
import { SessionPersistenceConfig } from '../../lib/config/types';
import { checkCookieTimeout } from '../../lib/model/backend-service';
import { IssueError } from '../../lib/model/messages';
import { findCookie } from './cookie-header';
import { PrefixedHmac } from './hmac';

export { findCookie } from './cookie-header';

const TOKEN_LENGTH = 16;
const SEEN_LENGTH = 8;
const MAC_LENGTH = 16;
export const STICKY_COOKIE_VALUE_LENGTH = TOKEN_LENGTH + SEEN_LENGTH + MAC_LENGTH;

/**
 * A cookie dated more than this far ahead of our clock is ignored. Nodes of one LB may
 * disagree on the time by a little (NTP), never by an hour.
 */
export const MAX_FUTURE_SKEW_MS = 60 * 60 * 1000;

/** RFC 6265 cookie-name = token (RFC 9110 tchar). */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class StickyCookie {
  readonly cookieName: string;
  readonly timeoutSeconds: number;
  private readonly hmac: PrefixedHmac;
  private readonly targetByToken = new Map<string, string>();
  private readonly tokenByTarget = new Map<string, string>();
  private readonly attributes: string;

  constructor(secretHex: string, backendId: string, cfg: SessionPersistenceConfig, targetIds: string[]) {
    if (typeof secretHex !== 'string' || secretHex.length < 64 || secretHex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(secretHex)) {
      throw new Error(`backend ${backendId}: cookieSecret must be an even-length hex string of at least 64 characters (32 bytes), got ${typeof secretHex === 'string' ? `${secretHex.length} characters` : typeof secretHex}`);
    }
    if (typeof cfg.cookieName !== 'string' || !COOKIE_NAME.test(cfg.cookieName)) {
      throw new Error(`backend ${backendId}: sessionPersistence.cookieName must be an RFC 6265 token (letters, digits, !#$%&'*+-.^_\`|~), got ${JSON.stringify(cfg.cookieName)}`);
    }
    const timeoutIssues = checkCookieTimeout(`backend ${backendId}`, cfg.cookieTimeoutSeconds);
    if (timeoutIssues.length > 0) throw new IssueError(timeoutIssues);
    this.cookieName = cfg.cookieName;
    this.timeoutSeconds = cfg.cookieTimeoutSeconds;
    const secret = Buffer.from(secretHex, 'hex');
    const tokenKey = createHmac('sha256', secret).update('alb-sticky-cookie/token').digest();
    const macKey = createHmac('sha256', secret).update('alb-sticky-cookie/mac').digest();
    this.hmac = new PrefixedHmac(macKey, `${cfg.cookieName}\n${backendId}\n`, TOKEN_LENGTH + SEEN_LENGTH);
    for (const id of targetIds) {
      const token = createHmac('sha256', tokenKey).update(`${backendId}\n${id}`).digest('base64url').slice(0, TOKEN_LENGTH);
      const clash = this.targetByToken.get(token);
      if (clash !== undefined && clash !== id) {
        // 2^-96 odds; refuse rather than route one target's sessions to another.
        throw new Error(`backend ${backendId}: targets ${clash} and ${id} derive the same cookie token`);
      }
      this.targetByToken.set(token, id);
      this.tokenByTarget.set(id, token);
    }
    this.attributes = '; Path=/; HttpOnly' + (this.timeoutSeconds > 0 ? `; Max-Age=${this.timeoutSeconds}` : '');
  }

  /**
   * The target id named by a valid cookie in the request's Cookie header, or null when the
   * cookie is absent, malformed, forged, from another LB or backend, names a target this
   * backend does not have, is idle-expired, or is dated far in the future. Never throws.
   */
  read(cookieHeader: string | undefined, nowMs: number): string | null {
    const value = findCookie(cookieHeader, this.cookieName);
    if (value === null || value.length !== STICKY_COOKIE_VALUE_LENGTH) return null;
    const seen = parseHex8(value, TOKEN_LENGTH);
    if (seen < 0) return null;
    const seenMs = seen * 1000;
    if (seenMs > nowMs + MAX_FUTURE_SKEW_MS) return null;
    if (this.timeoutSeconds > 0 && nowMs - seenMs > this.timeoutSeconds * 1000) return null;
    const targetId = this.targetByToken.get(value.slice(0, TOKEN_LENGTH));
    if (targetId === undefined) return null;
    const mac = this.mac(value.slice(0, TOKEN_LENGTH + SEEN_LENGTH));
    return constantTimeEqualAt(mac, value, TOKEN_LENGTH + SEEN_LENGTH) ? targetId : null;
  }

  /**
   * The full Set-Cookie header value naming `targetId`, dated `nowMs` (issuing it again on
   * later responses is the idle-time refresh). `secure` adds the Secure attribute (HTTPS
   * listeners).
   */
  issue(targetId: string, nowMs: number, secure = false): string {
    const token = this.tokenByTarget.get(targetId);
    if (token === undefined) {
      throw new Error(`sticky cookie ${this.cookieName}: unknown target id ${JSON.stringify(targetId)}`);
    }
    const seconds = Math.floor(nowMs / 1000);
    if (!(seconds >= 0 && seconds <= 0xffffffff)) {
      throw new Error(`sticky cookie ${this.cookieName}: time ${nowMs} ms is outside the cookie's date range`);
    }
    const body = token + seconds.toString(16).padStart(SEEN_LENGTH, '0');
    return `${this.cookieName}=${body}${this.mac(body)}${this.attributes}${secure ? '; Secure' : ''}`;
  }

  /** Whether this cookie knows the target (e.g. to decide whether to issue at all). */
  hasTarget(targetId: string): boolean {
    return this.tokenByTarget.has(targetId);
  }

  private mac(body: string): string {
    return this.hmac.base64url(body).slice(0, MAC_LENGTH);
  }
}

/** 8 lower-case hex digits at `from` → number, or -1 when any character is not [0-9a-f]. */
function parseHex8(s: string, from: number): number {
  let n = 0;
  for (let i = from; i < from + SEEN_LENGTH; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else return -1;
    n = n * 16 + d;
  }
  return n;
}

/** Compares `expected` with `actual[from..from+expected.length)` without an early exit. */
function constantTimeEqualAt(expected: string, actual: string, from: number): boolean {
  if (actual.length - from !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ actual.charCodeAt(from + i);
  return diff === 0;
}
