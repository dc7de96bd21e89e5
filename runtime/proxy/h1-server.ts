/**
 * The client side of HTTP/HTTPS listeners: HTTP/1.1 served directly on net/tls sockets.
 *
 * Why not node:http: after the upstream client (./h1-upstream.ts), node:http's server side was
 * the largest cost left per proxied request (IncomingMessage/ServerResponse objects, stream
 * machinery, header objects, nextTick uncork, a timer re-armed per request). Requests are
 * parsed by the same C llhttp binding node:http uses (`_http_common.HTTPParser`), strict (no
 * lenient flags), so what is accepted and refused on the wire is what node:http accepts and
 * refuses: see test/runtime/malformed.test.ts for the smuggling corpus.
 *
 * On top of the parser, this module checks each request head before anything is done with
 * it: exactly one Host on HTTP/1.1 (at most one on 1.0) with a valid host[:port] value, an
 * origin-form target or an absolute http(s) URI turned into one (its authority becomes the
 * Host), its #fragment dropped, no CONNECT, no transfer coding but a lone
 * `chunked` (501), Expect (100-continue or 417). A head is handed to the listener only after
 * the parser went through the whole read it arrived in, so a framing error llhttp reports
 * after the header block stops it before any target sees it.
 *
 * Responses leave one at a time in request order (pipelined requests wait, reading pauses);
 * a protocol error after complete requests is answered after their responses, then the
 * connection closes. Response framing is ./h1-response.ts. A request body the target did not
 * read is discarded so the connection can carry the next request (nginx does the same); the
 * timeouts: header block (slowloris), whole request, keep-alive idle and inactivity while a
 * request is open, checked by one coarse sweep per listener instead of a timer per
 * connection or request.
 */
import type * as net from 'node:net';
import { STATUS_CODES } from 'node:http';
import { normaliseIp } from './headers';
import { consumableHandle, HTTPParser, HttpParser as LlhttpParser, methods, StreamHandle } from './llhttp';
import { ClientRequest } from './h1-response';
import { BodyFlow, BodySink } from './request-body';
import { rawResponse } from './tunnel';
import { splitAbsoluteForm, validHost } from './request-target';
/** A parser with the connection it currently serves (parsers are pooled). */
type HttpParser = LlhttpParser & { conn: ClientConnection | null };

/** `Transfer-Encoding` values that name exactly one coding, chunked (llhttp checked the syntax). */
function isChunkedOnly(codings: string): boolean {
  return codings.length === 7 ? codings.toLowerCase() === 'chunked' : codings.trim().toLowerCase() === 'chunked';
}

/** Timeouts and limits of one listener; replaced as a whole on reload. */
export interface HttpSettings {
  /** Keep-alive idle time between requests. */
  readonly idleTimeoutMs: number;
  /** From the first byte of a request head to its end (slowloris). */
  readonly headersTimeoutMs: number;
  /** From the first byte of a request to its last (body included). */
  readonly requestTimeoutMs: number;
  /** Longest silence on the connection while a request is open. */
  readonly activeTimeoutMs: number;
  readonly maxHeaderBytes: number;
}

export type RequestListener = (req: ClientRequest) => void;
export type UpgradeListener = (req: ClientRequest, socket: net.Socket, head: Buffer) => void;

// ---- encoded answers -------------------------------------------------------------------

