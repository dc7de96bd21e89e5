/**
 * One health probe against one target: a TCP connect, or an HTTP request whose status line is
 * read and matched. Reports exactly once, with null (healthy) or the JD unhealthy reason, and
 * can be cancelled (stop / reload) without reporting. One overall deadline (the check's
 * timeout) covers connect, request and response; its reason depends on the phase it hit.
 */
import * as net from 'node:net';
import { ExpectedCodes } from './expected-codes';
import { reasonForError, reasonForTimeout, UnhealthyReason } from './reasons';

export interface ProbeSpec {
  protocol: 'TCP' | 'HTTP';
  address: string;
  port: number;
  timeoutMs: number;
  /** HTTP only: the complete request bytes (built once per target by buildHealthRequest). */
  request: string | null;
  codes: ExpectedCodes | null;
}

/** The longest status line we wait for; anything longer is not HTTP. */
const MAX_STATUS_LINE = 4096;
const STATUS_LINE = /^HTTP\/\d\.\d (\d{3})(?: |$)/;

export interface Probe {
  cancel(): void;
}

export function runProbe(spec: ProbeSpec, done: (reason: UnhealthyReason | null) => void): Probe {
  let phase: 'connect' | 'request' | 'response' = 'connect';
  let finished = false;
  let received = '';
  let socket: net.Socket | null = null;

  const finish = (reason: UnhealthyReason | null): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    if (socket !== null) socket.destroy();
    done(reason);
  };

  const timer = setTimeout(() => finish(reasonForTimeout(phase)), spec.timeoutMs);
  timer.unref();

  try {
    socket = net.connect({ host: spec.address, port: spec.port });
  } catch (err) {
    // Synchronous throws (e.g. an invalid address) are failed checks, reported asynchronously
    // like every other outcome.
    setImmediate(() => finish(reasonForError('connect', err)));
    return { cancel: () => { finished = true; clearTimeout(timer); } };
  }
  socket.setNoDelay(true);
  socket.on('error', (err) => finish(reasonForError(phase, err)));
  socket.on('close', () => {
    if (phase === 'connect') finish('CONNECT_INTERRUPT');
    else if (received.length > 0) finish('RESPONSE_FORMAT_ERROR');
    else finish(phase === 'request' ? 'REQUEST_FAILED' : 'RECEIVE_RESPONSE_FAILED');
  });
  socket.on('connect', () => {
    if (spec.protocol === 'TCP' || spec.request === null) {
      finish(null);
      return;
    }
    phase = 'request';
    socket!.write(spec.request, 'latin1', () => {
      if (phase === 'request') phase = 'response';
    });
  });
  socket.on('data', (chunk: Buffer) => {
    if (phase === 'connect') return;
    received += chunk.toString('latin1', 0, Math.min(chunk.length, MAX_STATUS_LINE));
    const eol = received.indexOf('\n');
    if (eol < 0) {
      if (received.length >= MAX_STATUS_LINE) finish('RESPONSE_FORMAT_ERROR');
      return;
    }
    const line = received.slice(0, eol).replace(/\r$/, '');
    const m = STATUS_LINE.exec(line);
    if (m === null) finish('RESPONSE_FORMAT_ERROR');
    else finish(spec.codes !== null && spec.codes.matches(Number(m[1])) ? null : 'HTTP_CODE_MISMATCH');
  });

  return {
    cancel: () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket?.destroy();
    },
  };
}

/**
 * The HTTP check request: `GET <path> HTTP/1.x` with Host (the configured domain, else the
 * target address) and `Connection: close`; we read only the status line.
 */
export function buildHealthRequest(httpVersion: 'HTTP1.0' | 'HTTP1.1', host: string, path: string): string {
  const version = httpVersion === 'HTTP1.1' ? 'HTTP/1.1' : 'HTTP/1.0';
  return `GET ${path} ${version}\r\nHost: ${host}\r\nUser-Agent: alb-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
}
