/**
 * Joins two sockets into a bidirectional byte stream (TCP listeners, TLS→TCP, WebSocket and
 * other HTTP upgrades). Half-close travels both ways: when one side sends FIN, the other side's
 * write end is ended (`pipe` ends its destination) while the opposite direction keeps flowing,
 * which both sockets allow because they are created with `allowHalfOpen`. An error or the idle
 * timeout on either side tears both down.
 */
import type { Socket } from 'node:net';
import type { TunnelReader } from './tunnel-reader';

const kPeer = Symbol('alb.tunnelPeer');
type Linked = Socket & { [kPeer]?: Socket };

function destroyBoth(this: Linked): void {
  const other = this[kPeer];
  this.destroy();
  if (other !== undefined) other.destroy();
}

function onClose(this: Linked, hadError: boolean): void {
  const other = this[kPeer];
  // A side that closed with an error (reset) cannot deliver the rest of the stream.
  if (hadError && other !== undefined) other.destroy();
}

/**
 * Starts piping. `idleMs` bounds inactivity on each side; `onBothClosed` runs once when both
 * sockets have closed. Both sockets must already have an 'error' listener attached by the
 * caller for the time before this call; from here on tunnel handlers take over.
 * `reader`: the upstream socket was created with `reader.onread`, and the reader forwards the
 * upstream → client direction (see tunnel-reader.ts); without it both directions use pipe().
 */
export function joinSockets(client: Socket, upstream: Socket, idleMs: number, onBothClosed: () => void,
  reader: TunnelReader | null = null): void {
  const a = client as Linked;
  const b = upstream as Linked;
  a[kPeer] = b;
  b[kPeer] = a;
  let open = 2;
  const closed = (): void => {
    if (--open > 0) return;
    if (reader !== null) reader.release();
    onBothClosed();
  };
  for (const s of [a, b]) {
    s.on('error', destroyBoth);
    s.on('timeout', destroyBoth);
    s.on('close', onClose);
    s.once('close', closed);
    s.setTimeout(idleMs);
    s.setNoDelay(true);
  }
  a.pipe(b);
  if (reader === null) {
    b.pipe(a);
  } else {
    reader.attach(b, a);
    // The reader has written every byte before the upstream's EOF arrives ('end' follows the
    // last read), so ending here queues the FIN behind them, as pipe() does.
    b.once('end', () => a.end());
  }
}

/** A ready-made raw HTTP/1.1 response for sockets that are not (or no longer) in node:http. */
export function rawResponse(status: number, reason: string, text: string): Buffer {
  const body = `${text}\n`;
  return Buffer.from(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\n`
    + `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`, 'latin1');
}
