/**
 * Forks the data-plane workers and keeps their number up: a worker that exits while the node
 * is serving is replaced, with a back-off so a worker that crashes at once does not spin.
 */
import cluster from 'cluster';
import { EventLog } from '../log/event-log';
import { WorkerMessage } from './ipc';
import { ClusterWorkerHandle, WorkerHandle } from './worker-handle';
import { WorkerSettings, WORKER_SETTINGS_ENV } from './worker-settings';

export interface WorkerPoolHooks {
  /** Brings a fresh worker up to the node's current config and health; rejects to discard it. */
  initialize(handle: WorkerHandle): Promise<void>;
  onTargetFailed(backendId: string, targetId: string, reason: string): void;
  onRestart(oldPid: number, code: number | null, signal: string | null): void;
}

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 10_000;
/** A worker that lived this long was healthy: its replacement starts without back-off. */
const STABLE_AFTER_MS = 10_000;

export class WorkerPool {
  private readonly live = new Map<number, ClusterWorkerHandle>();
  private readonly ready = new Set<ClusterWorkerHandle>();
  private nextId = 1;
  private backoffMs = MIN_BACKOFF_MS;
  private stopping = false;
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  restarts = 0;

  constructor(
    private readonly count: number,
    private readonly settings: WorkerSettings,
    private readonly hooks: WorkerPoolHooks,
    private readonly log: EventLog,
  ) {
    // Round-robin in the primary rather than SCHED_NONE (kernel hands out accepts): with a
    // shared listening socket Linux wakes the worker that waited last, so most connections
    // pile onto one or two workers (Node's docs report >70% on 2 of 8), which defeats the
    // per-core workers and makes least-connections per worker meaningless. The price is one
    // accept + fd hand-off in the primary per new connection, which keep-alive amortises;
    // the primary does no other per-request work. With a single worker there is nothing to
    // balance, so that hop is pure overhead and the worker accepts for itself (SCHED_NONE;
    // measured in docs/performance-notes.md). Set explicitly: Windows and the NODE_CLUSTER_SCHED_POLICY
    // variable would choose otherwise.
    cluster.schedulingPolicy = count === 1 ? cluster.SCHED_NONE : cluster.SCHED_RR;
  }

  /** Forks every worker and initializes it; rejects (after stopping them) if any fails. */
  async start(): Promise<void> {
    const starts: Promise<void>[] = [];
    for (let i = 0; i < this.count; i++) starts.push(this.fork());
    const results = await Promise.allSettled(starts);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      this.stopping = true;
      for (const t of this.restartTimers) clearTimeout(t);
      for (const h of this.live.values()) h.kill();
      throw failed.reason;
    }
  }

  /** Initialized, running workers: the ones a reload must reach. */
  handles(): WorkerHandle[] {
    return [...this.ready];
  }

  /** Every live worker process, initialized or not (for status). */
  size(): number {
    return this.live.size;
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const t of this.restartTimers) clearTimeout(t);
    await Promise.all([...this.live.values()].map((h) => h.shutdown(graceMs)));
  }

  private fork(): Promise<void> {
    const id = this.nextId++;
    const worker = cluster.fork({ [WORKER_SETTINGS_ENV]: JSON.stringify(this.settings) });
    const handle = new ClusterWorkerHandle(id, worker, (h, m) => this.onMessage(h, m));
    this.live.set(id, handle);

    worker.once('exit', (code, signal) => {
      this.live.delete(id);
      this.ready.delete(handle);
      if (this.stopping) return;
      this.restarts++;
      const lived = Date.now() - handle.startedAt.getTime();
      this.backoffMs = lived > STABLE_AFTER_MS ? MIN_BACKOFF_MS : Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
      const delay = lived > STABLE_AFTER_MS ? 0 : this.backoffMs;
      this.log.warn({ workerPid: handle.pid, code, signal, restartInMs: delay }, 'worker exited; restarting');
      this.hooks.onRestart(handle.pid, code, signal);
      const timer = setTimeout(() => {
        this.restartTimers.delete(timer);
        if (this.stopping) return;
        this.fork().catch((err: Error) => this.log.error({ err: err.message }, 'replacement worker failed to start'));
      }, delay);
      this.restartTimers.add(timer);
    });

    return new Promise<void>((resolve, reject) => {
      const onExit = () => reject(new Error(`worker ${handle.pid} exited before it was ready`));
      worker.once('exit', onExit);
      worker.on('message', (message: WorkerMessage) => {
        if (message?.kind !== 'alb:ready') return;
        this.hooks.initialize(handle).then(() => {
          worker.off('exit', onExit);
          if (this.stopping) return resolve();
          this.ready.add(handle);
          this.log.info({ workerPid: handle.pid, worker: id }, 'worker serving');
          resolve();
        }, (err: Error) => {
          worker.off('exit', onExit);
          this.log.error({ workerPid: handle.pid, err: err.message }, 'worker could not apply the config');
          handle.kill();
          reject(err);
        });
      });
    });
  }

  private onMessage(_handle: ClusterWorkerHandle, message: WorkerMessage): void {
    if (message.kind === 'alb:targetFailed') {
      this.hooks.onTargetFailed(message.backendId, message.targetId, message.reason);
    }
  }
}
