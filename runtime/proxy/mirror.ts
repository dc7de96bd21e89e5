/**
 * Traffic mirroring (a rule's `mirror`): a copy of the request, body included, goes to another
 * backend service and its response is read and thrown away.
 *
 * The client's exchange never waits for, nor hears of, the copy: the copy is dispatched right
 * after the primary attempt, on its own upstream connection, and any failure ends only the
 * copy. Bodies are teed (./request-body.ts `tee`): each chunk of the client's body, as the
 * client-side parser hands it over, also goes to the copy — the copy never pauses the client,
 * so it may fall behind; what it has not sent yet waits in its backlog, bounded per copy
 * (MIRROR_BACKLOG_BYTES) and per worker (MIRROR_BACKLOG_TOTAL_BYTES), and a copy that outgrows
 * either is cut (`slow`). A body larger than the rule's `mirrorMaxBodyBytes` is not mirrored
 * (`too_large`): a Content-Length body is known too large before anything is sent; a chunked
 * body is re-chunked to the mirror as it streams (so a copy holds no more than its backlog,
 * whatever the body's size) and cut once it passes the bound. A copy that is cut has its
 * connection closed before the end of its body (no terminating chunk, fewer bytes than its
 * Content-Length), so the mirror target never sees a complete request from it, and the
 * connection is never reused; the same holds when the client's body breaks off or its framing
 * is malformed (`client_aborted`).
 *
 * Bounded in number per worker, listener and mirror backend (MAX_MIRROR_INFLIGHT copies in
 * flight; beyond that copies are dropped and counted). A copy is made once per client request,
 * whatever the primary's retries. Copies do not take part in session persistence, retries or
 * passive health.
 */
import type { Peer } from '../balancer/types';
import type { DataPlaneObserver, MirrorOutcome } from '../dataplane-types';
import type { UpstreamHandler, UpstreamRequest } from './h1-upstream';
import type { BodySink, BodySource, RequestBody } from './request-body';
import type { BackendRuntime } from './routes';

/** Copies in flight per mirror backend, listener and worker; more are dropped, never queued. */
export const MAX_MIRROR_INFLIGHT = 64;
/** Body bytes one copy may hold that its connection has not taken yet; beyond → cut (`slow`). */
export const MIRROR_BACKLOG_BYTES = 256 * 1024;
/** The same, summed over every copy of the worker. */
export const MIRROR_BACKLOG_TOTAL_BYTES = 16 * 1024 * 1024;

/** Backlog bytes of every copy of this worker (see MIRROR_BACKLOG_TOTAL_BYTES). */
let backlogTotal = 0;

/**
 * One copy: the upstream handler of its request and, for a request with a body, both the tee
 * of the client's body (BodySink) and the body its upstream connection pulls (BodySource).
 */
export class MirrorCopy implements UpstreamHandler, BodySink, BodySource {
  /** The upstream connection's body sink once it is writing the request, else null. */
  private sink: BodySink | null = null;
  private backlog: Buffer[] = [];
  private backlogBytes = 0;
  /** The connection said its socket is full: chunks wait in the backlog until resume(). */
  private congested = false;
  private bodyBytes = 0;
  private bodyEnded = false;
  private abortUpstream: (() => void) | null = null;
  /** The copy is over (its response came, it failed, or it was cut); counted once. */
  private over = false;

  constructor(private readonly target: MirrorTarget, private readonly peer: Peer, private readonly maxBodyBytes: number) {}

  // ---- the tee: the client's body as it arrives --------------------------------------

