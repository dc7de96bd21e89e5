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
import type { DataPlaneObserver } from '../dataplane-types';
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

/** Each copy's outcome goes to the observer: `alb_mirror_copies_total{listener,backend,outcome}`. */
export class MirrorTarget {
  inflight = 0;

  constructor(readonly backend: BackendRuntime, private readonly listenerId: string, private readonly observer: DataPlaneObserver) {}

  /**
   * Sends a copy of a request head (never its body). `headers` is the list sent to the
   * primary target, shared: the upstream client only reads it.
   */
  send(method: string, path: string, headers: readonly string[], hasBody: boolean, clientIp: string): void {
    if (hasBody) {
      this.observer.mirrorCopy(this.listenerId, this.backend.id, 'skipped_body');
      return;
    }
    // Dropped, never queued: when MAX_MIRROR_INFLIGHT copies are out or no target is available.
    const backend = this.backend;
    const peer = this.inflight >= MAX_MIRROR_INFLIGHT ? null : backend.pool.pick(clientIp, null);
    if (peer === null) {
      this.observer.mirrorCopy(this.listenerId, backend.id, 'dropped');
      return;
    }
    this.inflight++;
    const request: UpstreamRequest = { method, path, headers: headers as string[], body: null, timeoutMs: backend.responseTimeoutMs };
    backend.upstreams[peer.index].dispatch(request, new MirrorCopy(this, peer));
  }

  /** @internal from MirrorCopy */
  done(peer: Peer, ok: boolean): void {
    this.inflight--;
    this.backend.pool.release(peer);
    this.observer.mirrorCopy(this.listenerId, this.backend.id, ok ? 'completed' : 'failed');
  }
}
