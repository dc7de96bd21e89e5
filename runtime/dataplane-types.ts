/**
 * The seam between the data plane (listeners and proxying, runtime/proxy/*) and the process
 * around it (CLI, cluster primary/workers, health wiring, reload, admin, metrics, logs).
 * One DataPlane lives in each worker process.
 */
import { LbConfig } from '../lib/config/types';

/**
 * What the data plane reports. Positional arguments (no event objects) because requestDone
 * runs once per request on the hot path.
 */
export interface DataPlaneObserver {
  /**
   * An HTTP request was answered (status = code sent to the client; 0 if the client went away
   * first), or a TCP/TLS connection closed (method = 'TCP', url = '', status 0).
   * targetId is null when no target was chosen (e.g. 503 all down, 400, limits, a redirect or
   * fixed-response rule). ruleId is `<URL map id>/<rule id>` when a forwarding rule matched,
   * else null or absent (the listener's default backend).
   */
  requestDone(listenerId: string, backendId: string, targetId: string | null, status: number,
    durationMs: number, upstreamMs: number, method: string, url: string, clientIp: string, ruleId?: string | null): void;
  /** A client connection was accepted / closed on a listener. */
  connectionOpened(listenerId: string): void;
  connectionClosed(listenerId: string): void;
  /**
   * Passive failure: connecting to a target failed or timed out (JD reason names:
   * CONNECT_FAILED, CONNECT_TIMEOUT, ...). The process forwards it to the primary.
   */
  targetFailed(backendId: string, targetId: string, reason: string): void;
  /**
   * A URL-map rule's mirror copy ended (runtime/proxy/mirror.ts): answered, failed, dropped
   * (in-flight bound, no target), body over the rule's bound, the mirror too slow to take the
   * body, or the client's body broke off.
   */
  mirrorCopy(listenerId: string, backendId: string, outcome: MirrorOutcome): void;
}

export type MirrorOutcome = 'completed' | 'failed' | 'dropped' | 'too_large' | 'slow' | 'client_aborted';

export interface ListenerSnapshot {
  id: string;
  protocol: string;
  address: string;
  port: number;
  activeConnections: number;
}

export interface TargetSnapshot {
  id: string;
  address: string;
  port: number;
  weight: number;
  /** Active-check health as last told by setTargetHealth (true until told otherwise). */
  healthy: boolean;
  /** Passively ejected right now (nginx max_fails/fail_timeout). */
  ejected: boolean;
  /** Requests / connections in flight from this worker. */
  active: number;
}

export interface BackendSnapshot {
  id: string;
  algorithm: string;
  targets: TargetSnapshot[];
}

export interface DataPlaneSnapshot {
  listeners: ListenerSnapshot[];
  backends: BackendSnapshot[];
}

export interface DataPlane {
  /**
   * Applies a validated config: opens new listeners, closes removed ones after their
   * in-flight requests drain, swaps backends in place (unchanged targets keep their health and
   * counters). Rejects — leaving the previous config serving unchanged — when a listener cannot
   * be opened (port in use, unreadable certificate, ...).
   */
  apply(config: LbConfig, bindAddress: string): Promise<void>;
  /** Health verdict of the primary's active checks for one target. */
  setTargetHealth(backendId: string, targetId: string, healthy: boolean): void;
  /** Stops accepting, lets in-flight requests finish for up to graceMs, then closes the rest. */
  close(graceMs: number): Promise<void>;
  snapshot(): DataPlaneSnapshot;
}
