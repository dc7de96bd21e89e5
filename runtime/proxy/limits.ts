/**
 * Per-listener, per-worker request-rate limit: a token bucket holding at most one second of
 * tokens, refilled lazily from the clock on each request (no timer per listener).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly ratePerSecond: number) {
    this.tokens = ratePerSecond;
    this.last = performance.now();
  }

  /** Takes one token; false when the listener is over its rate. */
  take(): boolean {
    const now = performance.now();
    const refill = ((now - this.last) * this.ratePerSecond) / 1000;
    this.last = now;
    this.tokens = Math.min(this.ratePerSecond, this.tokens + refill);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
