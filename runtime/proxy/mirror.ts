/**
 * Traffic mirroring (a rule's `mirror`): a copy of the request goes to another backend service
 * and its response is read and thrown away.
 *
 * The client's exchange never waits for, nor hears of, the copy: the copy is dispatched after
 * the primary attempt, on its own upstream handler, and any failure ends only the copy. It is
 * bounded per worker, listener and mirror backend (MAX_MIRROR_INFLIGHT copies in flight; beyond that
 * copies are dropped and counted). Request bodies are not mirrored: the client's body streams
 * to the primary target once and is not buffered for a second reader, so a request that
 * carries a body (Content-Length > 0 or chunked) is not copied at all (counted as skipped);
 * GET/HEAD/DELETE and other body-less requests are. Copies do not take part in session
 * persistence, retries or passive health.
 */
import type { Peer } from '../balancer/types';
import type { UpstreamHandler, UpstreamRequest } from './h1-upstream';
import type { BackendRuntime } from './routes';

/** Copies in flight per mirror backend, listener and worker; more are dropped, never queued. */
export const MAX_MIRROR_INFLIGHT = 64;

class MirrorCopy implements UpstreamHandler {
  constructor(private readonly target: MirrorTarget, private readonly peer: Peer) {}

  onConnect(): void { /* nothing to wait for */ }

  onHeaders(): boolean {
    return true; // keep reading; the body is discarded chunk by chunk
  }

  onData(): boolean {
    return true;
  }

  onComplete(): void {
    this.target.done(this.peer, true);
  }

  onError(): void {
    this.target.done(this.peer, false);
  }
}

export class MirrorTarget {
  inflight = 0;
  /** Counters of this worker, for tests and /status. */
  sent = 0;
  completed = 0;
  failed = 0;
  /** Dropped because MAX_MIRROR_INFLIGHT copies were in flight or no target was available. */
  dropped = 0;
  /** Not copied because the request had a body. */
  skippedWithBody = 0;

  constructor(readonly backend: BackendRuntime) {}

  /**
   * Sends a copy of a request head (never its body). `headers` is the list sent to the
   * primary target, shared: the upstream client only reads it.
   */
  send(method: string, path: string, headers: readonly string[], hasBody: boolean, clientIp: string): void {
    if (hasBody) {
      this.skippedWithBody++;
      return;
    }
    if (this.inflight >= MAX_MIRROR_INFLIGHT) {
      this.dropped++;
      return;
    }
    const backend = this.backend;
    const peer = backend.pool.pick(clientIp, null);
    if (peer === null) {
      this.dropped++;
      return;
    }
    this.inflight++;
    this.sent++;
    const request: UpstreamRequest = { method, path, headers: headers as string[], body: null, timeoutMs: backend.responseTimeoutMs };
    backend.upstreams[peer.index].dispatch(request, new MirrorCopy(this, peer));
  }

  /** @internal from MirrorCopy */
  done(peer: Peer, ok: boolean): void {
    this.inflight--;
    if (ok) this.completed++; else this.failed++;
    this.backend.pool.release(peer);
  }
}
