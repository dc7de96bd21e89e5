/**
 * A client request body as the upstream client consumes it: chunks pushed by the client-side
 * parser (./h1-server.ts), pulled into one sink at a time (the upstream connection carrying
 * the current attempt). Chunks that arrive before a sink is attached are kept, so a body that
 * came in the same read as the request head is not lost while a target connection opens.
 *
 * `consumed` is the retry rule's input: once a byte went to a target, the request cannot be
 * sent again to another one.
 *
 * A second reader may be added with `teeTo` (a mirror copy, ./mirror.ts): it gets every chunk
 * as it arrives and cannot slow the client down — only the sink's backpressure pauses reading.
 */

/** Where body bytes go (the upstream connection of the current attempt). */
export interface BodySink {
  onBodyData(chunk: Buffer): void;
  onBodyEnd(): void;
  /** The client went away or broke the body's framing before its end. */
  onBodyAborted(): void;
}

/** A body an upstream connection pulls: into one sink at a time, paused by the sink's backpressure. */
export interface BodySource {
  attach(sink: BodySink): void;
  detach(): void;
  pause(): void;
  resume(): void;
}

/** Reading control of the connection the body arrives on. */
export interface BodyFlow {
  pauseBody(): void;
  resumeBody(): void;
}

/** Bytes held without a sink before reading from the client pauses. */
const HOLD_LIMIT = 64 * 1024;

export class RequestBody implements BodySource {
  private sink: BodySink | null = null;
  /** The second reader (teeTo), else null. */
  private tee: BodySink | null = null;
  private held: Buffer[] | null = null;
  private heldBytes = 0;
  private holdPaused = false;
  /** The whole body arrived. */
  complete = false;
  /** The body broke off (client gone, bad framing). */
  aborted = false;
  /** At least one byte was handed to a sink. */
  consumed = false;

  constructor(private readonly flow: BodyFlow) {}

  /** From the parser: the next chunk of the body. */
  push(chunk: Buffer): void {
    const sink = this.sink;
    if (sink !== null) {
      this.consumed = true;
      sink.onBodyData(chunk);
    } else {
      if (this.held === null) this.held = [chunk];
      else this.held.push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes > HOLD_LIMIT && !this.holdPaused) {
        this.holdPaused = true;
        this.flow.pauseBody();
      }
    }
    if (this.tee !== null) this.tee.onBodyData(chunk);
  }

  /** From the parser: the body is complete. */
  end(): void {
    if (this.complete || this.aborted) return;
    this.complete = true;
    if (this.sink !== null) this.sink.onBodyEnd();
    if (this.tee !== null) this.tee.onBodyEnd();
  }

  /** From the connection: the body will not complete. */
  abort(): void {
    if (this.complete || this.aborted) return;
    this.aborted = true;
    if (this.sink !== null) this.sink.onBodyAborted();
    if (this.tee !== null) this.tee.onBodyAborted();
  }

  /**
   * Adds the second reader: the chunks that arrived so far, then each later one, its end or
   * its abort. Call before the body is first attached to a sink (until then every chunk that
   * arrived is still held).
   */
  teeTo(tee: BodySink): void {
    this.tee = tee;
    const held = this.held;
    if (held !== null) for (let i = 0; i < held.length; i++) tee.onBodyData(held[i]);
    if (this.complete) tee.onBodyEnd();
    else if (this.aborted) tee.onBodyAborted();
  }

  /** Starts delivering to `sink`: held chunks first, then end/abort if already known. */
  attach(sink: BodySink): void {
    this.sink = sink;
    const held = this.held;
    if (held !== null) {
      this.held = null;
      this.heldBytes = 0;
      this.consumed = true;
      for (let i = 0; i < held.length && this.sink === sink; i++) sink.onBodyData(held[i]);
    }
    if (this.sink !== sink) return;
    if (this.complete) sink.onBodyEnd();
    else if (this.aborted) sink.onBodyAborted();
    else if (this.holdPaused) {
      this.holdPaused = false;
      this.flow.resumeBody();
    }
  }

  detach(): void {
    this.sink = null;
  }

  /** Backpressure from the sink: stop reading from the client until `resume`. */
  pause(): void {
    this.flow.pauseBody();
  }

  resume(): void {
    this.flow.resumeBody();
  }
}
