/**
 * Messages between the cluster primary and its workers (process.send / worker.send, JSON).
 * Kinds are prefixed so they never collide with prom-client's own cluster messages.
 */
import { LbConfig } from '../../lib/config/types';
import { DataPlaneSnapshot } from '../dataplane-types';
import type { ConfigFileRef } from './config-files';

/** A worker registry's getMetricsAsJSON(), aggregated by the primary at scrape time. */
export type WorkerMetrics = unknown[];

export type PrimaryMessage =
  /** The document itself, or (large configs, the primary's reloads) where to read it: ./config-files. */
  | { kind: 'alb:apply'; id: number; config: LbConfig; bindAddress: string }
  | { kind: 'alb:applyFile'; id: number; source: ConfigFileRef; bindAddress: string }
  | { kind: 'alb:health'; backendId: string; targetId: string; healthy: boolean }
  /** Many verdicts in one message (a new worker, after a reload: one per target otherwise). */
  | { kind: 'alb:healthMany'; verdicts: TargetVerdict[] }
  | { kind: 'alb:snapshot'; id: number }
  | { kind: 'alb:metrics'; id: number }
  | { kind: 'alb:reopenLogs' }
  | { kind: 'alb:shutdown'; graceMs: number };

export type WorkerMessage =
  | { kind: 'alb:ready' }
  | { kind: 'alb:applied'; id: number; error: string | null }
  | { kind: 'alb:snapshot'; id: number; report: WorkerReport }
  | { kind: 'alb:metrics'; id: number; metrics: WorkerMetrics }
  | { kind: 'alb:targetFailed'; backendId: string; targetId: string; reason: string };

/** [backendId, targetId, healthy]: compact, as a reload may send 10,000 of them. */
export type TargetVerdict = [string, string, boolean];

/** What one worker tells the primary for /status. */
export interface WorkerReport {
  snapshot: DataPlaneSnapshot;
  /** Requests / TCP connections this worker has finished since it started. */
  requests: number;
}

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  return typeof message === 'object' && message !== null
    && typeof (message as { kind?: unknown }).kind === 'string'
    && (message as { kind: string }).kind.startsWith('alb:');
}

export function isPrimaryMessage(message: unknown): message is PrimaryMessage {
  return isWorkerMessage(message);
}