function plain(status: number, text: string): Buffer {
  return rawResponse(status, STATUS_CODES[status] ?? '', text);
}
const PROTOCOL_ERRORS = {
  badRequest: plain(400, '400 Bad Request: malformed HTTP/1.1 request'),
  noHost: plain(400, '400 Bad Request: an HTTP/1.1 request needs exactly one Host header'),
  headerTooLarge: plain(431, '431 Request Header Fields Too Large: the request header block exceeds 16 KiB'),
  timeout: plain(408, '408 Request Timeout: the request did not arrive in time'),
  expectation: plain(417, '417 Expectation Failed: only "Expect: 100-continue" is supported'),
  connect: plain(405, '405 Method Not Allowed: CONNECT is not supported by this listener'),
  version: plain(505, '505 HTTP Version Not Supported: this listener speaks HTTP/1.0 and HTTP/1.1'),
  badHost: plain(400, '400 Bad Request: the Host header is not a valid host[:port]'),
  badTarget: plain(400, '400 Bad Request: the request target must be an absolute path or an http(s) URI'),
  coding: plain(501, '501 Not Implemented: the only transfer coding accepted is "chunked"'),
} as const;
const DISCARD: BodySink = { onBodyData() { /* dropped */ }, onBodyEnd() { /* */ }, onBodyAborted() { /* */ } };

// ---- parser pool -----------------------------------------------------------------------

/** Lingering close (see ClientConnection.closeSoon): nginx's lingering_timeout / lingering_time (5 s / 30 s there), shorter. */
const LINGER_IDLE_MS = 1000;
const LINGER_MAX_MS = 5000;

const spareParsers: HttpParser[] = [];
const MAX_SPARE_PARSERS = 1000;

function onMessageBegin(this: HttpParser): void {
  this.conn?.messageBegin();
}
function onHeaders(this: HttpParser, headers: string[], url: string): void {
  this.conn?.headersPart(headers, url);
}
function onHeadersComplete(this: HttpParser, major: number, minor: number, headers: string[] | undefined,
  method: number, url: string | undefined, _status: unknown, _statusText: unknown, upgrade: boolean,
  shouldKeepAlive: boolean): number {
  const conn = this.conn;
  return conn === null ? 1 : conn.headersComplete(major, minor, headers, method, url, upgrade, shouldKeepAlive);
}
function onBody(this: HttpParser, chunk: Buffer): void {
  this.conn?.bodyChunk(chunk);
}
function onMessageComplete(this: HttpParser): void {
  this.conn?.messageComplete();
}
function onExecute(this: HttpParser, ret: number | Error): void {
  this.conn?.executed(ret);
}

function allocParser(conn: ClientConnection, maxHeaderBytes: number): HttpParser {
  let p = spareParsers.pop();
  if (p === undefined) {
    p = new HTTPParser() as HttpParser;
    p[HTTPParser.kOnMessageBegin] = onMessageBegin;
    p[HTTPParser.kOnHeaders] = onHeaders;
    p[HTTPParser.kOnHeadersComplete] = onHeadersComplete;
    p[HTTPParser.kOnBody] = onBody;
    p[HTTPParser.kOnMessageComplete] = onMessageComplete;
    p[HTTPParser.kOnExecute] = onExecute;
  }
  p.initialize(HTTPParser.REQUEST, {}, maxHeaderBytes, HTTPParser.kLenientNone);
  p.conn = conn;
  return p;
}

function freeParser(p: HttpParser): void {
  p.conn = null;
  if (spareParsers.length < MAX_SPARE_PARSERS) spareParsers.push(p);
  else p.close();
}

// ---- one client connection ---------------------------------------------------------------

