/**
 * Accepting TLS connections without paying for TLS before the client has said anything.
 *
 * node:tls creates the TLS socket and OpenSSL state (≈ 55 KiB here) the moment a connection
 * is accepted: 5,000 clients that open a connection and send half a ClientHello took a worker
 * from 52 to 335 MiB. So a new connection stays a plain socket (a few KiB) until the first TLS
 * record — the ClientHello — has fully arrived, bounded by the handshake timeout; only then is
 * it handed to the tls.Server, with the bytes read so far put back (a TLSSocket feeds what its
 * socket already buffered to OpenSSL first). The rest of the handshake runs under node:tls's
 * own handshakeTimeout.
 */
import type * as net from 'node:net';

/** TLSPlaintext: type(1) version(2) length(2), then at most 2^14 bytes (RFC 8446 §5.1). */
const RECORD_HEADER = 5;
const HANDSHAKE = 0x16;
const MAX_RECORD = RECORD_HEADER + (1 << 14);

function destroyStalled(this: net.Socket): void {
  this.destroy();
}

/** The first record is complete, or the bytes are not a TLS handshake (then TLS refuses them). */
function firstRecordIn(held: Buffer): boolean {
  if (held.length < RECORD_HEADER) return false;
  if (held[0] !== HANDSHAKE) return true;
  return held.length >= RECORD_HEADER + held.readUInt16BE(3) || held.length >= MAX_RECORD;
}

/**
 * Reads `socket` until its first TLS record is in (then calls `ready` with the bytes pushed
 * back into the socket), or destroys it when that takes longer than `timeoutMs`.
 */
export function awaitClientHello(socket: net.Socket, timeoutMs: number, ready: (socket: net.Socket) => void): void {
  let held: Buffer | null = null;
  const onData = (chunk: Buffer): void => {
    held = held === null ? chunk : Buffer.concat([held, chunk]);
    if (!firstRecordIn(held)) return;
    socket.removeListener('data', onData);
    socket.removeListener('timeout', destroyStalled);
    socket.setTimeout(0);
    socket.pause();
    socket.unshift(held);
    ready(socket);
  };
  socket.setTimeout(timeoutMs);
  socket.once('timeout', destroyStalled);
  socket.on('data', onData);
}
