/** JD Cloud's per-target unhealthy reasons, as reported by /status and the health checker. */
export type UnhealthyReason =
  | 'CONNECT_FAILED'
  | 'CONNECT_TIMEOUT'
  | 'CONNECT_INTERRUPT'
  | 'RECEIVE_RESPONSE_FAILED'
  | 'RECEIVE_RESPONSE_TIMEOUT'
  | 'REQUEST_FAILED'
  | 'REQUEST_TIMEOUT'
  | 'HTTP_CODE_MISMATCH'
  | 'RESPONSE_FORMAT_ERROR';

/** Socket error codes meaning the peer tore the connection down while it was being set up. */
const INTERRUPT_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE']);

/**
 * Reason for a socket error, by the phase the check was in: connecting, sending the request,
 * or waiting for the response.
 */
export function reasonForError(phase: 'connect' | 'request' | 'response', err: unknown): UnhealthyReason {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (phase === 'connect') return typeof code === 'string' && INTERRUPT_CODES.has(code) ? 'CONNECT_INTERRUPT' : 'CONNECT_FAILED';
  if (phase === 'request') return 'REQUEST_FAILED';
  return 'RECEIVE_RESPONSE_FAILED';
}

/** Reason for running out of time, by phase. */
export function reasonForTimeout(phase: 'connect' | 'request' | 'response'): UnhealthyReason {
  if (phase === 'connect') return 'CONNECT_TIMEOUT';
  if (phase === 'request') return 'REQUEST_TIMEOUT';
  return 'RECEIVE_RESPONSE_TIMEOUT';
}
