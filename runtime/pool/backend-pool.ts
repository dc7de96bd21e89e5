/**
 * Everything one worker needs to choose a target of one backend service: peers, the
 * scheduling algorithm, the sticky cookie, active-check verdicts (from the primary) and
 * passive ejection (from this worker's own traffic). The data plane holds one per backend and
 * swaps it on reload with BackendPool.rebuild, which carries per-target state by target id.
 *
 * Availability of a peer = healthy (active checks) && !ejected (passive); the balancer is told
 * whenever it flips.
 *
 * Clock: reportFailure's nowMs and the lazy ejection expiry in pick() are both Date.now().
 */
import { BackendServiceConfig } from '../../lib/config/types';
import { BackendSnapshot, TargetSnapshot } from '../dataplane-types';
import { createBalancer, createPeers } from '../balancer';
import { Balancer, Peer } from '../balancer/types';
import { PassiveHealth } from '../health/passive';
import { StickyCookie } from '../persistence/cookie';

export class BackendPool {
  readonly config: BackendServiceConfig;
  readonly peers: Peer[];
  readonly sticky: StickyCookie | null;
  readonly balancer: Balancer;
  private readonly indexById = new Map<string, number>();
  /** Active-check verdict per peer (1 = healthy). */
  private readonly healthy: Uint8Array;
  private readonly passive: PassiveHealth;
  /** The pool that replaced this one on reload; late releases and reports are forwarded. */
  private successor: BackendPool | null = null;

  constructor(backend: BackendServiceConfig, cookieSecret: string) {
    this.config = backend;
    this.peers = createPeers(backend.targets, backend.id);
    this.balancer = createBalancer(backend.algorithm, this.peers);
    this.peers.forEach((p) => this.indexById.set(p.id, p.index));
    this.healthy = new Uint8Array(this.peers.length).fill(1);
    this.passive = new PassiveHealth(backend.passiveHealth, this.peers.length);
    this.sticky = backend.sessionPersistence !== null && backend.protocol === 'HTTP'
      ? new StickyCookie(cookieSecret, backend.id, backend.sessionPersistence, this.peers.map((p) => p.id))
      : null;
  }

  /**
   * A pool for the new config that keeps, for every target whose id is unchanged, its
   * active-check health, passive failure record / ejection and in-flight count. The old pool
   * forwards releases and passive reports of requests it started to the new one.
   */
  static rebuild(prev: BackendPool | null, backend: BackendServiceConfig, cookieSecret: string): BackendPool {
    const next = new BackendPool(backend, cookieSecret);
    if (prev === null) return next;
    for (const peer of next.peers) {
      const from = prev.indexById.get(peer.id);
      if (from === undefined) continue;
      // With active checks off every target counts as healthy, whatever the old verdict was.
      if (backend.healthCheck.enabled) next.healthy[peer.index] = prev.healthy[from];
      next.passive.carryFrom(prev.passive, from, peer.index);
      peer.active = prev.peers[from].active;
    }
    next.passive.expireDue(Date.now());
    next.refreshAvailability();
    prev.successor = next;
    return next;
  }

  /** Schedules a new request / connection; null when no target can take it. */
  pick(clientIp: string, exclude: ReadonlySet<Peer> | null): Peer | null {
    if (this.passive.ejectedCount > 0 && this.passive.expireDue(Date.now())) this.refreshAvailability();
    return this.balancer.pick(clientIp, exclude);
  }

  /**
   * The peer a valid sticky cookie names, if it is available (weight 0 is fine: a draining
   * target keeps its existing sessions), with its in-flight count incremented; else null.
   */
  pickById(targetId: string): Peer | null {
    const i = this.indexById.get(targetId);
    if (i === undefined) return null;
    if (this.passive.ejectedCount > 0 && this.passive.expireDue(Date.now())) this.refreshAvailability();
    const peer = this.peers[i];
    if (!peer.available) return null;
    peer.active++;
    return peer;
  }

  /** The request / connection on `peer` finished (a peer of an older pool is matched by id). */
  release(peer: Peer): void {
    const own = this.own(peer);
    if (own !== null) this.balancer.release(own);
    if (this.successor !== null) {
      const latest = this.latest();
      const carried = latest.own(peer);
      if (carried !== null) latest.balancer.release(carried);
    }
  }

  /** Active-check verdict from the primary. Unknown ids are ignored (config raced a reload). */
  setHealth(targetId: string, healthy: boolean): void {
    const i = this.indexById.get(targetId);
    if (i === undefined) return;
    this.healthy[i] = healthy ? 1 : 0;
    this.updateAvailability(i);
  }

  /** Passive failure (connect error / timeout); true when it ejects the target. */
  reportFailure(peer: Peer, nowMs: number): boolean {
    if (this.successor !== null) return this.latest().reportFailure(peer, nowMs);
    const own = this.own(peer);
    if (own === null) return false;
    this.balancer.peerFailed?.(own, this.passive.maxFails);
    const ejected = this.passive.failure(own.index, nowMs);
    if (ejected) this.updateAvailability(own.index);
    return ejected;
  }

  /** Passive success: clears the target's failure record. */
  reportSuccess(peer: Peer): void {
    if (this.successor !== null) {
      this.latest().reportSuccess(peer);
      return;
    }
    const own = this.own(peer);
    if (own !== null) this.passive.success(own.index);
  }

  /** Whether the target is passively ejected right now. */
  isEjected(targetId: string): boolean {
    const i = this.indexById.get(targetId);
    if (i === undefined) return false;
    if (this.passive.ejectedCount > 0 && this.passive.expireDue(Date.now())) this.refreshAvailability();
    return this.passive.isEjected(i);
  }

  snapshot(): BackendSnapshot {
    if (this.passive.ejectedCount > 0 && this.passive.expireDue(Date.now())) this.refreshAvailability();
    const targets: TargetSnapshot[] = this.peers.map((p) => ({
      id: p.id,
      address: p.address,
      port: p.port,
      weight: p.weight,
      healthy: this.healthy[p.index] === 1,
      ejected: this.passive.isEjected(p.index),
      active: p.active,
    }));
    return { id: this.config.id, algorithm: this.config.algorithm, targets };
  }

  /** This pool's peer for `peer` (itself, or the one with the same id for a foreign peer). */
  private own(peer: Peer): Peer | null {
    if (this.peers[peer.index] === peer) return peer;
    const i = this.indexById.get(peer.id);
    return i === undefined ? null : this.peers[i];
  }

  private latest(): BackendPool {
    let pool: BackendPool = this;
    while (pool.successor !== null) pool = pool.successor;
    return pool;
  }

  private updateAvailability(i: number): void {
    const available = this.healthy[i] === 1 && !this.passive.isEjected(i);
    const peer = this.peers[i];
    if (peer.available !== available) {
      peer.available = available;
      this.balancer.availabilityChanged();
    }
  }

  private refreshAvailability(): void {
    let changed = false;
    for (let i = 0; i < this.peers.length; i++) {
      const available = this.healthy[i] === 1 && !this.passive.isEjected(i);
      if (this.peers[i].available !== available) {
        this.peers[i].available = available;
        changed = true;
      }
    }
    if (changed) this.balancer.availabilityChanged();
  }
}
