/**
 * HTTP/1.1 keep-alive connections to one target, driven directly on net sockets.
 *
 * Why not undici (used here before): profiling the headline scenario showed undici's
 * per-request machinery (Request object and header re-validation, the wasm parser calling back
 * into JS per header field and value, its resume/queue bookkeeping) costing about as much CPU
 * as the rest of the proxy (docs/performance-notes.md). The request head is already parsed
 * and checked on the client side (./h1-server.ts, the same llhttp binding, strict), so this
 * client only serialises it; responses are parsed by
 * Node's own llhttp binding (the one node:http uses: strict, C), so framing (Content-Length,
 * chunked, close-delimited, 1xx, HEAD/204/304 without body) and the header-size limit are
 * exactly what Node's HTTP client enforces.
 *
 * One request at a time per connection (no pipelining), any number of connections; idle
 * connections are reused most-recent-first and closed after KEEP_ALIVE_IDLE_MS by one coarse
 * sweep per pool rather than a timer per request. The response wait uses the socket's own
 * inactivity timeout, so a request arms no timer of its own.
 */
import * as net from 'node:net';
import { consumableHandle, HTTPParser, HttpParser, refreshSocketTimer, StreamHandle } from './llhttp';
import type { BodySink, BodySource } from './request-body';

/** Error codes the handler sees (ProxyExchange maps them to 502/504 and retry decisions). */
export const UpstreamError = {
  CONNECT_TIMEOUT: 'UPSTREAM_CONNECT_TIMEOUT',
  /** No response headers within the request's timeout. */
  HEADERS_TIMEOUT: 'UPSTREAM_HEADERS_TIMEOUT',
  /** The response body stalled for longer than the request's timeout. */
  BODY_TIMEOUT: 'UPSTREAM_BODY_TIMEOUT',
  /** The target closed the connection before the response was complete. */
  CLOSED_EARLY: 'UPSTREAM_CLOSED_EARLY',
  /** The target sent something that is not a valid HTTP/1.1 response. */
  BAD_RESPONSE: 'UPSTREAM_BAD_RESPONSE',
  /** The client's request body broke off. */
  BODY_ABORTED: 'UPSTREAM_REQUEST_BODY_ABORTED',
  ABORTED: 'UPSTREAM_ABORTED',
  /** The pool was closed (its target left the config) before the request got a connection. */
  POOL_CLOSED: 'UPSTREAM_POOL_CLOSED',
  /** The pool was destroyed with the request in flight. */
  POOL_DESTROYED: 'UPSTREAM_POOL_DESTROYED',
} as const;

/** The request as the proxy forwards it; header values come from Node's strict parser. */
export interface UpstreamRequest {
  method: string;
  path: string;
  /** Flat [name, value, ...] list, hop-by-hop fields already removed. */
  headers: string[];
  /** The request body when it has one (the client's, or a mirror copy's), else null. */
  body: BodySource | null;
  /** Longest silence allowed from the target, for the headers and between body chunks. */
  timeoutMs: number;
}

/** Callbacks of one request, in order: onConnect, onHeaders, onData*, then onComplete or onError. */
export interface UpstreamHandler {
  /** A connection is ready and the request is about to be written; `abort` cancels it. */
  onConnect(abort: () => void): void;
  /** Final (≥ 200) response head; return false to stop reading (then call `resume`). */
  onHeaders(status: number, headers: string[], resume: () => void, statusText: string): boolean;
  /** A body chunk; return false to stop reading until `resume`. */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  /** Exactly once on failure, also after onHeaders (the body broke off) or after abort. */
  onError(err: Error): void;
}

/** Idle keep-alive connections older than this are closed (below common server defaults of 5 s). */
const KEEP_ALIVE_IDLE_MS = 4000;
const SWEEP_INTERVAL_MS = 1000;

function upstreamError(code: string, message: string): Error {
  const err = new Error(message) as NodeJS.ErrnoException;
  err.code = code;
  return err;
}

function hasField(headers: readonly string[], lowerName: string): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    const n = headers[i];
    if (n.length === lowerName.length && n.toLowerCase() === lowerName) return true;
  }
  return false;
}

