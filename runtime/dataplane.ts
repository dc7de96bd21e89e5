/**
 * The data plane of one worker process: the listeners of the current config and the backend
 * pools they proxy to (contract: ./dataplane-types.ts).
 *
 * apply() builds everything for the new config first (pools, TLS material, header plans),
 * opens the listeners that are new, and only then switches: a listener that cannot be opened
 * (port in use, bad certificate) rejects the whole apply and leaves the previous config
 * serving untouched. Listeners that stay (same address, port and protocol) keep their server
 * and connections and just take the new route.
 */
import type { LbConfig, ListenerConfig, UrlMapConfig } from '../lib/config/types';
import { BackendProtocol, ListenerProtocol } from '../lib/model/enums';
import { checkListenerCertificates, checkProtocolPairing, usesTls } from '../lib/model/listener';
import { issue, IssueError } from '../lib/model/messages';
import { checkListenerUrlMap } from '../lib/model/url-map';
import type { DataPlane, DataPlaneObserver, DataPlaneSnapshot } from './dataplane-types';
import { BackendPool } from './pool/backend-pool';
import { buildHeaderPlan, hstsValue } from './proxy/headers';
import { TokenBucket } from './proxy/limits';
import { ListenerServer } from './proxy/listener';
import { BackendRuntime, Route } from './proxy/routes';
import { buildTlsMaterial, TlsMaterial } from './proxy/tls';
import { UrlMapTable } from './proxy/url-map';
import { UrlMatcher } from '../lib/routing/matcher';
import type { UpstreamPool } from './proxy/h1-upstream';
import { UpstreamRegistry } from './proxy/upstreams';

/** How long a listener removed by a reload may take to finish its in-flight work. */
const REMOVED_LISTENER_GRACE_MS = 30_000;

interface PlannedListener {
  readonly key: string;
  readonly config: ListenerConfig;
  readonly tls: TlsMaterial | null;
}

class WorkerDataPlane implements DataPlane {
  private listeners = new Map<string, ListenerServer>();
  private backends = new Map<string, BackendRuntime>();
  private readonly upstreams = new UpstreamRegistry();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** URL maps of the config being applied, by id (read by buildRoute). */
  private urlMapConfigs = new Map<string, UrlMapConfig>();
  /** Session cookie names of every backend service of that config (stripped before targets see them). */
  private stickyCookieNames: string[] = [];

  constructor(private readonly observer: DataPlaneObserver, private readonly limitShares: number) {}