export class ClientConnection implements BodyFlow {
  readonly clientIp: string;
  readonly clientPort: number;
  private local: string | null = null;
  /** Beyond the listener's activeConnections limit when accepted: its requests get a 503. */
  overLimit = false;
  /** Nothing more may be written (protocol error answered, or destroyed). */
  broken = false;
  private parser: HttpParser | null;
  /** The request being answered (handed to the listener's request handler). */
  private current: ClientRequest | null = null;
  /** The request whose head/body the parser is in, from headers-complete to message-complete. */
  private parsing: ClientRequest | null = null;
  /**
   * Requests whose head passed every check, in arrival order, not handed out yet: the head of
   * a read waits here until the parser has gone through the whole read (a framing error that
   * llhttp reports after the header block must stop the request before any target sees it);
   * pipelined ones wait for `current` to finish (responses leave in request order).
   */
  private queue: ClientRequest[] | null = null;
  /**
   * A protocol error answer (400/431/501...) found after requests that are still to be
   * answered: it is sent after their responses, then the connection closes.
   */
  private errorAnswer: Buffer | null = null;
  private partialHeaders: string[] | null = null;
  private partialUrl = '';
  /** Coarse time the current request head began (0: not inside a head). */
  private headStart = 0;
  private requestStart = 0;
  private lastActive: number;
  /** No keep-alive after the current response. */
  private closing = false;
  /** The client sent FIN: answer what was received, then close. */
  private ended = false;
  private bodyPaused = false;
  private queuePaused = false;
  private detached = false;
  /** The native stream the parser consumes, or null when reading through 'data' events. */
  private handle: StreamHandle | null = null;
  /** An upgrade request whose head was just parsed: onData hands the socket over. */
  private pendingUpgrade: ClientRequest | null = null;

  /**
   * `pending`: bytes already read from the socket that are its next request (a socket given
   * back after a refused upgrade, paused, possibly with more bytes in its stream buffer);
   * such a socket is read through 'data' events, so nothing already read is skipped.
   */
  constructor(readonly server: HttpConnections, readonly socket: net.Socket, pending: Buffer | null = null) {
    this.parser = allocParser(this, server.settings.maxHeaderBytes);
    this.clientIp = normaliseIp(socket.remoteAddress);
    this.clientPort = socket.remotePort ?? 0;
    this.lastActive = server.clock;
    // Like node:http: the native stream feeds llhttp directly (no Buffer, no 'data' event per
    // read); the parser reports each read through onExecute. Sockets without a stream handle
    // of their own fall back to 'data' events.
    const handle = pending === null ? consumableHandle(socket) : null;
    if (handle !== null) {
      handle._consumed = true;
      this.handle = handle;
      this.parser.consume(handle);
    } else {
      socket.on('data', (d: Buffer) => this.onData(d));
    }
    socket.on('end', () => this.onEnd());
    socket.on('drain', () => this.onDrain());
    socket.on('close', () => this.onClose());
    if (pending !== null) {
      if (pending.length > 0) socket.unshift(pending);
      socket.resume();
    }
  }

  /** The LB address the client reached (a getsockname syscall: only asked when needed). */
  get localIp(): string {
    if (this.local === null) this.local = normaliseIp(this.socket.localAddress);
    return this.local;
  }

  touch(): void {
    this.lastActive = this.server.clock;
  }

  /**
   * Whether the response now starting may say keep-alive: not when nothing will follow it on
   * a connection that is closing (client FIN, `Connection: close` seen, protocol error).
   */
  mayKeepAlive(): boolean {
    if (this.server.draining) return false;
    if (!this.closing && !this.ended) return true;
    return this.errorAnswer !== null || (this.queue !== null && this.queue.length > 0);
  }

  // ---- parser callbacks (inside execute) ----

  messageBegin(): void {
    this.headStart = this.server.clock;
    this.requestStart = this.headStart;
  }

  headersPart(headers: string[], url: string): void {
    // Long or split header blocks arrive in parts before headersComplete.
    if (this.partialHeaders === null) this.partialHeaders = [];
    for (let i = 0; i < headers.length; i++) this.partialHeaders.push(headers[i]);
    if (url) this.partialUrl += url;
  }