/** One socket to the target and the request it carries (at most one at a time). */
class Connection implements BodySink {
  readonly socket: net.Socket;
  private readonly parser: HttpParser;
  private handler: UpstreamHandler | null = null;
  private body: BodySource | null = null;
  private chunked = false;
  private bodyDone = true;
  private headersDone = false;
  private complete = false;
  private keepAlive = false;
  private skipBody = false;
  private paused = false;
  /** Bytes arrived that belong to no request: the connection cannot be trusted again. */
  private tainted = false;
  private partialHeaders: string[] = [];
  private timeoutMs = 0;
  /** The socket's native stream while the parser consumes it (see ./llhttp.ts), else null. */
  private handle: StreamHandle | null = null;
  connected = false;
  idleSince = 0;

  // Bound once per connection, not per request.
  readonly resume = (): void => {
    if (this.paused) {
      this.paused = false;
      if (this.handle !== null) this.handle.readStart();
      else this.socket.resume();
    }
  };
  // BodySink: the client's request body, while this connection carries it.
  onBodyData(chunk: Buffer): void {
    const s = this.socket;
    let ok: boolean;
    if (this.chunked) {
      s.cork();
      s.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      s.write(chunk);
      ok = s.write('\r\n', 'latin1');
      s.uncork();
    } else {
      ok = s.write(chunk);
    }
    if (!ok) (this.body as BodySource).pause();
  }

  onBodyEnd(): void {
    this.bodyDone = true;
    if (this.chunked) this.socket.write('0\r\n\r\n', 'latin1');
    this.detachBody();
  }

  onBodyAborted(): void {
    if (!this.bodyDone) this.fail(upstreamError(UpstreamError.BODY_ABORTED, 'the client request body broke off'));
  }

  private readonly onSocketDrain = (): void => {
    if (this.body !== null && !this.bodyDone) this.body.resume();
  };

  constructor(private readonly pool: UpstreamPool, address: string, port: number) {
    this.socket = net.connect({ host: address, port, noDelay: true });
    this.parser = new HTTPParser();
    this.parser.initialize(HTTPParser.RESPONSE, {}, pool.maxHeaderBytes, HTTPParser.kLenientNone);
    this.parser[HTTPParser.kOnHeaders] = (headers: string[]): void => {
      // Long header blocks arrive in parts before onHeadersComplete.
      for (let i = 0; i < headers.length; i++) this.partialHeaders.push(headers[i]);
    };
    this.parser[HTTPParser.kOnHeadersComplete] = (_major: number, _minor: number, headers: string[] | undefined,
      _method: unknown, _url: unknown, status: number, statusText: string, upgrade: boolean,
      shouldKeepAlive: boolean): number => this.onHeadersComplete(headers, status, statusText, upgrade, shouldKeepAlive);
    this.parser[HTTPParser.kOnBody] = (chunk: Buffer): void => {
      const h = this.handler;
      if (h === null || this.complete) {
        this.tainted = true;
        return;
      }
      if (!h.onData(chunk) && !this.paused) this.pause();
    };
    this.parser[HTTPParser.kOnMessageComplete] = (): void => {
      if (this.handler === null || !this.headersDone) return; // a 1xx, or bytes nobody asked for
      this.complete = true;
    };
    this.parser[HTTPParser.kOnExecute] = (ret: number | Error): void => {
      refreshSocketTimer(this.socket);
      this.afterExecute(ret);
    };
    const s = this.socket;
    s.on('end', () => this.onSocketEnd());
    s.on('timeout', () => this.onSocketTimeout());
    s.on('drain', this.onSocketDrain);
    s.on('error', () => undefined); // 'close' follows and does the work
    s.on('close', () => this.onSocketClose());
  }

  /** Once connected: reads go straight into the parser when the stream allows it. */
  readStream(): void {
    const handle = consumableHandle(this.socket);
    if (handle !== null) {
      handle._consumed = true;
      this.handle = handle;
      this.parser.consume(handle);
    } else {
      this.socket.on('data', (data: Buffer) => this.afterExecute(this.parser.execute(data)));
    }
  }

  private pause(): void {
    this.paused = true;
    if (this.handle !== null) this.handle.readStop();
    else this.socket.pause();
  }

