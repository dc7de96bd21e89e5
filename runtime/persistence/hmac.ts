/**
 * HMAC-SHA256 over `fixedPrefix ‖ body` for a fixed key and prefix and a fixed-length ASCII
 * body, computed with two one-shot hashes (RFC 2104: H((K⊕opad) ‖ H((K⊕ipad) ‖ m))).
 *
 * Why not crypto.createHmac: it builds a keyed context per call, which costs ~3× more than
 * two one-shot `crypto.hash` calls over buffers prepared once (the padded keys and the prefix
 * are written at construction; only the body is written per call). The sticky-cookie check
 * runs on every request that carries the cookie. Node < 20.12 has no crypto.hash: there we
 * fall back to createHmac (same result).
 */
import * as crypto from 'node:crypto';

const BLOCK = 64;
const DIGEST = 32;
type OneShotHash = (algorithm: string, data: Buffer, encoding: 'buffer' | 'base64url') => Buffer | string;
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;

export class PrefixedHmac {
  private readonly key: Buffer;
  private readonly prefix: Buffer;
  private readonly bodyLength: number;
  /** (K⊕ipad) ‖ prefix ‖ body — body rewritten per call. */
  private readonly inner: Buffer;
  /** (K⊕opad) ‖ inner digest — digest rewritten per call. */
  private readonly outer: Buffer;

  constructor(key: Buffer, prefix: string, bodyLength: number) {
    if (key.length > BLOCK) throw new Error(`HMAC key longer than ${BLOCK} bytes is not supported here`);
    this.key = key;
    this.prefix = Buffer.from(prefix, 'utf8');
    this.bodyLength = bodyLength;
    this.inner = Buffer.alloc(BLOCK + this.prefix.length + bodyLength);
    this.outer = Buffer.alloc(BLOCK + DIGEST);
    for (let i = 0; i < BLOCK; i++) {
      const k = i < key.length ? key[i] : 0;
      this.inner[i] = k ^ 0x36;
      this.outer[i] = k ^ 0x5c;
    }
    this.prefix.copy(this.inner, BLOCK);
  }

  /**
   * base64url HMAC of prefix ‖ body. `body` must be `bodyLength` ASCII characters (callers
   * validate the characters first; anything else is refused).
   */
  base64url(body: string): string {
    if (body.length !== this.bodyLength) throw new Error(`HMAC body must be ${this.bodyLength} characters, got ${body.length}`);
    if (oneShot === undefined) {
      return crypto.createHmac('sha256', this.key).update(this.prefix).update(body, 'latin1').digest('base64url');
    }
    this.inner.write(body, BLOCK + this.prefix.length, 'latin1');
    const innerDigest = oneShot('sha256', this.inner, 'buffer') as Buffer;
    innerDigest.copy(this.outer, BLOCK);
    return oneShot('sha256', this.outer, 'base64url') as string;
  }
}
