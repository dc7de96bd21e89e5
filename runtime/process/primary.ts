/**
 * The node's primary process (`alb-runtime run`): loads and checks the config, serves the
 * admin endpoint, runs the data-plane workers and the node's health checks, reloads on SIGHUP
 * and drains on SIGTERM/SIGINT. It proxies nothing itself.
 */
import cluster from 'cluster';
import * as fs from 'fs';
import { AggregatorRegistry } from 'prom-client';
import { LbConfig } from '../../lib/config/types';
import { AdminServer, startAdminServer } from '../admin/server';
import { readAdminToken } from '../admin/token';
import { buildStatus, ReloadOutcome } from '../admin/status';
import { sha256Hex as configHash } from '../../lib/config/hash';
import { ConfigError, formatIssues } from '../config/issues';
import { loadConfigBytes, loadConfigFile, LoadedConfig } from '../config/load';
import { createDataPlane } from '../dataplane';
import { AccessLogTarget, createAccessLog } from '../log/access-log';
import { createEventLog, EventLog } from '../log/event-log';
import { NodeMetrics } from '../metrics/node-metrics';
import { RequestMetrics } from '../metrics/request-metrics';
import { ConfigFileRef, ConfigFiles } from './config-files';
import { HealthHub } from './health-hub';
import type { TargetVerdict } from './ipc';
import { InProcessWorkerHandle, WorkerHandle } from './worker-handle';
import { WorkerObserver } from './worker-observer';
import { WorkerPool } from './worker-pool';
import { SERVING_V8_FLAGS } from './v8-flags';
import { NodeFiles, nodeFiles, removeQuietly, writeFileAtomic } from '../../lib/process/state-dir';

export interface RunOptions {
  configFile: string;
  node?: string;
  /** Bind address when no --node is given. */
  bind: string;
  /** 0: the data plane runs inside this process (no cluster). */
  workers: number;
  adminPort?: number;
  accessLog: AccessLogTarget;
  stateDir?: string;
  /** How long a stop waits for in-flight requests. */
  drainMs: number;
}

/**
 * V8's young generation per worker (MiB per semi-space; V8's default grows to 16). A proxy
 * worker allocates in bursts (a wave of new connections, a reload) and V8 keeps the grown
 * semi-spaces committed afterwards: measured with 10,000 idle keep-alive connections on one
 * worker, 8 MiB keeps ~10 MiB less resident than the default at no measurable cost in small
 * keep-alive req/s (2 MiB saves the same but costs ~2-3 % CPU per request). An explicit
 * --max-semi-space-size in NODE_OPTIONS or the node command line wins.
 */
const WORKER_SEMI_SPACE_MIB = 8;

/** Flags a worker gets unless the user chose that setting (pattern matched on node flags). */
const WORKER_DEFAULTS: ReadonlyArray<[RegExp, string]> = [
  [/^--max[-_]semi[-_]space[-_]size\b/, `--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`],
  [/^--(no[-_])?memory[-_]reducer\b/, SERVING_V8_FLAGS[0]],
];

/**
 * Node flags for the worker processes: the primary's own, plus the young-generation cap and
 * no memory reducer — each unless the user set it (node command line or NODE_OPTIONS).
 */
export function workerExecArgv(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  const out = [...execArgv];
  for (const [pattern, flag] of WORKER_DEFAULTS) if (!given.some((a) => pattern.test(a))) out.push(flag);
  return out;
}

/** A worker must answer a status/metrics question within this, or it is reported as silent. */
const WORKER_QUERY_TIMEOUT_MS = 2000;