  onBodyData(chunk: Buffer): void {
    if (this.over) return;
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > this.maxBodyBytes) {
      this.cut('too_large');
      return;
    }
    if (this.sink !== null && !this.congested) {
      this.sink.onBodyData(chunk);
      return;
    }
    this.backlog.push(chunk);
    this.backlogBytes += chunk.length;
    backlogTotal += chunk.length;
    if (this.backlogBytes > MIRROR_BACKLOG_BYTES || backlogTotal > MIRROR_BACKLOG_TOTAL_BYTES) this.cut('slow');
  }

  onBodyEnd(): void {
    if (this.over) return;
    this.bodyEnded = true;
    if (this.sink !== null && !this.congested && this.backlogBytes === 0) this.sink.onBodyEnd();
  }

  onBodyAborted(): void {
    this.cut('client_aborted');
  }

  // ---- the body as the upstream connection pulls it ----------------------------------

  attach(sink: BodySink): void {
    this.sink = sink;
    this.flush();
  }

  detach(): void {
    this.sink = null;
  }

  pause(): void {
    this.congested = true;
  }

  resume(): void {
    this.congested = false;
    this.flush();
  }

  /** Sends the backlog while the connection takes it, then the end of the body when it came. */
  private flush(): void {
    while (this.sink !== null && !this.congested && this.backlog.length > 0) {
      const chunk = this.backlog.shift() as Buffer;
      this.backlogBytes -= chunk.length;
      backlogTotal -= chunk.length;
      this.sink.onBodyData(chunk);
    }
    if (this.sink !== null && !this.congested && this.backlog.length === 0 && this.bodyEnded) this.sink.onBodyEnd();
  }

  // ---- upstream handler ----------------------------------------------------------------

  onConnect(abort: () => void): void {
    if (this.over) abort();
    else this.abortUpstream = abort;
  }

  onHeaders(): boolean {
    return true; // keep reading; the body is discarded chunk by chunk
  }

  onData(): boolean {
    return true;
  }

  onComplete(): void {
    this.end('completed');
  }

  onError(): void {
    this.end('failed');
  }

  /** The upstream request is over (exactly one onComplete or onError per dispatched copy). */
  private end(outcome: MirrorOutcome): void {
    this.abortUpstream = null;
    this.target.release(this.peer);
    this.settle(outcome);
  }

  /** Ends the copy before its body is through: the connection closes mid-request. */
  private cut(outcome: MirrorOutcome): void {
    if (this.over) return;
    this.settle(outcome);
    const abort = this.abortUpstream;
    this.abortUpstream = null;
    // Not connected yet: onConnect aborts; a failed connect ends in onError all the same.
    if (abort !== null) abort();
  }

  /** Counts the copy's outcome once and lets go of its backlog. */
  private settle(outcome: MirrorOutcome): void {
    if (this.over) return;
    this.over = true;
    this.sink = null;
    backlogTotal -= this.backlogBytes;
    this.backlog = [];
    this.backlogBytes = 0;
    this.target.report(outcome);
  }

  /** Sends the copy (after the primary attempt went out). */
  send(method: string, path: string, headers: readonly string[], body: RequestBody | null): void {
    if (this.over) {
      // Ended by what had already arrived (a body over the bound, or broken off): no connection.
      this.target.release(this.peer);
      return;
    }
    const request: UpstreamRequest = {
      method, path, headers: headers as string[], body: body === null ? null : this, timeoutMs: this.target.backend.responseTimeoutMs,
    };
    this.target.backend.upstreams[this.peer.index].dispatch(request, this);
  }
}

/** The Content-Length of a header list, or -1 when it has none (a chunked body). */
function contentLength(headers: readonly string[]): number {
  for (let i = 0; i < headers.length; i += 2) {
    const n = headers[i];
    if (n.length === 14 && n.toLowerCase() === 'content-length') return Number(headers[i + 1]);
  }
  return -1;
}

/** Each copy's outcome goes to the observer: `alb_mirror_copies_total{listener,backend,outcome}`. */
export class MirrorTarget {
  inflight = 0;

  constructor(readonly backend: BackendRuntime, private readonly listenerId: string, private readonly observer: DataPlaneObserver) {}

  /**
   * Prepares a copy of a request: call before the primary attempt is dispatched, so that the
   * copy sees the body chunks that arrived with the head, then `send` it after. `headers` is
   * the list sent to the primary target, shared: the upstream client only reads it. Null when
   * no copy is made (counted).
   */
  open(headers: readonly string[], body: RequestBody | null, maxBodyBytes: number, clientIp: string): MirrorCopy | null {
    const backend = this.backend;
    if (body !== null && (maxBodyBytes === 0 || contentLength(headers) > maxBodyBytes)) {
      this.report('too_large');
      return null;
    }
    // Dropped, never queued: when MAX_MIRROR_INFLIGHT copies are out or no target is available.
    const peer = this.inflight >= MAX_MIRROR_INFLIGHT ? null : backend.pool.pick(clientIp, null);
    if (peer === null) {
      this.report('dropped');
      return null;
    }
    this.inflight++;
    const copy = new MirrorCopy(this, peer, maxBodyBytes);
    if (body !== null) body.teeTo(copy);
    return copy;
  }

  /** @internal from MirrorCopy */
  release(peer: Peer): void {
    this.inflight--;
    this.backend.pool.release(peer);
  }

  /** @internal from MirrorCopy */
  report(outcome: MirrorOutcome): void {
    this.observer.mirrorCopy(this.listenerId, this.backend.id, outcome);
  }
}
