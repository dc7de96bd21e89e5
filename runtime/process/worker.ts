/**
 * A cluster worker: runs one DataPlane and does what the primary says (apply a config, take a
 * health verdict, report a snapshot, drain and exit). It never reads the user's config file:
 * the primary validated it, and every worker must serve exactly the same document — it reads
 * the primary's hash-checked copy (./config-files) or takes the document from the message.
 */
import type { LbConfig } from '../../lib/config/types';
import { createDataPlane } from '../dataplane';
import type { DataPlaneSnapshot } from '../dataplane-types';
import { createAccessLog } from '../log/access-log';
import { createEventLog } from '../log/event-log';
import { RequestMetrics } from '../metrics/request-metrics';
import { readConfigFile } from './config-files';
import { PrimaryMessage, WorkerMessage, isPrimaryMessage } from './ipc';
import { WorkerObserver } from './worker-observer';
import { WorkerSettings, WORKER_SETTINGS_ENV } from './worker-settings';

/**
 * The snapshot for /status without the targets that have nothing to report (idle and not
 * ejected): the primary lists every target from the config anyway and counts a missing one as
 * 0 active, not ejected. With 10,000 targets this keeps a /status from serialising ~1 MB per
 * worker over IPC.
 */
function reportedSnapshot(full: DataPlaneSnapshot): DataPlaneSnapshot {
  return {
    ...full,
    backends: full.backends.map((b) => ({ ...b, targets: b.targets.filter((t) => t.active !== 0 || t.ejected) })),
  };
}

export function runWorker(): void {
  const settings = JSON.parse(process.env[WORKER_SETTINGS_ENV] ?? '{}') as WorkerSettings;
  const log = createEventLog('worker', settings.node);
  const send = (message: WorkerMessage) => {
    if (process.connected) process.send!(message, undefined, {}, () => undefined);
  };

  // The primary asks every worker for these at scrape time and sums them up.
  const metrics = new RequestMetrics();
  const accessLog = createAccessLog(settings.accessLog);
  const observer = new WorkerObserver(metrics, accessLog, (backendId, targetId, reason) =>
    send({ kind: 'alb:targetFailed', backendId, targetId, reason }));
  const dataPlane = createDataPlane(observer, settings.workers ?? 1);

  let stopping = false;
  const stop = async (graceMs: number, why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ graceMs, why }, 'worker draining');
    try {
      await dataPlane.close(graceMs);
    } catch (err) {
      log.error({ err }, 'worker close failed');
    }
    if (accessLog) await accessLog.close();
    process.exit(0);
  };

  process.on('message', (message: unknown) => {
    if (!isPrimaryMessage(message)) return;
    const m = message as PrimaryMessage;
    switch (m.kind) {
      case 'alb:apply':
      case 'alb:applyFile':
        // Through a promise so that a synchronous throw (also an unreadable or changed config
        // file) is a refused apply, not a crash.
        Promise.resolve().then(() => dataPlane.apply(
          m.kind === 'alb:apply' ? m.config : readConfigFile(m.source) as LbConfig, m.bindAddress)).then(
          () => send({ kind: 'alb:applied', id: m.id, error: null }),
          (err: Error) => send({ kind: 'alb:applied', id: m.id, error: err.message || String(err) }),
        );
        break;
      case 'alb:health':
        try {
          dataPlane.setTargetHealth(m.backendId, m.targetId, m.healthy);
        } catch (err) {
          log.error({ err: (err as Error).message, backend: m.backendId, target: m.targetId }, 'health verdict not applied');
        }
        break;
      case 'alb:healthMany':
        for (const [backendId, targetId, healthy] of m.verdicts) {
          try {
            dataPlane.setTargetHealth(backendId, targetId, healthy);
          } catch (err) {
            log.error({ err: (err as Error).message, backend: backendId, target: targetId }, 'health verdict not applied');
          }
        }
        break;
      case 'alb:snapshot':
        send({ kind: 'alb:snapshot', id: m.id, report: { snapshot: reportedSnapshot(dataPlane.snapshot()), requests: observer.requests } });
        break;
      case 'alb:metrics':
        send({ kind: 'alb:metrics', id: m.id, metrics: metrics.toJSON() });
        break;
      case 'alb:reopenLogs':
        try {
          accessLog?.reopen();
        } catch (err) {
          log.error({ err: (err as Error).message }, 'access log could not be reopened; still writing to the old file');
        }
        break;
      case 'alb:shutdown':
        void stop(m.graceMs, 'primary asked');
        break;
    }
  });

  // Ctrl-C in a terminal signals the whole process group: the workers wait for the primary,
  // which orders the drain, instead of dying mid-request.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);
  // Log rotation goes through the primary; by default SIGUSR1 would open Node's inspector.
  process.on('SIGUSR1', () => undefined);
  // The primary is gone (killed): nobody will tell us what to serve any more.
  process.on('disconnect', () => void stop(settings.drainMs, 'primary disconnected'));
  process.on('uncaughtException', (err) => {
    // State is unknown after an uncaught exception: exit and let the primary start a fresh worker.
    log.fatal({ err }, 'worker crashed');
    process.exit(70);
  });

  send({ kind: 'alb:ready' });
}
