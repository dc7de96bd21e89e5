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
import type { Peer } from '../balancer/types';
import type { DataPlaneObserver } from '../dataplane-types';
import { admissionRefusal, ANSWERS, LocalAnswer, stickyPeer } from './admission';
import type { ClientEvents, ClientRequest } from './h1-response';
import { UpstreamError, UpstreamHandler, UpstreamRequest } from './h1-upstream';
import { copyResponseHeaders, upstreamRequestHeaders } from './headers';
import { attemptLimit } from './retry-policy';
import { BackendRuntime, ListenerState, Route } from './routes';
import { answerRule } from './rule-answers';
import { forwardHeaders, forwardTarget, editResponseHeaders } from './rule-forward';
import { RuleKind, RuleRuntime } from './url-map';

const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Sends a local answer; `close` ends the connection after it. */
function sendLocal(req: ClientRequest, a: LocalAnswer, close: boolean, hsts: string | null): void {
  if (req.headersSent) {
    req.destroy();
    return;
  }
  if (close) req.closeAfter = true;
  req.respond(a.status, hsts === null ? a.headers : [...a.headers, 'strict-transport-security', hsts], a.body);
}

/** Handles one request on an HTTP/HTTPS listener (called by ./h1-server.ts in request order). */
export function handleRequest(state: ListenerState, observer: DataPlaneObserver, req: ClientRequest): void {
  const route = state.route;
  const start = performance.now();
  const local = admissionRefusal(route, req);
  if (local !== null) {
    // A client waiting for 100 Continue has not sent its body: closing avoids reading it.
    // A connection beyond the limit is not kept either.
    sendLocal(req, local, local === ANSWERS.connections || req.expectContinue, route.hsts);
    observer.requestDone(route.listenerId, route.backend.id, null, local.status,
      performance.now() - start, 0, req.method, req.url, req.conn.clientIp);
    return;
  }
  // ---- forwarding rules: the one place a URL map picks the action (runtime/proxy/url-map.ts)
  let rule: RuleRuntime | null = null;
  if (route.urlMap !== null) {
    rule = route.urlMap.select(req);
    if (rule !== null && rule.kind !== RuleKind.FORWARD) {
      answerRule(route, observer, req, rule, start);
      return;
    }
  }
  state.inflight++;
  new ProxyExchange(state, route, observer, req, start, rule).begin();
}