export class Primary {
  private readonly log: EventLog;
  private readonly health: HealthHub;
  private readonly metrics: NodeMetrics;
  private readonly files: NodeFiles | null;
  private current!: LoadedConfig;
  private configFile: string;
  private bindAddress = '';
  private admin: AdminServer | null = null;
  /** The admin endpoint's bearer token (from config admin.tokenFile), or null. Never logged. */
  private adminToken: string | null = null;
  private pool: WorkerPool | null = null;
  private inProcess: InProcessWorkerHandle | null = null;
  private readonly startedAt = new Date();
  private serving = false;
  private draining = false;
  private lastReload: ReloadOutcome | null = null;
  /** Bumped on every committed config: a worker initialized during a reload re-applies. */
  private generation = 0;
  private reloadChain: Promise<void> = Promise.resolve();
  private reloadQueued = false;
  /** The primary's copies of the configs in use, which worker processes read (./config-files). */
  private readonly configFiles = new ConfigFiles();

  constructor(private readonly options: RunOptions) {
    this.log = createEventLog('primary', options.node);
    this.configFile = options.configFile;
    this.files = options.stateDir ? nodeFiles(options.stateDir, options.node) : null;
    this.health = new HealthHub((backendId, targetId, healthy, reason) => this.onHealthChange(backendId, targetId, healthy, reason));
    this.metrics = new NodeMetrics(
      () => this.current.config.backendServices.flatMap((b) => {
        const states = new Map((this.health.states(b.id) ?? []).map((s) => [s.targetId, s.healthy]));
        return b.targets.map((t) => ({ backend: b.id, target: t.id, healthy: states.get(t.id) ?? true }));
      }),
      () => ({ hash: this.current.hash, workers: this.workerHandles().length }),
    );
  }

