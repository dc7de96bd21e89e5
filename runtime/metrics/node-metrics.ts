/**
 * Node-wide metrics kept by the primary: what only the primary knows (active health verdicts,
 * passive failures reported by all workers, reloads, worker restarts).
 */
import { Counter, Gauge, Registry } from 'prom-client';

export interface TargetHealthSample {
  backend: string;
  target: string;
  healthy: boolean;
}

export class NodeMetrics {
  readonly registry = new Registry();
  readonly reloads: Counter<string>;
  readonly reloadsFailed: Counter<string>;
  readonly passiveFailures: Counter<string>;
  readonly workerRestarts: Counter<string>;

  /** healthSamples is read at scrape time, so removed targets disappear from the gauge. */
  constructor(healthSamples: () => TargetHealthSample[], configInfo: () => { hash: string; workers: number }) {
    const registers = [this.registry];
    this.reloads = new Counter({ name: 'alb_reloads_total', help: 'Config reloads attempted', registers });
    this.reloadsFailed = new Counter({ name: 'alb_reloads_failed_total', help: 'Config reloads refused or rolled back', registers });
    this.passiveFailures = new Counter({
      name: 'alb_target_passive_failures_total',
      help: 'Connect errors/timeouts seen by the workers while proxying, by target and reason',
      labelNames: ['backend', 'target', 'reason'], registers,
    });
    this.workerRestarts = new Counter({ name: 'alb_worker_restarts_total', help: 'Workers restarted after an unexpected exit', registers });
    new Gauge({
      name: 'alb_target_healthy',
      help: 'Active health check verdict per target (1 healthy, 0 unhealthy)',
      labelNames: ['backend', 'target'], registers,
      collect() {
        this.reset();
        for (const s of healthSamples()) this.labels(s.backend, s.target).set(s.healthy ? 1 : 0);
      },
    });
    new Gauge({
      name: 'alb_config_info',
      help: 'The config being served (value 1), labelled with its sha256',
      labelNames: ['hash'], registers,
      collect() {
        this.reset();
        this.labels(configInfo().hash).set(1);
      },
    });
    new Gauge({
      name: 'alb_workers',
      help: 'Worker processes currently running',
      registers,
      collect() {
        this.set(configInfo().workers);
      },
    });
  }
}