  /** Starts `request` on this (connected, idle) connection. */
  start(request: UpstreamRequest, handler: UpstreamHandler): void {
    this.handler = handler;
    this.headersDone = false;
    this.complete = false;
    this.keepAlive = false;
    this.paused = false;
    this.skipBody = request.method === 'HEAD';
    this.partialHeaders.length = 0;
    handler.onConnect(() => this.abort(handler));
    if (this.handler !== handler) return; // aborted from onConnect

    const headers = request.headers;
    let head = `${request.method} ${request.path} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    if (!hasField(headers, 'host')) head += `host: ${this.pool.hostHeader}\r\n`;
    const body = request.body;
    this.chunked = body !== null && !hasField(headers, 'content-length');
    if (this.chunked) head += 'transfer-encoding: chunked\r\n';
    if (request.timeoutMs !== this.timeoutMs) {
      this.timeoutMs = request.timeoutMs;
      this.socket.setTimeout(request.timeoutMs);
    }
    this.socket.write(`${head}\r\n`, 'latin1');
    this.body = body;
    this.bodyDone = body === null;
    if (body !== null) body.attach(this);
  }

  private onHeadersComplete(headers: string[] | undefined, status: number, statusText: string,
    upgrade: boolean, shouldKeepAlive: boolean): number {
    const h = this.handler;
    if (h === null || this.headersDone) {
      this.tainted = true;
      return 1;
    }
    if (upgrade) {
      // Upgrades go through runtime/proxy/upgrade.ts; a 101 here was never asked for.
      this.tainted = true;
      return 1;
    }
    if (status < 200) {
      this.partialHeaders.length = 0;
      return 1; // 100 Continue and other interim answers: not forwarded, the final one follows
    }
    const list = headers ?? this.partialHeaders.splice(0);
    this.headersDone = true;
    this.keepAlive = shouldKeepAlive;
    if (!h.onHeaders(status, list, this.resume, statusText) && !this.paused && this.handler === h) this.pause();
    return this.skipBody ? 1 : 0;
  }

  private afterExecute(ret: number | Error): void {
    if (this.handler === null) {
      // Bytes while no request is waiting (a second answer to a request already answered,
      // e.g. a target that answers a chunked POST twice): nothing may read them as the
      // response to a later request, so the connection goes.
      this.socket.destroy();
      return;
    }
    // An Error on a parse failure (tested by type: it may come from another realm under jest).
    const broken = typeof ret !== 'number';
    if (this.complete) {
      // Bytes after a complete response (garbage, or a second response nobody asked for):
      // the response stands, the connection is not used again.
      if (broken || this.tainted) this.keepAlive = false;
      this.settle();
    } else if (broken || this.tainted) {
      const why = broken ? (ret as Error).message : 'an unrequested response';
      this.fail(upstreamError(UpstreamError.BAD_RESPONSE, `invalid response from the target: ${why}`));
    }
  }

  private onSocketEnd(): void {
    if (this.handler !== null && this.headersDone && !this.complete) {
      // A close-delimited body ends here; finish() also reports a body cut short.
      const ret = this.parser.finish();
      if (ret !== undefined && typeof ret !== 'number') {
        this.fail(upstreamError(UpstreamError.CLOSED_EARLY, 'the target closed the connection mid-response'));
      } else if (this.complete) {
        this.keepAlive = false;
        this.settle();
      }
    }
    this.socket.destroy();
  }

  private onSocketTimeout(): void {
    if (!this.connected) return; // the pool's connect timeout deals with it
    if (this.handler === null) {
      this.socket.destroy(); // an idle connection the sweep has not reached yet
      return;
    }
    this.fail(this.headersDone
      ? upstreamError(UpstreamError.BODY_TIMEOUT, 'the target stopped sending the response body')
      : upstreamError(UpstreamError.HEADERS_TIMEOUT, 'the target did not answer in time'));
  }

  private onSocketClose(): void {
    this.fail(this.pool.destroyed
      ? upstreamError(UpstreamError.POOL_DESTROYED, 'the upstream pool was destroyed')
      : upstreamError(UpstreamError.CLOSED_EARLY, 'the target closed the connection'));
    if (this.handle !== null) {
      this.parser.unconsume();
      this.handle = null;
    }
    this.parser.close();
    this.pool.forget(this);
  }

  /**
   * The response is complete: hand the connection back (or close it) first, then tell the
   * handler — its onComplete may start the next request on a free connection.
   */
  private settle(): void {
    const h = this.handler as UpstreamHandler;
    if (!this.bodyDone) {
      // The target answered before reading the whole request body: this connection is
      // mid-message and cannot carry another request.
      this.keepAlive = false;
      this.detachBody();
    }
    this.handler = null;
    if (this.keepAlive) {
      // Paused by backpressure at the very end: the response is in, reading may go on.
      this.resume();
      this.pool.release(this);
    } else {
      this.socket.destroy();
    }
    h.onComplete();
  }

  private abort(handler: UpstreamHandler): void {
    if (this.handler !== handler) return; // that request is over already
    this.fail(upstreamError(UpstreamError.ABORTED, 'aborted by the proxy'));
  }

  /** Ends the current request with `err` (once) and closes the connection. */
  fail(err: Error): void {
    const h = this.handler;
    if (h === null) return;
    this.handler = null;
    this.detachBody();
    this.socket.destroy();
    h.onError(err);
  }

  private detachBody(): void {
    const body = this.body;
    if (body === null) return;
    this.body = null;
    body.detach();
  }
}

/** Keep-alive connections to one target address and port. */
export class UpstreamPool {
  readonly hostHeader: string;
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private sweep: NodeJS.Timeout | null = null;
  private closed = false;
  destroyed = false;
  private onEmpty: (() => void) | null = null;
  /** The promise close() handed out: destroy() after close() must settle that one too. */
  private closing: Promise<void> | null = null;

  constructor(
    private readonly address: string,
    private readonly port: number,
    private readonly connectTimeoutMs: number,
    readonly maxHeaderBytes: number,
  ) {
    this.hostHeader = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    if (this.closed) {
      process.nextTick(() => handler.onError(upstreamError(UpstreamError.POOL_CLOSED, 'the upstream pool is closed')));
      return;
    }
    let reused = this.idle.pop();
    // One the target or the sweep closed a moment ago is still listed until its 'close' event.
    while (reused !== undefined && reused.socket.destroyed) reused = this.idle.pop();
    if (reused !== undefined) reused.start(request, handler);
    else this.open(request, handler);
  }

  /** Opens a connection for `request`; connect failures go to the handler without onConnect. */
  private open(request: UpstreamRequest, handler: UpstreamHandler): void {
    const conn = new Connection(this, this.address, this.port);
    this.all.add(conn);
    const s = conn.socket;
    s.setTimeout(this.connectTimeoutMs);
    let settled = false;
    const failed = (err: Error): void => {
      if (settled) return;
      settled = true;
      s.removeListener('connect', connected);
      s.removeListener('timeout', timedOut);
      s.removeListener('close', closed);
      s.destroy();
      handler.onError(err);
    };
    // Destroyed by the pool while connecting: no 'error' comes, only 'close'.
    const closed = (): void => failed(this.destroyed
      ? upstreamError(UpstreamError.POOL_DESTROYED, 'the upstream pool was destroyed')
      : upstreamError(UpstreamError.CLOSED_EARLY, 'the connection closed while connecting'));
    const timedOut = (): void => failed(upstreamError(UpstreamError.CONNECT_TIMEOUT, 'connecting to the target timed out'));
    const connected = (): void => {
      settled = true;
      s.removeListener('timeout', timedOut);
      s.removeListener('error', failed);
      s.removeListener('close', closed);
      s.setTimeout(0);
      conn.connected = true;
      conn.readStream();
      conn.start(request, handler);
    };
    s.once('connect', connected);
    s.once('timeout', timedOut);
    s.once('error', failed);
    s.once('close', closed);
  }

  /** A connection finished its response and may carry the next request. */
  release(conn: Connection): void {
    if (this.closed) {
      conn.socket.destroy();
      return;
    }
    conn.idleSince = performance.now();
    this.idle.push(conn);
    if (this.sweep === null) {
      this.sweep = setInterval(() => this.closeStale(), SWEEP_INTERVAL_MS);
      this.sweep.unref();
    }
  }

  /** A connection's socket closed: it is gone from every list. */
  forget(conn: Connection): void {
    this.all.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    if (this.all.size === 0 && this.onEmpty !== null) this.onEmpty();
  }

  private closeStale(): void {
    const limit = performance.now() - KEEP_ALIVE_IDLE_MS;
    // Oldest first: `idle` is in release order.
    while (this.idle.length > 0 && this.idle[0].idleSince < limit) (this.idle.shift() as Connection).socket.destroy();
    if (this.idle.length === 0 && this.sweep !== null) {
      clearInterval(this.sweep);
      this.sweep = null;
    }
  }

  /** Takes no new requests, closes idle connections; resolves when the busy ones are done. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closed = true;
    if (this.sweep !== null) clearInterval(this.sweep);
    this.sweep = null;
    for (const c of this.idle.splice(0)) c.socket.destroy();
    this.closing = this.all.size === 0 ? Promise.resolve() : new Promise((resolve) => {
      this.onEmpty = resolve;
    });
    return this.closing;
  }

  /** Closes every connection now; requests in flight fail with POOL_DESTROYED. */
  destroy(): Promise<void> {
    this.destroyed = true;
    const done = this.close();
    for (const c of [...this.all]) c.socket.destroy();
    return done;
  }
}
