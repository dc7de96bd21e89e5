/**
 * The DataPlaneObserver of one worker: feeds metrics and the access log, counts requests and
 * hands passive failures to whoever runs the health view (the primary, over IPC).
 */
import { DataPlaneObserver, MirrorOutcome } from '../dataplane-types';
import { AccessLog } from '../log/access-log';
import { RequestMetrics } from '../metrics/request-metrics';

export class WorkerObserver implements DataPlaneObserver {
  requests = 0;

  constructor(
    private readonly metrics: RequestMetrics,
    private readonly accessLog: AccessLog | null,
    private readonly onTargetFailed: (backendId: string, targetId: string, reason: string) => void,
  ) {}

  requestDone(listenerId: string, backendId: string, targetId: string | null, status: number, durationMs: number,
    upstreamMs: number, method: string, url: string, clientIp: string, ruleId: string | null = null): void {
    this.requests++;
    this.metrics.requestDone(listenerId, backendId, targetId, status, upstreamMs, ruleId);
    if (this.accessLog !== null) {
      this.accessLog.write(listenerId, backendId, targetId, status, durationMs, upstreamMs, method, url, clientIp, ruleId);
    }
  }

  mirrorCopy(listenerId: string, backendId: string, outcome: MirrorOutcome): void {
    this.metrics.mirrorCopy(listenerId, backendId, outcome);
  }

  connectionOpened(listenerId: string): void {
    this.metrics.connectionOpened(listenerId);
  }

  connectionClosed(listenerId: string): void {
    this.metrics.connectionClosed(listenerId);
  }

  targetFailed(backendId: string, targetId: string, reason: string): void {
    this.onTargetFailed(backendId, targetId, reason);
  }
}