class ProxyExchange implements UpstreamHandler, ClientEvents {
  private readonly backend: BackendRuntime;
  private readonly clientIp: string;
  private readonly ruleId: string | null;
  private peer: Peer | null = null;
  /** True while `peer` counts this exchange in its active count (release exactly once). */
  private holding = false;
  private tried: Set<Peer> | null = null;
  private attempts = 0;
  private opts: UpstreamRequest | null = null;
  private connected = false;
  private abortUpstream: (() => void) | null = null;
  private resumeUpstream: (() => void) | null = null;
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
    private readonly req: ClientRequest,
    private readonly start: number,
    /** The URL-map rule that chose this forward, or null (the listener's default backend). */
    private readonly rule: RuleRuntime | null,
  ) {
    this.backend = rule === null ? route.backend : rule.backend as BackendRuntime;
    this.clientIp = req.conn.clientIp;
    this.ruleId = rule === null ? null : rule.id;
  }

  begin(): void {
    const req = this.req;
    const backend = this.backend;
    req.events = this;
    let peer = stickyPeer(backend, req);
    if (peer === null) peer = backend.pool.pick(this.clientIp, null);
    if (peer === null) {
      this.answerLocally(ANSWERS.allDown);
      return;
    }
    this.peer = peer;
    this.holding = true;
    const conn = req.conn;
    const rule = this.rule;
    const plan = rule === null ? this.route.plan! : rule.plan!;
    const headers = upstreamRequestHeaders(req.rawHeaders, plan, this.clientIp,
      conn.clientPort, plan.lbIp ? conn.localIp : '', null);
    const opts: UpstreamRequest = {
      path: req.url,
      method: req.method,
      headers,
      body: req.body,
      timeoutMs: backend.responseTimeoutMs,
    };
    if (rule !== null) {
      opts.path = forwardTarget(rule, req.url);
      forwardHeaders(rule, headers, req.rawHeaders);
    }
    this.opts = opts;
    // The copy is made once, whatever the retries; it must see the body before the primary's
    // connection takes it (./mirror.ts), and goes out after the primary attempt.
    const copy = rule === null || rule.mirror === null ? null : rule.mirror.open(headers, req.body, rule.mirrorMaxBodyBytes, this.clientIp);
    this.dispatch();
    if (copy !== null) copy.send(opts.method, opts.path, headers, req.body);
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
    if (this.req.expectContinue && !this.continued) {
      this.continued = true;
      this.req.writeContinue();
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
    if (this.rule !== null) editResponseHeaders(this.rule, out);
    if (backend.sticky !== null) {
      out.push('set-cookie', backend.sticky.issue(peer.id, Date.now(), this.route.secureCookie));
      if (!hasCacheControl) out.push('cache-control', 'private');
    }
    if (this.route.hsts !== null) out.push('strict-transport-security', this.route.hsts);
    const req = this.req;
    // The client never sent the body it announced (no 100 Continue went out): close after.
    if (req.expectContinue && !this.continued) req.closeAfter = true;
    // Header names and values come from the strict llhttp parse of the target's response,
    // so they are valid on the wire as they are.
    req.writeHead(statusCode, statusText, out);
    this.responded = true;
    this.status = statusCode;
    this.resumeUpstream = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.done) return false;
    return this.req.write(chunk);
  }

  onComplete(): void {
    this.releasePeer();
    if (this.done) return;
    this.finish(this.status);
    this.req.end();
  }

  onError(err: Error): void {
    this.releasePeer();
    if (this.done) return;
    if (this.responded) {
      // The body broke off after the status line went out: the client must see a broken
      // message, not a truncated one that looks complete.
      this.finish(this.status);
      this.req.destroy();
      return;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === UpstreamError.BODY_ABORTED) {
      // The client's body broke off (bad chunk framing after the head went on): the client's
      // fault, not the target's. The target saw an unfinished message and was cut off; the
      // client gets 400 and the connection closes (the body was aborted). No retry.
      this.answerLocally(ANSWERS.badBody);
      return;
    }
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

  onClientClose(): void {
    if (this.done) return;
    // The client went away before the response completed.
    this.done = true;
    this.abortUpstream?.();
    this.finish(this.responded ? this.status : 0);
  }

  onClientDrain(): void {
    const resume = this.resumeUpstream;
    if (resume !== null && !this.done) resume();
  }

  /**
   * A request that never reached a target (connect failed) may go to another one whatever its
   * method; one that may have been sent only when its method is idempotent (nginx
   * `non_idempotent` off). Either way not once a byte of the client's body was consumed.
   */
  private retryable(connectFailure: boolean): boolean {
    const limit = attemptLimit(this.backend.pool.peers.length);
    // A connection that closed under a sent request may be a stale pooled one: that case gets
    // one try beyond the limit (a lone target is retried once on a fresh connection).
    if (this.attempts > limit || (connectFailure && this.attempts >= limit)) return false;
    if (!connectFailure && !IDEMPOTENT.has(this.req.method)) return false;
    const body = this.req.body;
    if (body !== null && (body.consumed || body.aborted)) return false;
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
    this.status = a.status;
    this.finish(a.status);
    sendLocal(this.req, a, this.req.expectContinue && !this.continued, this.route.hsts);
  }

  /** Reports the exchange exactly once, whichever of completion, error or close comes first. */
  private finish(status: number): void {
    this.done = true;
    if (this.finished) return;
    this.finished = true;
    this.state.inflight--;
    const peer = this.peer;
    this.observer.requestDone(this.route.listenerId, this.backend.id, peer === null ? null : peer.id,
      status, performance.now() - this.start, this.upstreamMs, this.req.method,
      this.req.url, this.clientIp, this.ruleId);
  }
}
