/**
 * Keep-alive connection pools to targets (./h1-upstream.ts, one per target address, port and
 * connect timeout). Shared by every backend of the data plane that names the same target, and
 * kept across config loads so a reload does not drop warm connections.
 */
import { UpstreamPool } from './h1-upstream';

/** Largest response header block accepted from a target (same as the client side). */
const MAX_UPSTREAM_HEADER_BYTES = 16 * 1024;

export class UpstreamRegistry {
  private pools = new Map<string, UpstreamPool>();

  /** The pool for a target, created on first use (connections are opened lazily). */
  get(address: string, port: number, connectTimeoutMs: number): UpstreamPool {
    const key = `${address}|${port}|${connectTimeoutMs}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new UpstreamPool(address, port, connectTimeoutMs, MAX_UPSTREAM_HEADER_BYTES);
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Closes pools no backend uses any more; requests in flight on them finish first. */
  retainOnly(inUse: ReadonlySet<UpstreamPool>): void {
    for (const [key, pool] of this.pools) {
      if (!inUse.has(pool)) {
        this.pools.delete(key);
        void pool.close();
      }
    }
  }

  /** Closes every pool; destroys what is still busy after graceMs. */
  async closeAll(graceMs: number): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    const timer = setTimeout(() => {
      for (const p of pools) void p.destroy();
    }, graceMs);
    await Promise.all(pools.map((p) => p.close()));
    clearTimeout(timer);
  }
}