  apply(config: LbConfig, bindAddress: string): Promise<void> {
    // Serialised: a second reload waits for the first to finish switching.
    const run = this.queue.then(() => this.applyNow(config, bindAddress));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Backend runtimes for `config`. With `carryState`, pools are rebuilt from the current ones
   * (health, ejections and in-flight counts carry over by target id; the old pool forwards late
   * releases to the new one) — only done once the new listeners are open, because rebuilding
   * links the serving pools to the new ones. Without it, fresh pools stand in for the short
   * window between opening a new listener and switching.
   */
  private buildBackends(config: LbConfig, carryState: boolean): Map<string, BackendRuntime> {
    const out = new Map<string, BackendRuntime>();
    for (const b of config.backendServices) {
      const prev = this.backends.get(b.id);
      const pool = carryState && prev !== undefined
        ? BackendPool.rebuild(prev.pool, b, config.cookieSecret)
        : new BackendPool(b, config.cookieSecret);
      const upstreams = b.protocol === 'HTTP'
        ? pool.peers.map((p) => this.upstreams.get(p.address, p.port, b.timeouts.connectTimeoutMs))
        : [];
      out.set(b.id, {
        id: b.id,
        config: b,
        pool,
        upstreams,
        sticky: b.sessionPersistence !== null ? pool.sticky : null,
        connectTimeoutMs: b.timeouts.connectTimeoutMs,
        responseTimeoutMs: b.timeouts.responseTimeoutMs,
      });
    }
    return out;
  }

  /**
   * Checks one listener against the config with the model's rules (lib/model/listener.ts, as
   * synth and the config loader do: apply() may be handed a document nobody validated) and
   * loads its TLS material. Throws an IssueError.
   */
  private checkListener(l: ListenerConfig, config: LbConfig): TlsMaterial | null {
    const backend = config.backendServices.find((b) => b.id === l.backendService);
    if (backend === undefined) {
      throw new IssueError([issue(l.path, 'backendService', l.backendService, 'is not in the config', 'the id of a backend service of the document')]);
    }
    const protocol = l.protocol as ListenerProtocol;
    const issues = [
      ...checkProtocolPairing(l.path, protocol, backend.path, backend.protocol as BackendProtocol),
      ...checkListenerCertificates(l.path, protocol, l.tls?.defaultCertificates.length ?? 0),
    ];
    if (issues.length > 0) throw new IssueError(issues);
    if (l.urlMap) checkUrlMap(l, config);
    return l.tls === null || !usesTls(protocol) ? null : buildTlsMaterial(l.path, l.tls);
  }

  private buildRoute(l: ListenerConfig, backends: Map<string, BackendRuntime>, material: TlsMaterial | null): Route {
    const isHttp = l.protocol === 'HTTP' || l.protocol === 'HTTPS';
    const backend = backends.get(l.backendService) as BackendRuntime;
    const mapConfig = isHttp && l.urlMap ? (this.urlMapConfigs.get(l.urlMap) ?? null) : null;
    const urlMap = mapConfig === null ? null : new UrlMapTable(mapConfig, l, backends, this.stickyCookieNames, this.observer);
    return {
      listener: l,
      listenerId: l.id,
      backend,
      plan: isHttp
        ? buildHeaderPlan(l.protocol === 'HTTPS' ? 'https' : 'http', l.port, backend.config.forwardedHeaders, this.stickyCookieNames)
        : null,
      hsts: l.protocol === 'HTTPS' ? hstsValue(l.hsts) : null,
      secureCookie: l.protocol === 'HTTPS',
      limiter: isHttp && l.limits.qps > 0 ? new TokenBucket(shareOf(l.limits.qps, this.limitShares)) : null,
      maxConnections: l.limits.activeConnections < 0 ? Infinity : shareOf(l.limits.activeConnections, this.limitShares),
      sni: material === null ? null : material.sni,
      urlMap,
      maxResponseTimeoutMs: Math.max(backend.responseTimeoutMs, urlMap === null ? 0 : urlMap.maxResponseTimeoutMs),
    };
  }

  private async applyNow(config: LbConfig, bindAddress: string): Promise<void> {
    if (this.closed) throw new Error('the data plane is closed');
    this.urlMapConfigs = new Map((config.urlMaps ?? []).map((m) => [m.id, m]));
    this.stickyCookieNames = config.backendServices.flatMap((b) => (b.sessionPersistence === null ? [] : [b.sessionPersistence.cookieName]));
    const planned: PlannedListener[] = [];
    for (const l of config.listeners) {
      if (l.enabled) planned.push({ key: `${bindAddress}|${l.port}`, config: l, tls: this.checkListener(l, config) });
    }

    const updates: Array<[ListenerServer, PlannedListener]> = [];
    const fresh: PlannedListener[] = [];
    const replaced: Array<[ListenerServer, PlannedListener]> = [];
    const keep = new Set<string>();
    for (const p of planned) {
      keep.add(p.key);
      const existing = this.listeners.get(p.key);
      if (existing === undefined) fresh.push(p);
      else if (existing.kind === p.config.protocol) updates.push([existing, p]);
      else replaced.push([existing, p]);
    }

    // Open what is new before touching anything that serves now.
    const opened: Array<[ListenerServer, PlannedListener]> = [];
    const paused: ListenerServer[] = [];
    if (fresh.length > 0 || replaced.length > 0) {
      const standIn = this.buildBackends(config, false);
      const open = async (p: PlannedListener): Promise<void> => {
        const ls = new ListenerServer(p.config.protocol, bindAddress, p.config.port,
          this.buildRoute(p.config, standIn, p.tls), p.tls, this.observer);
        opened.push([ls, p]);
        await ls.listen();
      };
      try {
        for (const p of fresh) await open(p);
        // Same port, different protocol: the old server must release the port first.
        for (const [old, p] of replaced) {
          await old.stopAccepting();
          paused.push(old);
          await open(p);
        }
      } catch (err) {
        for (const [ls] of opened) void ls.drain(0);
        for (const old of paused) await old.resume().catch(() => undefined);
        this.releaseUnusedUpstreams(this.backends);
        throw err;
      }
    }

    // Switch (synchronous from here: no request sees a half-applied config).
    const backends = this.buildBackends(config, true);
    for (const [ls, p] of updates) ls.update(this.buildRoute(p.config, backends, p.tls), p.tls);
    for (const [ls, p] of opened) ls.update(this.buildRoute(p.config, backends, p.tls), null);
    for (const [old] of replaced) void old.drain(REMOVED_LISTENER_GRACE_MS);
    for (const [key, ls] of this.listeners) {
      if (!keep.has(key)) {
        this.listeners.delete(key);
        void ls.drain(REMOVED_LISTENER_GRACE_MS);
      }
    }
    for (const [ls, p] of opened) this.listeners.set(p.key, ls);
    this.backends = backends;
    this.releaseUnusedUpstreams(backends);
  }

  private releaseUnusedUpstreams(backends: Map<string, BackendRuntime>): void {
    const inUse = new Set<UpstreamPool>();
    for (const b of backends.values()) for (const u of b.upstreams) inUse.add(u);
    this.upstreams.retainOnly(inUse);
  }

  setTargetHealth(backendId: string, targetId: string, healthy: boolean): void {
    const b = this.backends.get(backendId);
    if (b !== undefined) b.pool.setHealth(targetId, healthy);
  }

  async close(graceMs: number): Promise<void> {
    this.closed = true;
    await this.queue;
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((ls) => ls.drain(graceMs)));
    await this.upstreams.closeAll(Math.min(graceMs, 1000));
  }

