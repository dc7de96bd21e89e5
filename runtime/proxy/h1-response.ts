/**
 * HTTP/1.1 response framing towards the client (the other half of ./h1-server.ts): one
 * ClientRequest per parsed request head, carrying what the response needs — the status line
 * and fields, framing (Content-Length kept, chunked for HTTP/1.1 clients otherwise,
 * close-delimited for HTTP/1.0), HEAD/204/304 without body, Date when the target sent none,
 * Connection: keep-alive/close — and telling the connection when the response is over.
 */
import { STATUS_CODES } from 'node:http';
import type { ClientConnection } from './h1-server';
import { RequestBody } from './request-body';

/** What the exchange handling a request hears from the client connection. */
export interface ClientEvents {
  /** The connection closed before the response was complete. */
  onClientClose(): void;
  /** The client read what was queued for it: writing may go on. */
  onClientDrain(): void;
}

const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

/** The Date value, rebuilt at most once a second. */
let dateSecond = -1;
let dateValue = '';
function httpDate(): string {
  const s = Math.floor(Date.now() / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateValue = new Date(s * 1000).toUTCString();
  }
  return dateValue;
}

// ---- one request and its response ----------------------------------------------------

/** Small writes of head + body are joined into one buffer (one syscall, no writev). */
const JOIN_LIMIT = 16 * 1024;

export class ClientRequest {
  /** Body source when the request has one (Content-Length > 0 or chunked), else null. */
  readonly body: RequestBody | null;
  /** The whole request (head and body) has been received. */
  received = false;
  headersSent = false;
  finished = false;
  /** Set by the handler: close the connection after this response. */
  closeAfter = false;
  events: ClientEvents | null = null;
  /** Upgrade header value of an upgrade request, else null. */
  upgrade: string | null = null;
  private pendingHead: string | null = null;
  private chunked = false;
  private keep = false;

  constructor(
    readonly conn: ClientConnection,
    readonly method: string,
    readonly url: string,
    readonly rawHeaders: string[],
    /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
    readonly minor: number,
    readonly clientKeepAlive: boolean,
    readonly hasBody: boolean,
    readonly expectContinue: boolean,
    /** Cookie header values joined with '; ', or null. */
    readonly cookie: string | null,
  ) {
    this.body = hasBody ? new RequestBody(conn) : null;
  }

  /** Sends `100 Continue` (once, before the final response). */
  writeContinue(): void {
    if (this.headersSent || this.conn.broken) return;
    this.conn.socket.write(CONTINUE);
  }

  /**
   * Starts the response. `headers` is a flat [name, value, ...] list without hop-by-hop
   * fields; framing, Connection and (when missing) Date are added here. The head is held
   * until the first body bytes or the end, so a small response leaves in one write.
   */
  writeHead(status: number, reason: string, headers: readonly string[]): void {
    if (this.headersSent) throw new Error('response head already sent');
    this.headersSent = true;
    const conn = this.conn;
    let head = `HTTP/1.1 ${status} ${reason === '' ? (STATUS_CODES[status] ?? 'Unknown') : reason}\r\n`;
    let hasLength = false;
    let hasDate = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      if (name.length === 14) {
        if (name.toLowerCase() === 'content-length') hasLength = true;
      } else if (name.length === 4 && name.toLowerCase() === 'date') {
        hasDate = true;
      }
      head += `${name}: ${headers[i + 1]}\r\n`;
    }
    if (!hasDate) head += `date: ${httpDate()}\r\n`;
    let keep = this.clientKeepAlive && !this.closeAfter && conn.mayKeepAlive();
    const bodyless = this.method === 'HEAD' || status === 204 || status === 304 || status < 200;
    if (!bodyless && !hasLength) {
      if (this.minor === 1) {
        this.chunked = true;
        head += 'transfer-encoding: chunked\r\n';
      } else {
        keep = false; // HTTP/1.0: the body ends where the connection does
      }
    }
    this.keep = keep;
    this.pendingHead = `${head}connection: ${keep ? 'keep-alive' : 'close'}\r\n\r\n`;
  }

  /** A body chunk; false when the client is not keeping up (wait for onClientDrain). */
  write(chunk: Buffer): boolean {
    const conn = this.conn;
    if (conn.broken || this.finished) return true;
    conn.touch();
    const socket = conn.socket;
    const head = this.pendingHead;
    if (this.chunked) {
      const size = `${chunk.length.toString(16)}\r\n`;
      if (head !== null) {
        this.pendingHead = null;
        if (chunk.length <= JOIN_LIMIT) return socket.write(join(head + size, chunk, true));
        socket.cork();
        socket.write(head + size, 'latin1');
      } else {
        if (chunk.length <= JOIN_LIMIT) return socket.write(join(size, chunk, true));
        socket.cork();
        socket.write(size, 'latin1');
      }
      socket.write(chunk);
      const ok = socket.write('\r\n', 'latin1');
      socket.uncork();
      return ok;
    }
    if (head !== null) {
      this.pendingHead = null;
      if (chunk.length <= JOIN_LIMIT) return socket.write(join(head, chunk, false));
      // Head and a large first chunk still leave in one writev.
      socket.cork();
      socket.write(head, 'latin1');
      const ok = socket.write(chunk);
      socket.uncork();
      return ok;
    }
    return socket.write(chunk);
  }

  /** Completes the response; the connection goes on to the next request or closes. */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    const conn = this.conn;
    if (!conn.broken) {
      conn.touch();
      const head = this.pendingHead;
      if (head !== null) {
        this.pendingHead = null;
        conn.socket.write(this.chunked ? `${head}0\r\n\r\n` : head, 'latin1');
      } else if (this.chunked) {
        conn.socket.write(LAST_CHUNK);
      }
    }
    conn.responseEnded(this, this.keep);
  }

  /** Sends a complete response with a body from memory. */
  respond(status: number, headers: readonly string[], body: Buffer): void {
    this.writeHead(status, '', headers);
    if (this.method !== 'HEAD' && body.length > 0) this.write(body);
    this.end();
  }

  /** Breaks the connection: the client must not take a cut-off body for a complete one. */
  destroy(): void {
    this.finished = true;
    this.conn.socket.destroy();
  }
}

/** `head` (latin1) then `chunk` (then CRLF when chunk-framed) in one buffer. */
function join(head: string, chunk: Buffer, crlf: boolean): Buffer {
  const n = head.length;
  const out = Buffer.allocUnsafe(n + chunk.length + (crlf ? 2 : 0));
  out.write(head, 0, n, 'latin1');
  chunk.copy(out, n);
  if (crlf) {
    out[out.length - 2] = 13;
    out[out.length - 1] = 10;
  }
  return out;
}
