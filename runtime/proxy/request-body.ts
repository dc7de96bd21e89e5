/**
 * A client request body as the upstream client consumes it: chunks pushed by the client-side
 * parser (./h1-server.ts), pulled into one sink at a time (the upstream connection carrying
 * the current attempt). Chunks that arrive before a sink is attached are kept, so a body that
 * came in the same read as the request head is not lost while a target connection opens.
 *
 * `consumed` is the retry rule's input: once a byte went to a target, the request cannot be
 * sent again to another one.
 */

/** Where body bytes go (the upstream connection of the current attempt). */
export interface BodySink {
  onBodyData(chunk: Buffer): void;
  onBodyEnd(): void;
  /** The client went away or broke the body's framing before its end. */
  onBodyAborted(): void;
}

/** Reading control of the connection the body arrives on. */
export interface BodyFlow {
  pauseBody(): void;
  resumeBody(): void;
}

/** Bytes held without a sink before reading from the client pauses. */
const HOLD_LIMIT = 64 * 1024;

export class RequestBody {
  private sink: BodySink | null = null;
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
  }

  /** From the parser: the body is complete. */
  end(): void {
    if (this.complete || this.aborted) return;
    this.complete = true;
    if (this.sink !== null) this.sink.onBodyEnd();
  }

  /** From the connection: the body will not complete. */
  abort(): void {
    if (this.complete || this.aborted) return;
    this.aborted = true;
    if (this.sink !== null) this.sink.onBodyAborted();
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
