/**
 * Health, once per node: the primary runs one ActiveHealthChecker per backend service and
 * fans each verdict out to every worker (checking from every worker would multiply the probe
 * traffic each backend sees by the worker count). Passive failures reported by the workers
 * are counted here, per target and reason, for /status and /metrics.
 */
import { BackendServiceConfig, LbConfig } from '../../lib/config/types';
import { ActiveHealthChecker, checkHealthSettings, TargetHealthState } from '../health/active';

export type HealthChange = (backendId: string, targetId: string, healthy: boolean, reason: string | null) => void;

export interface PassiveFailureCounts {
  total: number;
  byReason: Record<string, number>;
}

export class HealthHub {
  private readonly checkers = new Map<string, ActiveHealthChecker>();
  /** backendId → targetId → counts; kept across reloads for targets that stay. */
  private readonly passive = new Map<string, Map<string, PassiveFailureCounts>>();
  private started = false;

  constructor(private readonly onChange: HealthChange) {}

  /** Creates, updates and stops checkers so they match the config's backend services. */
  sync(config: LbConfig): void {
    const wanted = new Map(config.backendServices.map((b) => [b.id, b]));
    for (const [id, checker] of this.checkers) {
      const backend = wanted.get(id);
      if (!backend || !backend.healthCheck.enabled) {
        checker.stop();
        this.checkers.delete(id);
        // Checks switched off: "every target gets traffic" — lift any verdict still standing.
        if (backend) for (const t of backend.targets) this.onChange(id, t.id, true, null);
      }
    }
    for (const backend of wanted.values()) {
      if (!backend.healthCheck.enabled) continue;
      const existing = this.checkers.get(backend.id);
      if (existing) {
        existing.update(backend);
      } else {
        const checker = this.createChecker(backend);
        this.checkers.set(backend.id, checker);
        if (this.started) checker.start();
      }
    }
    for (const id of this.passive.keys()) if (!wanted.has(id)) this.passive.delete(id);
  }

  /**
   * Problems the checkers would throw on (e.g. an unparsable httpCodes list), found before a
   * config is applied anywhere so that a reload is refused as a whole.
   */
  static problems(config: LbConfig): string[] {
    const problems: string[] = [];
    for (const backend of config.backendServices) {
      try {
        // What a checker's construction would throw on, without its per-target state (10,000
        // targets: tens of ms on every reload).
        checkHealthSettings(backend);
      } catch (err) {
        problems.push(`backend service "${backend.id}" health check: ${(err as Error).message}`);
      }
    }
    return problems;
  }

  start(): void {
    this.started = true;
    for (const c of this.checkers.values()) c.start();
  }

  stop(): void {
    this.started = false;
    for (const c of this.checkers.values()) c.stop();
  }

  /** Current active-check states of one backend; null when its checks are off. */
  states(backendId: string): TargetHealthState[] | null {
    return this.checkers.get(backendId)?.states() ?? null;
  }

  /** Every current verdict, for a worker that has just started. */
  allStates(): Array<{ backendId: string; state: TargetHealthState }> {
    const all: Array<{ backendId: string; state: TargetHealthState }> = [];
    for (const [backendId, checker] of this.checkers) {
      for (const state of checker.states()) all.push({ backendId, state });
    }
    return all;
  }

  recordPassiveFailure(backendId: string, targetId: string, reason: string): void {
    let byTarget = this.passive.get(backendId);
    if (!byTarget) {
      byTarget = new Map();
      this.passive.set(backendId, byTarget);
    }
    let counts = byTarget.get(targetId);
    if (!counts) {
      counts = { total: 0, byReason: {} };
      byTarget.set(targetId, counts);
    }
    counts.total++;
    counts.byReason[reason] = (counts.byReason[reason] ?? 0) + 1;
  }

  passiveFailures(backendId: string, targetId: string): PassiveFailureCounts {
    return this.passive.get(backendId)?.get(targetId) ?? { total: 0, byReason: {} };
  }

  private createChecker(backend: BackendServiceConfig): ActiveHealthChecker {
    return new ActiveHealthChecker(backend, (targetId, healthy, reason) =>
      this.onChange(backend.id, targetId, healthy, reason ?? null));
  }
}
