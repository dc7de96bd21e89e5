/**
 * The primary's view of one data-plane worker. Two kinds: a node:cluster worker process
 * (talked to over IPC) and an in-process data plane (`--workers 0`, for debugging and tests),
 * so the primary's reload, health and status logic is the same for both.
 */
import type { Worker } from 'cluster';
import { LbConfig } from '../../lib/config/types';
import { DataPlane } from '../dataplane-types';
import { AccessLog } from '../log/access-log';
import type { ConfigFileRef } from './config-files';
import { PrimaryMessage, TargetVerdict, WorkerMessage, WorkerMetrics, WorkerReport, isWorkerMessage } from './ipc';

export interface WorkerHandle {
  /** Stable per pool slot generation: 1, 2, ... (in-process: 0). */
  readonly id: number;
  readonly pid: number;
  readonly startedAt: Date;
  /**
   * Serves `config`. A worker process reads it from `source` when given (the same bytes,
   * verified by hash: much cheaper than sending a large document over IPC).
   */
  apply(config: LbConfig, bindAddress: string, source?: ConfigFileRef): Promise<void>;
  setTargetHealth(backendId: string, targetId: string, healthy: boolean): void;
  /** The same for many targets at once (one IPC message). */
  setTargetHealthMany(verdicts: TargetVerdict[]): void;
  /** null when the worker did not answer in time (busy or exiting). */
  report(timeoutMs: number): Promise<WorkerReport | null>;
  /** The worker's metric registry as JSON; null when it did not answer in time. */
  metrics(timeoutMs: number): Promise<WorkerMetrics | null>;
  /** Reopens the access log file (after log rotation). */
  reopenLogs(): void;
  /** Drains and stops the worker; resolves once it is gone. */
  shutdown(graceMs: number): Promise<void>;
  /** Immediate stop (SIGKILL for processes). */
  kill(): void;
}

/** An apply may open listeners, read certificates and wait for draining servers: be generous. */
const APPLY_TIMEOUT_MS = 30_000;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class ClusterWorkerHandle implements WorkerHandle {
  readonly startedAt = new Date();
  private nextRequestId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly exited: Promise<void>;
  private gone = false;

  constructor(
    readonly id: number,
    private readonly worker: Worker,
    onMessage: (handle: ClusterWorkerHandle, message: WorkerMessage) => void,
  ) {
    worker.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) return;
      if (message.kind === 'alb:applied') {
        this.settle(message.id, message.error === null ? null : new Error(message.error), undefined);
      } else if (message.kind === 'alb:snapshot') {
        this.settle(message.id, null, message.report);
      } else if (message.kind === 'alb:metrics') {
        this.settle(message.id, null, message.metrics);
      } else {
        onMessage(this, message);
      }
    });
    this.exited = new Promise((resolve) => {
      worker.once('exit', (code, signal) => {
        this.gone = true;
        for (const [id] of this.pending) {
          this.settle(id, new Error(`worker ${this.pid} exited (${signal ?? `code ${code}`})`), undefined);
        }
        resolve();
      });
    });
  }

  get pid(): number {
    return this.worker.process.pid ?? -1;
  }

  apply(config: LbConfig, bindAddress: string, source?: ConfigFileRef): Promise<void> {
    return this.request(APPLY_TIMEOUT_MS, 'apply', (id) => (source !== undefined
      ? { kind: 'alb:applyFile', id, source, bindAddress }
      : { kind: 'alb:apply', id, config, bindAddress })) as Promise<void>;
  }

  setTargetHealth(backendId: string, targetId: string, healthy: boolean): void {
    this.send({ kind: 'alb:health', backendId, targetId, healthy });
  }

  setTargetHealthMany(verdicts: TargetVerdict[]): void {
    if (verdicts.length > 0) this.send({ kind: 'alb:healthMany', verdicts });
  }

  async report(timeoutMs: number): Promise<WorkerReport | null> {
    try {
      return await this.request(timeoutMs, 'snapshot', (id) => ({ kind: 'alb:snapshot', id })) as WorkerReport;
    } catch {
      return null;
    }
  }

  reopenLogs(): void {
    this.send({ kind: 'alb:reopenLogs' });
  }

  async metrics(timeoutMs: number): Promise<WorkerMetrics | null> {
    try {
      return await this.request(timeoutMs, 'metrics', (id) => ({ kind: 'alb:metrics', id })) as WorkerMetrics;
    } catch {
      return null;
    }
  }

  async shutdown(graceMs: number): Promise<void> {
    this.send({ kind: 'alb:shutdown', graceMs });
    // The worker exits itself after draining; a worker that hangs past the grace is killed.
    const timer = setTimeout(() => this.kill(), graceMs + 5000);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.gone) this.worker.process.kill('SIGKILL');
  }

  private request(timeoutMs: number, what: string, make: (id: number) => PrimaryMessage): Promise<unknown> {
    if (this.gone) return Promise.reject(new Error(`worker ${this.pid} is gone`));
    const id = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, new Error(`worker ${this.pid}: ${what} timed out after ${timeoutMs} ms`), undefined), timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send(make(id));
    });
  }

  private settle(id: number, error: Error | null, value: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve(value);
  }

  private send(message: PrimaryMessage): void {
    if (this.gone || !this.worker.isConnected()) return;
    // A send racing the worker's exit fails with EPIPE/ERR_IPC_CHANNEL_CLOSED: the exit handler
    // settles whatever was waiting on it.
    this.worker.send(message, undefined, () => undefined);
  }
}

/** `--workers 0`: the data plane runs inside the primary process. */
export class InProcessWorkerHandle implements WorkerHandle {
  readonly id = 0;
  readonly pid = process.pid;
  readonly startedAt = new Date();

  constructor(private readonly dataPlane: DataPlane, private readonly metricsJson: () => WorkerMetrics,
    private readonly requests: () => number, private readonly accessLog: AccessLog | null) {}

  reopenLogs(): void {
    this.accessLog?.reopen();
  }

  async apply(config: LbConfig, bindAddress: string): Promise<void> {
    await this.dataPlane.apply(config, bindAddress);
  }

  setTargetHealth(backendId: string, targetId: string, healthy: boolean): void {
    try {
      this.dataPlane.setTargetHealth(backendId, targetId, healthy);
    } catch {
      // A verdict for a target the data plane no longer has: the next sync repeats the current ones.
    }
  }

  setTargetHealthMany(verdicts: TargetVerdict[]): void {
    for (const [backendId, targetId, healthy] of verdicts) this.setTargetHealth(backendId, targetId, healthy);
  }

  async report(): Promise<WorkerReport | null> {
    return { snapshot: this.dataPlane.snapshot(), requests: this.requests() };
  }

  async metrics(): Promise<WorkerMetrics | null> {
    return this.metricsJson();
  }

  shutdown(graceMs: number): Promise<void> {
    return this.dataPlane.close(graceMs);
  }

  kill(): void {
    void this.dataPlane.close(0);
  }
}
