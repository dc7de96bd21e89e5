/**
 * What plain requests (./http.ts) and upgrades (./upgrade.ts) share before a target is chosen:
 * the local answers (each encoded once, as fields + body for the response writer and as raw
 * bytes for a socket that left the HTTP parser), the admission checks (the listener's
 * connection and request-rate limits) and the persistence-cookie lookup.
 */
import { STATUS_CODES } from 'node:http';
import type { Peer } from '../balancer/types';
import type { ClientRequest } from './h1-response';
import type { BackendRuntime, Route } from './routes';
import { rawResponse } from './tunnel';

/** A response the proxy makes itself. */
export interface LocalAnswer {
  readonly status: number;
  readonly body: Buffer;
  /** Fields for ClientRequest.respond (framing is added there). */
  readonly headers: string[];
  /** The complete response with `Connection: close`, for a raw socket. */
  readonly raw: Buffer;
}

function answer(status: number, text: string): LocalAnswer {
  const body = Buffer.from(`${text}\n`);
  return {
    status,
    body,
    headers: ['content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length)],
    raw: rawResponse(status, STATUS_CODES[status] ?? '', text),
  };
}

export const ANSWERS = {
  allDown: answer(503, '503 Service Unavailable: no healthy target is available for this backend service'),
  qps: answer(503, '503 Service Unavailable: the listener request-rate limit (qps) is exceeded'),
  connections: answer(503, '503 Service Unavailable: the listener active-connection limit is exceeded'),
  refused: answer(502, '502 Bad Gateway: the target could not be reached'),
  badResponse: answer(502, '502 Bad Gateway: the target sent an invalid response'),
  connectTimeout: answer(504, '504 Gateway Timeout: connecting to the target timed out'),
  responseTimeout: answer(504, '504 Gateway Timeout: the target did not answer in time'),
  badHost: answer(400, '400 Bad Request: the Host header cannot be used in a redirect'),
  badBody: answer(400, '400 Bad Request: malformed HTTP/1.1 request body'),
} as const;

/**
 * The answer for a request the listener does not take (its connection was beyond the
 * active-connection limit, or the request-rate limit is exceeded), else null. Takes a
 * request-rate token when it admits the request.
 */
export function admissionRefusal(route: Route, req: ClientRequest): LocalAnswer | null {
  if (req.conn.overLimit) return ANSWERS.connections;
  if (route.limiter !== null && !route.limiter.take()) return ANSWERS.qps;
  return null;
}

/** The target the request's persistence cookie names, when it is still available, else null. */
export function stickyPeer(backend: BackendRuntime, req: ClientRequest): Peer | null {
  if (backend.sticky === null) return null;
  const id = backend.sticky.read(req.cookie ?? undefined, Date.now());
  return id === null ? null : backend.pool.pickById(id);
}
