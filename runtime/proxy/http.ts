/**
 * The HTTP request path: one ProxyExchange per client request, which is also the upstream
 * handler (./h1-upstream.ts) for the attempt(s). Keeping the whole exchange in one object
 * means a request costs one allocation of ours plus the header arrays.
 *
 * Retry policy (nginx `proxy_next_upstream error timeout` semantics): a failure to connect is
 * retried on another target for any method (nothing was sent); a connection that closed
 * before answering is retried only for idempotent methods; never once a byte of the request
 * body has been consumed, and always before anything was sent to the client. Connect failures
 * are passive health failures.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Peer } from '../balancer/types';
import type { DataPlaneObserver } from '../dataplane-types';
import { UpstreamError, UpstreamHandler, UpstreamRequest } from './h1-upstream';
import { copyResponseHeaders, normaliseIp, upstreamRequestHeaders } from './headers';
import { BackendRuntime, ListenerState, Route } from './routes';

const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Local answers, encoded once. */
interface LocalAnswer { readonly status: number; readonly body: Buffer; readonly headers: string[] }
function answer(status: number, text: string): LocalAnswer {
  const body = Buffer.from(`${text}\n`);
  return { status, body, headers: ['content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length)] };
}
export const ANSWERS = {
  allDown: answer(503, '503 Service Unavailable: no healthy target is available for this backend service'),
  qps: answer(503, '503 Service Unavailable: the listener request-rate limit (qps) is exceeded'),
  connections: answer(503, '503 Service Unavailable: the listener active-connection limit is exceeded'),
  refused: answer(502, '502 Bad Gateway: the target could not be reached'),
  badResponse: answer(502, '502 Bad Gateway: the target sent an invalid response'),
  connectTimeout: answer(504, '504 Gateway Timeout: connecting to the target timed out'),
  responseTimeout: answer(504, '504 Gateway Timeout: the target did not answer in time'),
  badTarget: answer(400, '400 Bad Request: the request target must be an absolute path'),
} as const;

/** Socket property set at accept time when the connection is beyond activeConnections. */
export const kOverLimit = Symbol('alb.overLimit');
const kExchange = Symbol('alb.exchange');

/** Sends a local answer; `close` ends the connection after it. */
function sendLocal(res: ServerResponse, a: LocalAnswer, close: boolean, hsts: string | null): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  if (close) res.shouldKeepAlive = false;
  const headers = hsts === null ? a.headers : [...a.headers, 'strict-transport-security', hsts];
  try {
    res.writeHead(a.status, headers);
    res.end(a.body);
  } catch {
    // A half-written head (after a failed writeHead): nothing sensible can follow.
    res.destroy();
  }
}

/** Handles one request on an HTTP/HTTPS listener (the http.Server 'request' listener). */
export function handleRequest(state: ListenerState, observer: DataPlaneObserver,
  req: IncomingMessage, res: ServerResponse, expectContinue: boolean): void {
  const route = state.route;
  const start = performance.now();
  if (state.draining) res.shouldKeepAlive = false;
  let local: LocalAnswer | null = null;
  let close = false;
  if ((req.socket as unknown as Record<symbol, boolean>)[kOverLimit] === true) {
    local = ANSWERS.connections; close = true;
  } else if (route.limiter !== null && !route.limiter.take()) {
    local = ANSWERS.qps;
  } else if (req.url === undefined || req.url.charCodeAt(0) !== 47 /* '/' */) {
    local = ANSWERS.badTarget; close = true;
  }
  if (local !== null) {
    // A client waiting for 100 Continue has not sent its body: closing avoids reading it.
    sendLocal(res, local, close || expectContinue, route.hsts);
    observer.requestDone(route.listenerId, route.backend.id, null, local.status,
      performance.now() - start, 0, req.method ?? '', req.url ?? '', normaliseIp(req.socket.remoteAddress));
    return;
  }
  state.inflight++;
  new ProxyExchange(state, route, observer, req, res, start, expectContinue).begin();
}

function onClientClose(this: ServerResponse): void {
  (this as unknown as Record<symbol, ProxyExchange>)[kExchange].clientClosed();
}
function onClientDrain(this: ServerResponse): void {
  (this as unknown as Record<symbol, ProxyExchange>)[kExchange].clientDrained();
}
function ignoreError(): void { /* the exchange reacts to 'close' instead */ }

class ProxyExchange implements UpstreamHandler {
  private readonly backend: BackendRuntime;
  private readonly clientIp: string;
  private peer: Peer | null = null;
  /** True while `peer` counts this exchange in its active count (release exactly once). */
  private holding = false;
  private tried: Set<Peer> | null = null;
  private attempts = 0;
  private opts: UpstreamRequest | null = null;
  private hasBody = false;
  private connected = false;
  private abortUpstream: (() => void) | null = null;
  private resumeUpstream: (() => void) | null = null;
  private drainHooked = false;
  private responded = false;
  private status = 0;
  /** Set once the exchange is over for the client (answered or gone). */
  private done = false;
  private upstreamStart = 0;
  private upstreamMs = 0;
  private continued = false;
  private finished = false;

  constructor(
    private readonly state: ListenerState,
    private readonly route: Route,
    private readonly observer: DataPlaneObserver,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly start: number,
    private readonly expectContinue: boolean,
  ) {
    this.backend = route.backend;
    this.clientIp = normaliseIp(req.socket.remoteAddress);
  }

  begin(): void {
    const req = this.req;
    const backend = this.backend;
    (this.res as unknown as Record<symbol, ProxyExchange>)[kExchange] = this;
    this.res.on('close', onClientClose);
    let peer: Peer | null = null;
    if (backend.sticky !== null) {
      const id = backend.sticky.read(req.headers.cookie, Date.now());
      if (id !== null) peer = backend.pool.pickById(id);
    }
    if (peer === null) peer = backend.pool.pick(this.clientIp, null);
    if (peer === null) {
      this.answerLocally(ANSWERS.allDown);
      return;
    }
    this.peer = peer;
    this.holding = true;
    const te = req.headers['transfer-encoding'];
    const cl = req.headers['content-length'];
    this.hasBody = te !== undefined || (cl !== undefined && cl !== '0');
    if (this.hasBody) req.on('error', ignoreError);
    const sock = req.socket;
    this.opts = {
      path: req.url as string,
      method: req.method as string,
      headers: upstreamRequestHeaders(req.rawHeaders, this.route.plan!, this.clientIp,
        sock.remotePort ?? 0, normaliseIp(sock.localAddress), null),
      body: this.hasBody ? req : null,
      timeoutMs: backend.responseTimeoutMs,
    };
    this.dispatch();
  }

  private dispatch(): void {
    this.attempts++;
    this.connected = false;
    this.abortUpstream = null;
    this.upstreamStart = performance.now();
    const peer = this.peer as Peer;
    this.backend.upstreams[peer.index].dispatch(this.opts as UpstreamRequest, this);
  }

  // ---- upstream handler ----------------------------------------------------------------

  onConnect(abort: () => void): void {
    if (this.done) {
      abort();
      return;
    }
    this.connected = true;
    this.abortUpstream = abort;
    if (this.expectContinue && !this.continued) {
      this.continued = true;
      this.res.writeContinue();
    }
  }

  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void, statusText: string): boolean {
    if (this.done) return false;
    const peer = this.peer as Peer;
    const backend = this.backend;
    this.upstreamMs = performance.now() - this.upstreamStart;
    backend.pool.reportSuccess(peer);
    const out: string[] = [];
    const hasCacheControl = copyResponseHeaders(rawHeaders, out);
    if (backend.sticky !== null) {
      out.push('set-cookie', backend.sticky.issue(peer.id, Date.now(), this.route.secureCookie));
      if (!hasCacheControl) out.push('cache-control', 'private');
    }
    if (this.route.hsts !== null) out.push('strict-transport-security', this.route.hsts);
    const res = this.res;
    if (this.state.draining) res.shouldKeepAlive = false;
    if (this.expectContinue && !this.continued) res.shouldKeepAlive = false;
    try {
      res.writeHead(statusCode, statusText, out);
    } catch {
      // A header Node refuses to send (invalid characters from the target).
      this.abortUpstream?.();
      this.releasePeer();
      this.answerLocally(ANSWERS.badResponse);
      return false;
    }
    this.responded = true;
    this.status = statusCode;
    this.resumeUpstream = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.done) return false;
    const ok = this.res.write(chunk);
    if (!ok && !this.drainHooked) {
      this.drainHooked = true;
      this.res.on('drain', onClientDrain);
    }
    return ok;
  }

  onComplete(): void {
    this.releasePeer();
    if (this.done) return;
    this.res.end();
    this.finish(this.status);
  }

  onError(err: Error): void {
    this.releasePeer();
    if (this.done) return;
    if (this.responded) {
      // The body broke off after the status line went out: the client must see a broken
      // message, not a truncated one that looks complete.
      this.res.destroy();
      this.finish(this.status);
      return;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === UpstreamError.HEADERS_TIMEOUT) {
      this.answerLocally(ANSWERS.responseTimeout);
      return;
    }
    const peer = this.peer as Peer;
    // A pool closed by a reload (its target left the config) says nothing about the target.
    const poolGone = code === UpstreamError.POOL_CLOSED || code === UpstreamError.POOL_DESTROYED;
    const connectFailure = !this.connected;
    if (connectFailure && !poolGone) {
      const reason = code === UpstreamError.CONNECT_TIMEOUT ? 'CONNECT_TIMEOUT' : 'CONNECT_FAILED';
      this.backend.pool.reportFailure(peer, Date.now());
      this.observer.targetFailed(this.backend.id, peer.id, reason);
    }
    if (this.retryable(connectFailure)) {
      if (this.tried === null) this.tried = new Set();
      this.tried.add(peer);
      let next = this.backend.pool.pick(this.clientIp, this.tried);
      // A pooled connection the target closed while idle is not the target's fault: when it
      // was the only target, try it once more on a fresh connection.
      if (next === null && !connectFailure && this.attempts === 1) next = this.backend.pool.pick(this.clientIp, null);
      if (next !== null) {
        this.peer = next;
        this.holding = true;
        this.dispatch();
        return;
      }
    }
    if (connectFailure) {
      this.answerLocally(code === UpstreamError.CONNECT_TIMEOUT ? ANSWERS.connectTimeout : ANSWERS.refused);
    } else {
      this.answerLocally(ANSWERS.badResponse);
    }
  }

  // ---- client side ----------------------------------------------------------------------

  clientClosed(): void {
    if (this.done) return;
    // The client went away before the response completed.
    this.done = true;
    this.abortUpstream?.();
    this.finish(this.responded ? this.status : 0);
  }

  clientDrained(): void {
    const resume = this.resumeUpstream;
    if (resume !== null && !this.done) resume();
  }

  /**
   * A request that never reached a target (connect failed) may go to another one whatever its
   * method; one that may have been sent only when its method is idempotent (nginx
   * `non_idempotent` off). Either way not once a byte of the client's body was consumed.
   */
  private retryable(connectFailure: boolean): boolean {
    if (this.attempts > this.backend.pool.peers.length) return false;
    if (!connectFailure && !IDEMPOTENT.has(this.req.method as string)) return false;
    if (this.hasBody && (this.req.readableDidRead || this.req.destroyed)) return false;
    return true;
  }

  private releasePeer(): void {
    if (this.holding) {
      this.holding = false;
      this.backend.pool.release(this.peer as Peer);
    }
  }

  private answerLocally(a: LocalAnswer): void {
    // A request body still unread would otherwise have to be drained before the next
    // request on this connection could be parsed.
    const close = this.hasBody && !this.req.complete;
    sendLocal(this.res, a, close || (this.expectContinue && !this.continued), this.route.hsts);
    this.status = a.status;
    this.finish(a.status);
  }

  /** Reports the exchange exactly once, whichever of completion, error or close comes first. */
  private finish(status: number): void {
    this.done = true;
    if (this.finished) return;
    this.finished = true;
    this.state.inflight--;
    const peer = this.peer;
    this.observer.requestDone(this.route.listenerId, this.backend.id, peer === null ? null : peer.id,
      status, performance.now() - this.start, this.upstreamMs, this.req.method as string,
      this.req.url as string, this.clientIp);
  }
}
