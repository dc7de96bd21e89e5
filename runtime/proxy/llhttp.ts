/**
 * Node's llhttp binding (`_http_common.HTTPParser`, the C parser node:http itself uses), typed
 * for the two places that drive it directly: ./h1-server.ts (requests from clients) and
 * ./h1-upstream.ts (responses from targets). `_http_common` has no typings of its own.
 *
 * A parser can also *consume* a socket's native stream, as node:http's server does: reads go
 * from libuv straight into llhttp, without a Buffer, a 'data' event and the stream machinery
 * per read (≈ 2.5 µs per read here), and the parser reports each read through kOnExecute.
 * What that bypasses has to be done by hand: pausing is readStop()/readStart() on the handle
 * (socket.pause() only stops 'data' events) and the socket's inactivity timer is refreshed
 * per read (node:http calls the same `_unrefTimer`).
 */
import type { Socket } from 'node:net';

export interface HttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  finish(): number | Error | undefined;
  close(): void;
  consume(handle: object): void;
  unconsume(): void;
  getCurrentBuffer(): Buffer;
  [key: number]: unknown;
}

export interface HttpParserClass {
  new(): HttpParser;
  REQUEST: number;
  RESPONSE: number;
  kOnMessageBegin: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
  kLenientNone: number;
}

const common = require('_http_common') as { HTTPParser: HttpParserClass; methods: string[] };
export const HTTPParser = common.HTTPParser;
/** Method names by the index llhttp reports. */
export const methods = common.methods;

/** The parts of a socket's native stream handle used when a parser consumes it. */
export interface StreamHandle {
  isStreamBase?: boolean;
  _consumed?: boolean;
  readStart(): number;
  readStop(): number;
}

type SocketInternals = Socket & { _handle?: StreamHandle | null; _unrefTimer?: () => void };

/** The socket's native stream when a parser may consume it (not already consumed), else null. */
export function consumableHandle(socket: Socket): StreamHandle | null {
  const s = socket as SocketInternals;
  const h = s._handle;
  if (h === undefined || h === null || h.isStreamBase !== true || h._consumed === true) return null;
  // Without the timer refresh a consumed socket's timeout would fire during steady traffic.
  return typeof s._unrefTimer === 'function' ? h : null;
}

/** Restarts the socket's inactivity timeout after a read that bypassed the stream. */
export function refreshSocketTimer(socket: Socket): void {
  (socket as SocketInternals)._unrefTimer!();
}