  snapshot(): DataPlaneSnapshot {
    const listeners = [];
    for (const ls of this.listeners.values()) {
      listeners.push({
        id: ls.state.route.listenerId,
        protocol: ls.kind,
        address: ls.address,
        port: ls.localPort,
        activeConnections: ls.state.active,
      });
    }
    const backends = [];
    for (const b of this.backends.values()) backends.push(b.pool.snapshot());
    return { listeners, backends };
  }
}

/**
 * What compiling a listener's URL map needs, checked before anything switches (the switch
 * itself must not throw): the map exists, its patterns compile, its targets are HTTP backends.
 */
function checkUrlMap(l: ListenerConfig, config: LbConfig): void {
  const map = (config.urlMaps ?? []).find((m) => m.id === l.urlMap);
  if (map === undefined) {
    throw new IssueError([issue(l.path, 'urlMap', l.urlMap, 'is not a URL map of the config', (config.urlMaps ?? []).map((m) => JSON.stringify(m.id)).join(', ') || '(no URL maps)')]);
  }
  const issues = checkListenerUrlMap(l.path, l.protocol as ListenerProtocol, map.path);
  for (const r of map.rules) {
    for (const id of [r.action.type === 'forward' ? r.action.backendService : null, r.mirror]) {
      if (id === null) continue;
      const b = config.backendServices.find((x) => x.id === id);
      if (b === undefined || b.protocol !== 'HTTP') {
        issues.push(issue(map.path, `rules.${r.id}`, id, 'is not an HTTP backend service of the config', 'the id of an HTTP backend service'));
      }
    }
  }
  if (issues.length > 0) throw new IssueError(issues);
  try {
    new UrlMatcher(map.rules);
  } catch (err) {
    throw new Error(`URL map ${map.path}: ${(err as Error).message}`);
  }
}

/**
 * A worker's part of a per-node limit. The config's qps and activeConnections limits are per
 * node; each worker enforces its own share without talking to the others (the primary hands
 * out connections round-robin, so the shares fill evenly). Rounded up: a node never allows
 * less than its configured limit.
 */
function shareOf(nodeLimit: number, shares: number): number {
  return Math.max(1, Math.ceil(nodeLimit / shares));
}

/**
 * @param limitShares how many data planes of this node split its listeners' limits (the
 *   worker count; 1 when the data plane serves alone).
 */
export function createDataPlane(observer: DataPlaneObserver, limitShares = 1): DataPlane {
  if (!Number.isInteger(limitShares) || limitShares < 1) {
    throw new Error(`createDataPlane: limitShares ${limitShares} is not allowed; allowed: an integer >= 1`);
  }
  return new WorkerDataPlane(observer, limitShares);
}
