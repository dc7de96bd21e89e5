/**
 * Per-worker request metrics, fed by the data plane's observer on every request.
 *
 * The hot path only bumps plain numbers: a request costs three Map lookups (listener →
 * backend → target, keyed by strings the data plane already holds), a few increments and a
 * short bucket scan. prom-client's label children were not used here because each `inc()` /
 * `observe()` on them re-hashes the label set. The numbers are turned into prom-client's JSON
 * shape (`Registry#getMetricsAsJSON`) only when the primary scrapes, and the primary sums the
 * workers' documents with `AggregatorRegistry.aggregate`.
 */
import { WorkerMetrics } from '../process/ipc';

/** Upper bounds (seconds) of the upstream latency histogram. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BUCKET_MS = LATENCY_BUCKETS.map((s) => s * 1000);

class TargetSeries {
  requests = 0;
  /** status code → responses */
  readonly codes = new Map<number, number>();
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  readonly buckets = new Float64Array(LATENCY_BUCKETS.length + 1);
  latencySumMs = 0;
  latencyCount = 0;

  constructor(readonly listener: string, readonly backend: string, readonly target: string | null) {}
}

class ListenerSeries {
  active = 0;
  accepted = 0;
}

export class RequestMetrics {
  // listener → backend → target ('' for no target) → series
  private readonly series = new Map<string, Map<string, Map<string, TargetSeries>>>();
  private readonly listeners = new Map<string, ListenerSeries>();
  // `listener\u0000rule` → [listener, rule, requests]: only requests a URL-map rule matched.
  private readonly rules = new Map<string, [string, string, number]>();
  // `listener\u0000backend\u0000outcome` → [listener, backend, outcome, copies]
  private readonly mirrors = new Map<string, [string, string, string, number]>();

  requestDone(listenerId: string, backendId: string, targetId: string | null, status: number, upstreamMs: number,
    ruleId: string | null = null): void {
    if (ruleId !== null) this.ruleMatched(listenerId, ruleId);
    const s = this.lookup(listenerId, backendId, targetId);
    s.requests++;
    s.codes.set(status, (s.codes.get(status) ?? 0) + 1);
    if (targetId !== null && upstreamMs >= 0) {
      let i = 0;
      while (i < BUCKET_MS.length && upstreamMs > BUCKET_MS[i]) i++;
      s.buckets[i]++;
      s.latencySumMs += upstreamMs;
      s.latencyCount++;
    }
  }

  private ruleMatched(listenerId: string, ruleId: string): void {
    const key = `${listenerId}\u0000${ruleId}`;
    const r = this.rules.get(key);
    if (r === undefined) this.rules.set(key, [listenerId, ruleId, 1]);
    else r[2]++;
  }

  mirrorCopy(listenerId: string, backendId: string, outcome: string): void {
    const key = `${listenerId}\u0000${backendId}\u0000${outcome}`;
    const m = this.mirrors.get(key);
    if (m === undefined) this.mirrors.set(key, [listenerId, backendId, outcome, 1]);
    else m[3]++;
  }

  connectionOpened(listenerId: string): void {
    const l = this.listener(listenerId);
    l.active++;
    l.accepted++;
  }

  connectionClosed(listenerId: string): void {
    this.listener(listenerId).active--;
  }

  /** The worker's series in prom-client's JSON shape (what the primary aggregates). */
  toJSON(): WorkerMetrics {
    const requests: unknown[] = [];
    const responses: unknown[] = [];
    const latency: unknown[] = [];
    for (const byBackend of this.series.values()) {
      for (const byTarget of byBackend.values()) {
        for (const s of byTarget.values()) {
          const labels = { listener: s.listener, backend: s.backend, target: s.target ?? 'none' };
          requests.push({ labels, value: s.requests });
          for (const [code, n] of s.codes) responses.push({ labels: { ...labels, code: String(code) }, value: n });
          if (s.target === null) continue;
          let cumulative = 0;
          LATENCY_BUCKETS.forEach((le, i) => {
            cumulative += s.buckets[i];
            latency.push({ metricName: 'alb_upstream_latency_seconds_bucket', labels: { ...labels, le }, value: cumulative });
          });
          cumulative += s.buckets[LATENCY_BUCKETS.length];
          latency.push({ metricName: 'alb_upstream_latency_seconds_bucket', labels: { ...labels, le: '+Inf' }, value: cumulative });
          latency.push({ metricName: 'alb_upstream_latency_seconds_sum', labels, value: s.latencySumMs / 1000 });
          latency.push({ metricName: 'alb_upstream_latency_seconds_count', labels, value: s.latencyCount });
        }
      }
    }
    const active: unknown[] = [];
    const accepted: unknown[] = [];
    for (const [listener, l] of this.listeners) {
      active.push({ labels: { listener }, value: l.active });
      accepted.push({ labels: { listener }, value: l.accepted });
    }
    const rules: unknown[] = [];
    for (const [listener, rule, value] of this.rules.values()) rules.push({ labels: { listener, rule }, value });
    const mirrors: unknown[] = [];
    for (const [listener, backend, outcome, value] of this.mirrors.values()) mirrors.push({ labels: { listener, backend, outcome }, value });
    return [
      metric('alb_mirror_copies_total', 'counter', 'Mirror copies by listener, mirror backend and outcome (completed, failed, dropped at the in-flight bound or with no target, too_large: body over the rule\'s mirrorMaxBodyBytes, slow: cut when the mirror did not take the body fast enough, client_aborted: the client\'s body broke off)', mirrors),
      metric('alb_rule_requests_total', 'counter', 'Requests a URL-map rule matched, by listener and rule (`<URL map id>/<rule id>`)', rules),
      metric('alb_requests_total', 'counter', 'HTTP requests answered and TCP connections closed, by listener, backend service and target', requests),
      metric('alb_responses_total', 'counter', 'Responses by status code (0: client gone before a response, or a TCP connection)', responses),
      metric('alb_upstream_latency_seconds', 'histogram', 'Time from sending to the target until its response headers (HTTP) or connection end (TCP)', latency),
      metric('alb_active_connections', 'gauge', 'Open client connections per listener', active),
      metric('alb_connections_total', 'counter', 'Client connections accepted per listener', accepted),
    ];
  }

  private listener(listenerId: string): ListenerSeries {
    let l = this.listeners.get(listenerId);
    if (l === undefined) {
      l = new ListenerSeries();
      this.listeners.set(listenerId, l);
    }
    return l;
  }

  private lookup(listener: string, backend: string, target: string | null): TargetSeries {
    let byBackend = this.series.get(listener);
    if (byBackend === undefined) {
      byBackend = new Map();
      this.series.set(listener, byBackend);
    }
    let byTarget = byBackend.get(backend);
    if (byTarget === undefined) {
      byTarget = new Map();
      byBackend.set(backend, byTarget);
    }
    const key = target ?? '';
    let s = byTarget.get(key);
    if (s === undefined) {
      s = new TargetSeries(listener, backend, target);
      byTarget.set(key, s);
    }
    return s;
  }
}

function metric(name: string, type: string, help: string, values: unknown[]): unknown {
  return { name, help, type, values, aggregator: 'sum' };
}
