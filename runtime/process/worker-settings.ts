import { AccessLogTarget } from '../log/access-log';

/** Passed from the primary to each forked worker in this environment variable (JSON). */
export const WORKER_SETTINGS_ENV = 'ALB_RUNTIME_WORKER_SETTINGS';

export interface WorkerSettings {
  node: string | undefined;
  accessLog: AccessLogTarget;
  /** Drain bound used when the primary disappears without saying how long to drain. */
  drainMs: number;
  /**
   * Number of workers of this node: each enforces 1/workers of the per-node listener limits
   * (qps, activeConnections) — see createDataPlane.
   */
  workers: number;
}