  headersComplete(major: number, minor: number, rawHeaders: string[] | undefined, methodIndex: number,
    rawUrl: string | undefined, upgrade: boolean, shouldKeepAlive: boolean): number {
    this.headStart = 0;
    let headers = rawHeaders;
    if (headers === undefined) {
      headers = this.partialHeaders ?? [];
      this.partialHeaders = null;
    } else if (this.partialHeaders !== null) {
      for (let i = 0; i < headers.length; i++) this.partialHeaders.push(headers[i]);
      headers = this.partialHeaders;
      this.partialHeaders = null;
    }
    const url = rawUrl === undefined || rawUrl === '' ? this.partialUrl : this.partialUrl + rawUrl;
    this.partialUrl = '';
    if (this.closing || this.broken) return 1;
    const method = methods[methodIndex];
    if (major !== 1) {
      // HTTP/0.9 (a request line without version) is malformed today; 2.0 and up are not ours.
      return this.protocolError(major === 0 ? PROTOCOL_ERRORS.badRequest : PROTOCOL_ERRORS.version);
    }
    // One pass over the fields the protocol layer needs; other names are skipped by length.
    let hosts = 0;
    let host = '';
    let hostAt = -1;
    let codings: string | null = null;
    let hasBody = false;
    let expect: string | null = null;
    let cookie: string | null = null;
    let upgradeValue: string | null = null;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      switch (name.length) {
        case 4:
          if (name.toLowerCase() === 'host') {
            hosts++;
            host = headers[i + 1];
            hostAt = i + 1;
          }
          break;
        case 6: {
          const lower = name.toLowerCase();
          if (lower === 'cookie') cookie = cookie === null ? headers[i + 1] : `${cookie}; ${headers[i + 1]}`;
          else if (lower === 'expect') expect = headers[i + 1];
          break;
        }
        case 7:
          if (name.toLowerCase() === 'upgrade') upgradeValue = headers[i + 1];
          break;
        case 14:
          if (name.toLowerCase() === 'content-length' && headers[i + 1] !== '0') hasBody = true;
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') {
            hasBody = true;
            codings = codings === null ? headers[i + 1] : `${codings},${headers[i + 1]}`;
          }
          break;
        default:
      }
    }
    if (hosts > 1 || (minor === 1 && hosts !== 1)) return this.protocolError(PROTOCOL_ERRORS.noHost);
    if (hosts === 1 && !validHost(host)) return this.protocolError(PROTOCOL_ERRORS.badHost);
    if (method === 'CONNECT') return this.protocolError(PROTOCOL_ERRORS.connect);
    let target = url;
    if (url.charCodeAt(0) !== 47 /* '/' */) {
      // RFC 9112 §3.2.2: a server MUST accept absolute-form, and the URI's authority then wins
      // over the Host field. The target gets origin-form and one Host equal to that authority,
      // so routing here and the target's own idea of the host can never disagree.
      const absolute = splitAbsoluteForm(url);
      if (absolute === null) return this.protocolError(PROTOCOL_ERRORS.badTarget);
      target = absolute.path;
      if (hostAt >= 0) headers[hostAt] = absolute.authority;
      else headers.push('Host', absolute.authority); // HTTP/1.0 may omit Host
    }
    // Codings other than chunked would be lost when the body is re-framed for the target.
    if (codings !== null) {
      // A Transfer-Encoding naming no coding at all is broken framing, not an unknown coding:
      // 400, as Node 22's llhttp answers it before we see it (Node 20's passes it on).
      if (codings.trim() === '') return this.protocolError(PROTOCOL_ERRORS.badRequest);
      if (!isChunkedOnly(codings)) return this.protocolError(PROTOCOL_ERRORS.coding);
      // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
      if (minor === 0) return this.protocolError(PROTOCOL_ERRORS.badRequest);
    }
    let expectContinue = false;
    if (expect !== null && minor === 1) {
      if (expect.toLowerCase() !== '100-continue') return this.protocolError(PROTOCOL_ERRORS.expectation);
      expectContinue = true;
    }
    // A fragment is the client's own business (RFC 9110 §4.2.5): never sent on.
    const hash = target.indexOf('#');
    const req = new ClientRequest(this, method, hash < 0 ? target : target.slice(0, hash), headers, minor,
      shouldKeepAlive, hasBody && !upgrade, expectContinue, cookie);
    if (upgrade) {
      req.upgrade = upgradeValue ?? '';
      this.pendingUpgrade = req;
      return 2; // llhttp: an upgrade, no body; execute() stops after this head
    }
    this.parsing = req;
    // Handed out once the parser has checked the rest of this read (see `queue`).
    let queue = this.queue;
    if (queue === null) queue = this.queue = [];
    queue.push(req);
    // Pipelined behind another: stop reading more until the ones before are answered.
    if (this.current !== null || queue.length > 1) this.pauseQueue();
    return 0;
  }

  bodyChunk(chunk: Buffer): void {
    const req = this.parsing;
    if (req !== null && req.body !== null) req.body.push(chunk);
  }

  messageComplete(): void {
    // A chunked message's trailer fields arrive through onHeaders just before this, with the
    // message's URL again (node:http drops them the same way, in parserOnMessageComplete).
    // Kept, they would become header fields and URL prefix of the next pipelined request: a
    // trailer `X-Forwarded-For: 6.6.6.6` on request 1 would reach the target as a header of
    // request 2. Trailers are not forwarded (the body was re-framed already).
    this.partialHeaders = null;
    this.partialUrl = '';
    const req = this.parsing;
    if (req === null) return;
    this.parsing = null;
    this.requestStart = 0;
    req.received = true;
    if (req.body !== null) req.body.end();
  }

  // ---- socket events ----

  private onData(data: Buffer): void {
    const parser = this.parser;
    if (parser === null) return;
    this.afterExecute(parser.execute(data), data);
  }

  /** A read went through the consuming parser. */
  executed(ret: number | Error): void {
    const parser = this.parser;
    if (parser === null) return;
    this.afterExecute(ret, this.pendingUpgrade === null ? null : parser.getCurrentBuffer());
  }

  private afterExecute(ret: number | Error, data: Buffer | null): void {
    this.lastActive = this.server.clock;
    // An Error on a parse failure (tested by type: it may come from another realm under jest).
    if (typeof ret !== 'number') {
      this.parseError(ret as Error & { code?: string });
      return;
    }
    const up = this.pendingUpgrade;
    if (up !== null) {
      this.pendingUpgrade = null;
      if (this.current !== null || this.broken || (this.queue !== null && this.queue.length > 0)) {
        // An upgrade pipelined behind a request still being answered: not supported; what
        // came before it is answered, then the connection closes.
        this.closing = true;
        this.pauseQueue();
        this.dispatchNext();
        return;
      }
      this.handOver(up, data === null ? Buffer.alloc(0) : data.subarray(ret));
      return;
    }
    this.dispatchNext();
  }

  /** Hands the oldest checked request to the listener when nothing is being answered. */
  private dispatchNext(): void {
    if (this.current !== null || this.broken) return;
    const queue = this.queue;
    if (queue === null || queue.length === 0) return;
    const next = queue.shift() as ClientRequest;
    this.current = next;
    this.server.onRequest(next);
  }

  /** Forgets the request being parsed when it was not handed out yet (it will never complete). */
  private dropParsing(): void {
    const p = this.parsing;
    if (p === null) return;
    this.parsing = null;
    const queue = this.queue;
    if (queue !== null && queue.length > 0 && queue[queue.length - 1] === p) queue.pop();
    else if (p.body !== null) p.body.abort();
  }

  private onEnd(): void {
    this.ended = true;
    const parser = this.parser;
    if (parser !== null) parser.finish();
    this.dropParsing();
    this.dispatchNext();
    if (this.current === null) this.socket.destroy();
  }

  private onDrain(): void {
    this.lastActive = this.server.clock;
    const cur = this.current;
    if (cur !== null && cur.events !== null) cur.events.onClientDrain();
  }

  private onClose(): void {
    this.broken = true;
    if (this.detached) return;
    this.server.forget(this);
    const parsing = this.parsing;
    const cur = this.current;
    this.current = null;
    this.queue = null;
    // The client went away: told first, so the request ends as a client close (not as a
    // broken body, which would be answered 400 to nobody and logged so).
    if (cur !== null && !cur.finished && cur.events !== null) cur.events.onClientClose();
    if (parsing !== null && parsing.body !== null) parsing.body.abort();
    if (this.parser !== null) {
      this.releaseHandle();
      freeParser(this.parser);
      this.parser = null;
    }
  }

  // ---- flow control ----

  pauseBody(): void {
    if (!this.bodyPaused) {
      this.bodyPaused = true;
      if (!this.queuePaused) this.stopReading();
    }
  }

  resumeBody(): void {
    if (this.bodyPaused) {
      this.bodyPaused = false;
      if (!this.queuePaused && !this.broken) this.startReading();
    }
  }

  private pauseQueue(): void {
    if (!this.queuePaused) {
      this.queuePaused = true;
      if (!this.bodyPaused) this.stopReading();
    }
  }

  private resumeQueue(): void {
    if (this.queuePaused) {
      this.queuePaused = false;
      if (!this.bodyPaused && !this.broken) this.startReading();
    }
  }

  // A consumed stream is paused at its handle (socket.pause() only stops 'data' events,
  // which a consumed stream does not emit); otherwise through the stream.
  private stopReading(): void {
    if (this.handle !== null) this.handle.readStop();
    else this.socket.pause();
  }

  private startReading(): void {
    if (this.handle !== null) this.handle.readStart();
    else this.socket.resume();
  }

  /** Stops the parser consuming the socket's stream (before the parser is reused or dropped). */
  private releaseHandle(): void {
    const handle = this.handle;
    if (handle === null) return;
    this.handle = null;
    (this.parser as HttpParser).unconsume();
    handle._consumed = false;
  }

  // ---- request lifecycle ----

  /** The response to `req` is complete. */
  responseEnded(req: ClientRequest, keep: boolean): void {
    if (this.current !== req) return;
    this.current = null;
    if (this.broken) return;
    const body = req.body;
    if (!keep || (body !== null && body.aborted)) {
      if (!req.clientKeepAlive && this.quiet() && req.received) {
        // The client asked to close and sent nothing more: a plain close() sends what is
        // queued and then FIN (no shutdown round, no lingering); anything else closes
        // gracefully so unread bytes cannot turn the close into a reset.
        this.broken = true;
        this.socket.destroy();
        return;
      }
      this.closeSoon();
      return;
    }
    if (body !== null && !body.complete) {
      // The target answered before the whole body arrived: read the rest and drop it, so the
      // connection stays in step with the client's next request.
      body.attach(DISCARD);
      this.resumeBody();
    }
    const next = this.queue === null ? undefined : this.queue.shift();
    if (next !== undefined) {
      this.current = next;
      // Reading was paused because requests waited behind the one just answered. With none
      // left waiting, read again: `next` may be the request still being parsed, its body
      // only partly in (a pipelined POST cut across reads), and it would wait forever for
      // the rest. (While closing, everything queued is complete and nothing more is read.)
      if (this.queue !== null && this.queue.length === 0 && !this.closing && this.errorAnswer === null) this.resumeQueue();
      this.server.onRequest(next);
      return;
    }
    const error = this.errorAnswer;
    if (error !== null) {
      // Everything before the protocol error is answered: now the error, then close.
      this.socket.write(error);
      this.closeSoon();
      return;
    }
    if (this.ended && this.parsing === null) {
      this.closeSoon();
      return;
    }
    this.resumeQueue();
  }

  /**
   * Answers a protocol error (when no response is under way) and closes: with a lingering
   * close, except for a timeout (a client too slow to send its request is not owed one more
   * wait; nginx closes those at once too).
   */
  private refuse(answer: Buffer, linger = true): void {
    this.closing = true;
    this.queue = null;
    const parsing = this.parsing;
    if (parsing !== null && parsing.body !== null) parsing.body.abort();
    const cur = this.current;
    if (!this.broken && (cur === null || !cur.headersSent)) this.socket.write(answer);
    this.closeSoon(linger);
  }

  private parseError(err: Error & { code?: string }): void {
    if (this.broken) return;
    if (err.code === 'HPE_CLOSED_CONNECTION') {
      // Bytes after a request that said `Connection: close`: the requests up to it are
      // answered, the rest is not read (RFC 9112 §9.6).
      this.closing = true;
      this.pauseQueue();
      this.dispatchNext();
      if (this.current === null) this.closeSoon();
      return;
    }
    this.protocolError(err.code === 'HPE_HEADER_OVERFLOW' ? PROTOCOL_ERRORS.headerTooLarge : PROTOCOL_ERRORS.badRequest);
  }

  /**
   * The request being parsed is refused: it never goes anywhere, nothing after it is read,
   * the complete requests before it are answered first (in order), then `answer`, then the
   * connection closes. Returns 1 for llhttp (a head refused in headersComplete has no body
   * of interest).
   */
  private protocolError(answer: Buffer): 1 {
    if (this.broken || this.errorAnswer !== null) return 1;
    this.closing = true;
    this.pauseQueue();
    this.dropParsing();
    if (this.current === null && (this.queue === null || this.queue.length === 0)) {
      this.refuse(answer);
      return 1;
    }
    this.errorAnswer = answer;
    this.dispatchNext();
    return 1;
  }

  /**
   * Closes after what was written is flushed. Closing a socket whose client bytes are still
   * unread in the kernel's buffer sends RST instead of FIN, and a client that gets RST before
   * it read our last response loses that response: exactly the case of a client that
   * pipelined more than we will read (after a protocol error, or behind a response that
   * closes). So, like nginx's lingering close: FIN once the writes are out, then read and drop
   * whatever the client still sends until it closes its side, goes quiet for LINGER_IDLE_MS,
   * or LINGER_MAX_MS passed. `linger` false: close as soon as the writes are out.
   */
  private closeSoon(linger = true): void {
    this.broken = true;
    const socket = this.socket;
    if (!linger || this.ended || socket.destroyed) {
      socket.destroySoon();
      return;
    }
    socket.end();
    // Not inside the parser's own callbacks (this may run from one): the parser lets go of
    // the socket on the next turn.
    setImmediate(() => this.linger());
  }

  private linger(): void {
    const socket = this.socket;
    if (socket.destroyed || this.detached) return;
    this.dropParsing();
    socket.removeAllListeners('data');
    const idle = setTimeout(() => socket.destroy(), LINGER_IDLE_MS);
    const max = setTimeout(() => socket.destroy(), LINGER_MAX_MS);
    socket.on('data', () => idle.refresh());
    socket.once('end', () => socket.destroy());
    socket.once('close', () => {
      clearTimeout(idle);
      clearTimeout(max);
    });
    this.releaseSocket();
    socket.resume();
  }

  /** Gives the socket to the upgrade handler; this connection object is done with it. */
  private handOver(req: ClientRequest, head: Buffer): void {
    this.detached = true;
    this.server.forget(this);
    const socket = this.socket;
    socket.removeAllListeners('data');
    socket.removeAllListeners('end');
    socket.removeAllListeners('drain');
    this.releaseSocket();
    this.server.onUpgrade(req, socket, head);
  }

  /**
   * The parser lets go of the socket for good (upgrade hand-over, lingering close): reading
   * stopped for a queue or body starts again, and reads now arrive as the stream's 'data'.
   */
  private releaseSocket(): void {
    if (this.queuePaused || this.bodyPaused) {
      this.queuePaused = false;
      this.bodyPaused = false;
      this.startReading();
    }
    if (this.parser !== null) {
      this.releaseHandle();
      // Not reused: it may still be inside its own read callback when this runs.
      this.parser.conn = null;
      this.parser = null;
    }
  }

  /** Nothing is parsed-but-unanswered, nothing half-received and nothing left to flush (plain TCP). */
  private quiet(): boolean {
    return this.parsing === null && this.headStart === 0 && (this.queue === null || this.queue.length === 0)
      && this.socket.writableLength === 0 && (this.socket as { encrypted?: boolean }).encrypted !== true;
  }

  /** Idle: no request open or half-received (closed at once by drain / closeIdle). */
  get idle(): boolean {
    return this.current === null && this.parsing === null && this.headStart === 0;
  }

  /** Called by the sweep; `slack` is the sweep's own granularity. */
  checkTimeouts(now: number, slack: number): void {
    if (this.broken) return;
    const s = this.server.settings;
    if (this.headStart !== 0 && now - this.headStart >= s.headersTimeoutMs + slack) {
      this.refuse(PROTOCOL_ERRORS.timeout, false);
      return;
    }
    if (this.current !== null || this.parsing !== null) {
      if (this.requestStart !== 0 && now - this.requestStart >= s.requestTimeoutMs + slack) {
        this.refuse(PROTOCOL_ERRORS.timeout, false);
      } else if (now - this.lastActive >= s.activeTimeoutMs + slack) {
        this.socket.destroy();
      }
      return;
    }
    if (now - this.lastActive >= s.idleTimeoutMs + slack) this.socket.destroy();
  }

  /** Graceful stop: idle connections close now, busy ones after their current response. */
  closeWhenIdle(): void {
    if (this.idle) this.socket.destroy();
    else this.closing = true;
  }
}

