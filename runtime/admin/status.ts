/**
 * Builds the /status document from the primary's view (config, health, reloads) and the
 * workers' snapshots (connections and in-flight counts, summed over workers). The config is
 * the skeleton, so a listener or target is listed even when no worker answered in time.
 */
import { LbConfig } from '../../lib/config/types';
import { ListenerSnapshot, TargetSnapshot } from '../dataplane-types';
import type { HealthHub, PassiveFailureCounts } from '../process/health-hub';
import { WorkerReport } from '../process/ipc';

export interface ReloadOutcome {
  ok: boolean;
  /** sha256 of the file that was tried. */
  hash: string | null;
  error: string | null;
  at: string;
}

export interface WorkerView {
  id: number;
  pid: number;
  startedAt: Date;
  report: WorkerReport | null;
}

export interface StatusInput {
  node: string | null;
  address: string;
  adminPort: number;
  config: LbConfig;
  configHash: string;
  configFile: string;
  startedAt: Date;
  serving: boolean;
  draining: boolean;
  workersConfigured: number;
  workerRestarts: number;
  workers: WorkerView[];
  health: HealthHub;
  lastReload: ReloadOutcome | null;
}

export interface TargetStatus {
  id: string;
  address: string;
  port: number;
  weight: number;
  healthy: boolean;
  reason: string | null;
  healthCheck: 'on' | 'off';
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  lastCheckAt: number | string | null;
  lastChangeAt: number | string | null;
  /** Passively ejected by at least one worker right now. */
  ejected: boolean;
  /** In-flight requests / connections, summed over workers. */
  active: number;
  passiveFailures: PassiveFailureCounts;
}

export function buildStatus(input: StatusInput): Record<string, unknown> {
  const reports = input.workers.map((w) => w.report).filter((r): r is WorkerReport => r !== null);

  const listenerSnaps = new Map<string, ListenerSnapshot[]>();
  const targetSnaps = new Map<string, TargetSnapshot[]>();
  for (const r of reports) {
    for (const l of r.snapshot.listeners) push(listenerSnaps, l.id, l);
    for (const b of r.snapshot.backends) for (const t of b.targets) push(targetSnaps, `${b.id}\u0000${t.id}`, t);
  }

  const listeners = input.config.listeners.map((l) => {
    const snaps = listenerSnaps.get(l.id) ?? [];
    return {
      id: l.id,
      path: l.path,
      protocol: l.protocol,
      address: snaps[0]?.address ?? input.address,
      port: l.port,
      backendService: l.backendService,
      enabled: l.enabled,
      open: snaps.length > 0,
      activeConnections: snaps.reduce((sum, s) => sum + s.activeConnections, 0),
    };
  });

  const backends = input.config.backendServices.map((b) => {
    const states = input.health.states(b.id);
    const byTarget = new Map((states ?? []).map((s) => [s.targetId, s]));
    const targets: TargetStatus[] = b.targets.map((t) => {
      const state = byTarget.get(t.id);
      const snaps = targetSnaps.get(`${b.id}\u0000${t.id}`) ?? [];
      return {
        id: t.id,
        address: t.address,
        port: t.port,
        weight: t.weight,
        healthy: state ? state.healthy : true,
        reason: state ? state.reason ?? null : null,
        healthCheck: states ? 'on' : 'off',
        consecutiveSuccesses: state?.consecutiveSuccesses ?? 0,
        consecutiveFailures: state?.consecutiveFailures ?? 0,
        lastCheckAt: state?.lastCheckAt ?? null,
        lastChangeAt: state?.lastChangeAt ?? null,
        ejected: snaps.some((s) => s.ejected),
        active: snaps.reduce((sum, s) => sum + s.active, 0),
        passiveFailures: input.health.passiveFailures(b.id, t.id),
      };
    });
    return {
      id: b.id,
      path: b.path,
      protocol: b.protocol,
      algorithm: b.algorithm,
      healthyTargets: targets.filter((t) => t.healthy && !t.ejected).length,
      targets,
    };
  });

  const now = Date.now();
  return {
    node: input.node,
    pid: process.pid,
    address: input.address,
    adminPort: input.adminPort,
    loadBalancer: input.config.loadBalancer.id,
    schemaVersion: input.config.schemaVersion,
    configHash: input.configHash,
    configFile: input.configFile,
    startedAt: input.startedAt.toISOString(),
    uptimeSeconds: Math.round((now - input.startedAt.getTime()) / 1000),
    serving: input.serving,
    draining: input.draining,
    workersConfigured: input.workersConfigured,
    workerRestarts: input.workerRestarts,
    workers: input.workers.map((w) => ({
      id: w.id,
      pid: w.pid,
      startedAt: w.startedAt.toISOString(),
      responding: w.report !== null,
      requests: w.report?.requests ?? null,
    })),
    listeners,
    backends,
    lastReload: input.lastReload,
  };
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
