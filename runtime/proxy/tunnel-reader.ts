/**
 * Target → client bytes of a tunnel without Node's per-chunk stream machinery.
 *
 * With `pipe()` every read is at most 64 KiB (libuv's suggested size) and costs a fresh Buffer,
 * a 'data' event, a Readable push and a pause/resume round trip; at bulk rates that per-chunk
 * work, not the copying, is what keeps a worker CPU-bound. Here the target socket is created
 * with `net.connect({ onread })`: reads land in a buffer we own and we write them straight to
 * the client.
 *
 * Buffers, and why reads are safe to land in them:
 * - A quiet connection reads into one 64 KiB buffer shared by every tunnel of the worker; the
 *   bytes are copied out before the read callback returns, so an idle tunnel owns no buffer.
 * - A read that fills its buffer means the target is sending faster than one read takes in, so
 *   the connection switches to a private bulk buffer (from a small free list) and its writes
 *   hand the client a view of that buffer, no copy. A read that comes back small returns it.
 * - When the client cannot take a write at once (the write is still queued after `write()`
 *   returns), the read callback returns false — reading stops, which is the backpressure: a
 *   slow client leaves the rest in the kernel's receive buffer, so at most one chunk per tunnel
 *   waits in user space. Reading resumes when every write of ours has completed, so a read
 *   never lands in a buffer a pending write still points into.
 */
import type { OnReadOpts, Socket } from 'node:net';

/** Reads of quiet connections; equal to libuv's default read size, so nothing gets slower. */
const SHARED_SIZE = 64 * 1024;
/**
 * Reads of a connection in bulk mode. Bigger reads mean fewer callbacks per MiB: worker CPU per
 * 100 MiB measured 64 KiB ≈ 63 ms, 256 KiB ≈ 58, 512 KiB ≈ 41-46, 1 MiB ≈ 37-44 (pipe: ≈ 80-100).
 * It is also the most a slow client can hold in user space per tunnel.
 */
const BULK_SIZE = 512 * 1024;
/** Bulk buffers kept for the next bulk connection (a fresh one costs page faults to map). */
const FREE_BULK_MAX = 8;

const shared = Buffer.allocUnsafeSlow(SHARED_SIZE);
const freeBulk: Buffer[] = [];

function takeBulk(): Buffer {
  return freeBulk.pop() ?? Buffer.allocUnsafeSlow(BULK_SIZE);
}

function giveBulk(buf: Buffer): void {
  if (freeBulk.length < FREE_BULK_MAX) freeBulk.push(buf);
}

export class TunnelReader {
  /** Pass as `onread` when creating the target socket (net.connect). */
  readonly onread: OnReadOpts;
  private client: Socket | null = null;
  private upstream: Socket | null = null;
  /** This tunnel's bulk buffer, if it is in bulk mode (or was, and a write still uses it). */
  private bulk: Buffer | null = null;
  /** Where the next read lands. */
  private next: Buffer = shared;
  /** Writes handed to the client and completed; equal when none of ours is in flight. */
  private issued = 0;
  private completed = 0;
  /** Reading was stopped until our writes complete. */
  private paused = false;
  /** Bytes read before `attach` (none in practice: attach follows 'connect' synchronously). */
  private early: Buffer[] = [];
  private readonly onWritten = (): void => {
    this.completed++;
    if (this.paused && this.completed === this.issued) {
      this.paused = false;
      if (this.upstream !== null) this.upstream.resume();
    }
  };

  constructor() {
    this.onread = {
      buffer: () => this.next,
      callback: (n: number, buf: Uint8Array) => this.onRead(n, buf as Buffer),
    };
  }

  /** Starts forwarding `upstream`'s bytes (the socket created with `this.onread`) to `client`. */
  attach(upstream: Socket, client: Socket): void {
    this.upstream = upstream;
    this.client = client;
    const early = this.early;
    this.early = [];
    for (const chunk of early) this.writeToClient(chunk);
    if (this.paused && this.completed === this.issued) {
      this.paused = false;
      upstream.resume();
    }
  }

  /** Both sockets are closed: the bulk buffer is no longer read into or written from. */
  release(): void {
    if (this.bulk !== null) giveBulk(this.bulk);
    this.bulk = null;
    this.next = shared;
  }

  private writeToClient(chunk: Buffer): boolean {
    this.issued++;
    this.client!.write(chunk, this.onWritten);
    // writableLength counts a chunk until the socket handle has finished with it; 0 means the
    // kernel took it during write() (other writers' queued bytes only make this conservative).
    return this.client!.writableLength === 0;
  }

  private onRead(n: number, buf: Buffer): boolean {
    const isShared = buf === shared;
    if (this.client === null) {
      this.early.push(Buffer.from(buf.subarray(0, n)));
      this.paused = true;
      return false;
    }
    if (this.client.destroyed) {
      // Nobody left to deliver to: the target side has no reason to stay open.
      this.upstream!.destroy();
      return false;
    }
    let chunk: Buffer;
    if (isShared) {
      chunk = Buffer.allocUnsafe(n);
      buf.copy(chunk, 0, 0, n);
    } else {
      chunk = buf.subarray(0, n);
    }
    const flushed = this.writeToClient(chunk);
    if (n === buf.length || (!isShared && n > SHARED_SIZE)) {
      // The target outruns single reads: bulk mode. If this chunk is still queued, reading
      // stops below and resumes only once it is written, so the next read may land there.
      if (this.bulk === null) this.bulk = takeBulk();
      this.next = this.bulk;
    } else {
      this.next = shared;
      // Back to the free list, unless a queued write still points into it (another tunnel
      // could take it); then it goes at this tunnel's next small read or at the end.
      if (this.bulk !== null && (flushed || isShared)) {
        giveBulk(this.bulk);
        this.bulk = null;
      }
    }
    if (flushed) return true;
    this.paused = true;
    return false;
  }
}