  /** Loads the config and starts serving; throws ConfigError or a startup error. */
  async start(): Promise<void> {
    // Handlers go in first: a signal's default action would kill the node mid-startup. What
    // arrives before the node serves is acted on once it does.
    let early: 'reload' | 'stop' | null = null;
    let started = false;
    process.on('SIGHUP', () => (started ? this.requestReload() : (early = early ?? 'reload')));
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => (started ? void this.stop(signal) : (early = 'stop')));
    }
    // logrotate's postrotate: the workers reopen the access log under its name.
    process.on('SIGUSR1', () => this.reopenLogs());
    process.on('uncaughtException', (err) => this.crash(err));
    process.on('unhandledRejection', (err) => this.crash(err instanceof Error ? err : new Error(String(err))));
    this.current = loadConfigFile(this.configFile, { node: this.options.node });
    const healthProblems = HealthHub.problems(this.current.config);
    if (healthProblems.length) throw new Error(`invalid config: ${healthProblems.join('; ')}`);
    this.bindAddress = this.resolveBindAddress(this.current.config);

    // The admin endpoint comes first so its (possibly ephemeral) port is the first log line.
    const adminPort = this.options.adminPort ?? this.current.config.admin.port;
    this.adminToken = adminTokenOf(this.current.config);
    this.admin = await startAdminServer(this.current.config.admin.bindAddress ?? this.bindAddress, adminPort, {
      serving: () => this.serving,
      draining: () => this.draining,
      status: () => this.status(),
      metrics: () => this.collectMetrics(),
      token: () => this.adminToken,
    }, (err, path) => this.log.error({ err: err.message, path }, 'admin request failed'));
    this.log.info({ address: this.admin.address, port: this.admin.port, node: this.options.node ?? null },
      `admin listening on ${this.admin.address}:${this.admin.port}`);
    if (this.files) this.writeStateFiles();

    this.health.sync(this.current.config);
    try {
      if (this.options.workers === 0) {
        await this.startInProcess();
      } else {
        this.pool = new WorkerPool(this.options.workers, {
          node: this.options.node, accessLog: this.options.accessLog, drainMs: this.options.drainMs,
          workers: this.options.workers,
        }, {
          initialize: (handle) => this.initializeWorker(handle),
          onTargetFailed: (b, t, reason) => this.onTargetFailed(b, t, reason),
          onRestart: () => this.metrics.workerRestarts.inc(),
        }, this.log);
        // Only after the WorkerPool set cluster.schedulingPolicy: the first setupPrimary()
        // freezes the policy (called first, it silently kept SCHED_RR for a single worker).
        cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS) });
        await this.pool.start();
      }
    } catch (err) {
      await this.admin.close();
      this.removeStateFiles();
      this.configFiles.dispose();
      throw err;
    }
    this.health.start();
    this.serving = true;
    this.log.info({ configHash: this.current.hash, workers: this.options.workers, bind: this.bindAddress,
      listeners: this.current.config.listeners.filter((l) => l.enabled).map((l) => `${l.protocol}:${l.port}`) }, 'serving');

    started = true;
    if (early === 'stop') void this.stop('signal during startup');
    else if (early === 'reload') this.requestReload();
  }

  /** SIGHUP: reloads are serialized; signals arriving during one fold into one more reload. */
  requestReload(): void {
    if (this.draining) return;
    if (this.reloadQueued) return;
    this.reloadQueued = true;
    this.reloadChain = this.reloadChain.then(async () => {
      this.reloadQueued = false;
      await this.reload();
    });
  }

  async stop(why: string): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    this.serving = false;
    this.log.info({ why, drainMs: this.options.drainMs }, 'stopping: draining in-flight requests');
    this.health.stop();
    const timer = setTimeout(() => {
      this.log.error('drain did not finish in time; exiting');
      process.exit(1);
    }, this.options.drainMs + 10_000);
    timer.unref();
    try {
      await this.reloadChain;
      if (this.pool) await this.pool.stop(this.options.drainMs);
      if (this.inProcess) await this.inProcess.shutdown(this.options.drainMs);
      if (this.inProcessAccessLogClose) await this.inProcessAccessLogClose();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'error while draining');
    }
    if (this.admin) await this.admin.close();
    this.removeStateFiles();
    this.configFiles.dispose();
    this.log.info('stopped');
    process.exit(0);
  }

  private reopenLogs(): void {
    this.log.info('reopening access logs');
    for (const h of this.workerHandles()) {
      try {
        h.reopenLogs();
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'access log could not be reopened');
      }
    }
  }

  /**
   * A bug in the primary: leave a record and exit non-zero. The workers see the IPC channel
   * close and drain on their own; a supervisor (or the deploy target) restarts the node.
   */
  private crash(err: Error): void {
    this.log.fatal({ err: { message: err.message, stack: err.stack } }, 'primary crashed');
    this.configFiles.dispose();
    process.exit(70);
  }

  private inProcessAccessLogClose: (() => Promise<void>) | null = null;

  private async startInProcess(): Promise<void> {
    const metrics = new RequestMetrics();
    const accessLog = createAccessLog(this.options.accessLog);
    if (accessLog) this.inProcessAccessLogClose = () => accessLog.close();
    const observer = new WorkerObserver(metrics, accessLog, (b, t, reason) => this.onTargetFailed(b, t, reason));
    this.inProcess = new InProcessWorkerHandle(createDataPlane(observer), () => metrics.toJSON(), () => observer.requests, accessLog);
    await this.initializeWorker(this.inProcess);
  }

  /** Brings a (new) worker to the committed config and the current health verdicts. */
  private async initializeWorker(handle: WorkerHandle): Promise<void> {
    for (;;) {
      const generation = this.generation;
      try {
        await handle.apply(this.current.config, this.bindAddress, this.workerSource(this.current));
      } catch (err) {
        // A reload committed meanwhile (and may have removed the file this apply read): retry
        // with the new config; otherwise the worker really cannot serve it.
        if (generation === this.generation) throw err;
      }
      if (generation === this.generation) break;
    }
    handle.setTargetHealthMany(this.allVerdicts());
  }

  /**
   * Where worker processes read `loaded` (./config-files); undefined — the document then goes
   * inline over IPC, slower for large configs but equivalent — when the copy cannot be written
   * (e.g. a full or read-only temp directory).
   */
  private workerSource(loaded: LoadedConfig): ConfigFileRef | undefined {
    if (this.options.workers === 0) return undefined;
    try {
      return this.configFiles.put(loaded.hash, loaded.bytes);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot write the config copy for the workers; sending it over IPC');
      return undefined;
    }
  }

  /** Every current active-check verdict, for a worker to re-sync with (one message each). */
  private allVerdicts(): TargetVerdict[] {
    return this.health.allStates().map(({ backendId, state }): TargetVerdict => [backendId, state.targetId, state.healthy]);
  }

  private workerHandles(): WorkerHandle[] {
    if (this.inProcess) return [this.inProcess];
    return this.pool ? this.pool.handles() : [];
  }

  private async reload(): Promise<void> {
    const staged = this.files && fs.existsSync(this.files.staged) ? this.files.staged : null;
    const source = staged ?? this.configFile;
    this.metrics.reloads.inc();
    let hash: string | null = null;
    let bytes: Buffer | null = null;
    try {
      bytes = fs.readFileSync(source);
      hash = configHash(bytes);
    } catch {
      // loadConfigFile reports the read error below.
    }
    this.log.info({ source, hash }, 'reload requested');

    let next: LoadedConfig;
    try {
      next = bytes !== null ? loadConfigBytes(bytes, source, { node: this.options.node }) : loadConfigFile(source, { node: this.options.node });
    } catch (err) {
      const message = err instanceof ConfigError ? `invalid config:\n${formatIssues(err.issues)}` : (err as Error).message;
      return this.reloadFailed(hash, message, staged);
    }

    const healthProblems = HealthHub.problems(next.config);
    if (healthProblems.length) return this.reloadFailed(next.hash, `invalid config: ${healthProblems.join('; ')}`, staged);
    let nextToken: string | null;
    try {
      nextToken = adminTokenOf(next.config);
    } catch (err) {
      return this.reloadFailed(next.hash, (err as Error).message, staged);
    }

    const previous = this.current;
    const previousBind = this.bindAddress;
    const bind = this.resolveBindAddress(next.config);
    const handles = this.workerHandles();
    const applied: WorkerHandle[] = [];
    const nextSource = this.workerSource(next);
    const results = await Promise.allSettled(handles.map(async (h) => {
      await h.apply(next.config, bind, nextSource);
      applied.push(h);
    }));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      // All or nothing: workers that took the new config go back to the old one, so every
      // worker keeps serving the same document.
      const previousSource = this.workerSource(previous);
      await Promise.allSettled(applied.map((h) => h.apply(previous.config, previousBind, previousSource)));
      return this.reloadFailed(next.hash, `a worker could not apply the config: ${(failure.reason as Error).message}`, staged);
    }

    this.current = next;
    this.bindAddress = bind;
    this.generation++;
    this.health.sync(next.config);
    const verdicts = this.allVerdicts();
    for (const h of handles) h.setTargetHealthMany(verdicts);
    if (staged && this.files) {
      fs.renameSync(staged, this.files.config);
      this.configFile = this.files.config;
    }
    if (this.admin && next.config.admin.port !== previous.config.admin.port && this.options.adminPort === undefined) {
      this.log.warn({ from: previous.config.admin.port, to: next.config.admin.port },
        'admin port changes take effect at the next restart');
    }
    if (this.admin && (next.config.admin.bindAddress ?? null) !== (previous.config.admin.bindAddress ?? null)) {
      this.log.warn({ from: previous.config.admin.bindAddress ?? null, to: next.config.admin.bindAddress ?? null },
        'admin bind address changes take effect at the next restart');
    }
    this.adminToken = nextToken;
    if ((next.config.admin.tokenFile ?? null) !== (previous.config.admin.tokenFile ?? null)) this.writeStateFiles();
    this.configFiles.keepOnly([next.hash]);
    this.lastReload = { ok: true, hash: next.hash, error: null, at: new Date().toISOString() };
    this.log.info({ configHash: next.hash, workers: handles.length }, 'reload applied');
  }

  private reloadFailed(hash: string | null, error: string, staged: string | null): void {
    this.configFiles.keepOnly([this.current.hash]);
    this.metrics.reloadsFailed.inc();
    this.lastReload = { ok: false, hash, error, at: new Date().toISOString() };
    this.log.error({ hash, error }, 'reload refused; the previous config keeps serving');
    if (staged && this.files) {
      // Keep it for inspection, but out of the way of the next SIGHUP.
      try {
        fs.renameSync(staged, this.files.rejected);
      } catch {
        removeQuietly(staged);
      }
    }
  }

  private onHealthChange(backendId: string, targetId: string, healthy: boolean, reason: string | null): void {
    this.log.info({ backend: backendId, target: targetId, healthy, reason }, healthy ? 'target healthy' : 'target unhealthy');
    for (const h of this.workerHandles()) h.setTargetHealth(backendId, targetId, healthy);
  }

  private onTargetFailed(backendId: string, targetId: string, reason: string): void {
    this.health.recordPassiveFailure(backendId, targetId, reason);
    this.metrics.passiveFailures.labels(backendId, targetId, reason).inc();
  }

  private resolveBindAddress(config: LbConfig): string {
    if (this.options.node === undefined) return this.options.bind;
    // A VIP comes and goes on this host (VRRP): listen on every address to serve it while held.
    if (config.vip !== undefined) return '0.0.0.0';
    // loadConfigFile has checked that the node exists.
    return config.nodes.find((n) => n.name === this.options.node)!.address;
  }

  private async status(): Promise<unknown> {
    const handles = this.workerHandles();
    const reports = await Promise.all(handles.map((h) => h.report(WORKER_QUERY_TIMEOUT_MS)));
    return buildStatus({
      node: this.options.node ?? null,
      address: this.bindAddress,
      adminPort: this.admin?.port ?? 0,
      config: this.current.config,
      configHash: this.current.hash,
      configFile: this.configFile,
      startedAt: this.startedAt,
      serving: this.serving,
      draining: this.draining,
      workersConfigured: this.options.workers,
      workerRestarts: this.pool?.restarts ?? 0,
      workers: handles.map((h, i) => ({ id: h.id, pid: h.pid, startedAt: h.startedAt, report: reports[i] })),
      health: this.health,
      lastReload: this.lastReload,
    });
  }

  /** Sums the workers' registries (counters, histograms, connection gauges) and adds the node's own. */
  private async collectMetrics(): Promise<{ contentType: string; body: string }> {
    const perWorker = await Promise.all(this.workerHandles().map((h) => h.metrics(WORKER_QUERY_TIMEOUT_MS)));
    const all = perWorker.filter((m): m is unknown[] => m !== null);
    all.push(await this.metrics.registry.getMetricsAsJSON());
    const aggregated = AggregatorRegistry.aggregate(all as Parameters<typeof AggregatorRegistry.aggregate>[0]);
    return { contentType: aggregated.contentType, body: await aggregated.metrics() };
  }

  private writeStateFiles(): void {
    if (!this.files || !this.admin) return;
    const host = this.admin.address === '0.0.0.0' ? '127.0.0.1' : this.admin.address === '::' ? '::1' : this.admin.address;
    writeFileAtomic(this.files.pid, `${process.pid}\n`);
    // The token file's path (not the token) lets `status` and `reload` authenticate.
    const tokenFile = this.current.config.admin.tokenFile ?? null;
    writeFileAtomic(this.files.admin, `${JSON.stringify({ host, port: this.admin.port, pid: process.pid, tokenFile })}\n`);
  }

  private removeStateFiles(): void {
    if (!this.files) return;
    // Only our own: a newer process may have taken over the directory.
    try {
      if (Number(fs.readFileSync(this.files.pid, 'utf8').trim()) !== process.pid) return;
    } catch {
      return;
    }
    removeQuietly(this.files.admin);
    removeQuietly(this.files.pid);
  }
}

/** The bearer token a config asks the admin endpoint for, read from its file; null when none. */
function adminTokenOf(config: LbConfig): string | null {
  const file = config.admin.tokenFile;
  return file === undefined || file === null ? null : readAdminToken(file);
}
