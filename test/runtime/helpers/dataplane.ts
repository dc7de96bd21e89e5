/**
 * Starts a data plane in the test process (no CLI, no cluster) and records what it reports.
 */
import * as http from 'node:http';
import type { LbConfig } from '../../../lib/config/types';
import { createDataPlane } from '../../../runtime/dataplane';
import type { DataPlane, DataPlaneObserver } from '../../../runtime/dataplane-types';

export interface RecordedRequest {
  listenerId: string; backendId: string; targetId: string | null; status: number;
  method: string; url: string; clientIp: string;
  /** `<URL map id>/<rule id>` of the forwarding rule that matched, else null. */
  ruleId: string | null;
}

export class RecordingObserver implements DataPlaneObserver {
  readonly requests: RecordedRequest[] = [];
  readonly failures: Array<{ backendId: string; targetId: string; reason: string }> = [];
  readonly mirrorCopies: string[] = [];
  opened = 0;
  closed = 0;
  requestDone(listenerId: string, backendId: string, targetId: string | null, status: number,
    _durationMs: number, _upstreamMs: number, method: string, url: string, clientIp: string, ruleId: string | null = null): void {
    this.requests.push({ listenerId, backendId, targetId, status, method, url, clientIp, ruleId });
  }
  mirrorCopy(listenerId: string, backendId: string, outcome: string): void { this.mirrorCopies.push(`${listenerId} ${backendId} ${outcome}`); }
  connectionOpened(): void { this.opened++; }
  connectionClosed(): void { this.closed++; }
  targetFailed(backendId: string, targetId: string, reason: string): void {
    this.failures.push({ backendId, targetId, reason });
  }
}

export interface StartedDataPlane {
  dp: DataPlane;
  observer: RecordingObserver;
}

export async function startDataPlane(config: LbConfig, bindAddress: string, limitShares = 1): Promise<StartedDataPlane> {
  const observer = new RecordingObserver();
  const dp = createDataPlane(observer, limitShares);
  await dp.apply(config, bindAddress);
  return { dp, observer };
}

export interface SimpleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

/** One HTTP request over a fresh connection (no keep-alive unless an agent is given). */
export function request(opts: http.RequestOptions & { body?: string | Buffer }): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const { body, ...rest } = opts;
    const req = http.request({ agent: false, ...rest }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(15000, () => req.destroy(new Error('test request timed out')));
    req.end(body);
  });
}