// ---- the connections of one listener ---------------------------------------------------

export class HttpConnections {
  private readonly open = new Set<ClientConnection>();
  /** Coarse clock (performance.now() at the last sweep tick): activity stamps cost nothing. */
  clock = performance.now();
  draining = false;
  private sweep: NodeJS.Timeout | null = null;
  private interval = 1000;

  constructor(
    public settings: HttpSettings,
    readonly onRequest: RequestListener,
    readonly onUpgrade: UpgradeListener,
  ) {
    this.interval = sweepInterval(settings);
  }

  /**
   * Serves HTTP on an accepted (and, for HTTPS, handshaken) socket, or on one given back
   * after a refused upgrade with the bytes read after its head (`pending`).
   */
  attach(socket: net.Socket, overLimit: boolean, pending: Buffer | null = null): ClientConnection {
    this.clock = performance.now();
    const conn = new ClientConnection(this, socket, pending);
    conn.overLimit = overLimit;
    this.open.add(conn);
    if (this.sweep === null) this.startSweep();
    return conn;
  }

  forget(conn: ClientConnection): void {
    this.open.delete(conn);
    if (this.open.size === 0 && this.sweep !== null) {
      clearInterval(this.sweep);
      this.sweep = null;
    }
  }

  update(settings: HttpSettings): void {
    this.settings = settings;
    const interval = sweepInterval(settings);
    if (interval !== this.interval) {
      this.interval = interval;
      if (this.sweep !== null) {
        clearInterval(this.sweep);
        this.startSweep();
      }
    }
  }

  /** Closes connections with no request open; the others close after their response. */
  closeIdle(): void {
    for (const c of [...this.open]) if (c.idle) c.socket.destroy();
  }

  /** Listener drain: from now on every response says `Connection: close`. */
  drain(): void {
    this.draining = true;
    for (const c of [...this.open]) c.closeWhenIdle();
  }

  private startSweep(): void {
    this.sweep = setInterval(() => this.tick(), this.interval);
    this.sweep.unref();
  }

  private tick(): void {
    const now = performance.now();
    this.clock = now;
    const slack = this.interval;
    for (const c of [...this.open]) c.checkTimeouts(now, slack);
  }
}

/** A quarter of the shortest timeout, between 25 ms and 1 s. */
function sweepInterval(s: HttpSettings): number {
  return Math.max(25, Math.min(1000, Math.floor(Math.min(s.idleTimeoutMs, s.headersTimeoutMs) / 4)));
}
