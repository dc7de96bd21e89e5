/**
 * The one interface every scheduling algorithm implements (HAProxy lb_*.c style: one file
 * per algorithm behind pick / release / update). Adding an algorithm touches one file plus
 * the factory in runtime/balancer/index.ts.
 *
 * A Balancer is per worker and per backend service. Peers are created once per config load
 * and mutated in place by health checking; the hot path allocates nothing.
 */

export interface Peer {
  /** Position in the backend's target list (config order; ties break on it). */
  readonly index: number;
  /** TargetConfig.id: stable across nodes; cookies and the hash ring key on it. */
  readonly id: string;
  readonly address: string;
  readonly port: number;
  /** Configured weight 0..100; 0 = no new traffic. */
  readonly weight: number;
  /**
   * False while the target is unhealthy (active check) or passively ejected. Written by
   * health code, read by the balancers.
   */
  available: boolean;
  /** Requests / connections this worker has in flight to the peer (for least-connections). */
  active: number;
}

export interface Balancer {
  /**
   * Choose a peer for a new request / connection, or null when none is available.
   * `clientIp` is the client's address (IPv4 dotted or IPv6; IPv4-mapped IPv6 normalised by
   * the caller). `exclude` holds peers already tried for this request (retry), may be null.
   * pick() increments the chosen peer's `active`.
   */
  pick(clientIp: string, exclude: ReadonlySet<Peer> | null): Peer | null;
  /** The request / connection picked earlier has finished: decrements `active`. */
  release(peer: Peer): void;
  /** Called after `available` of any peer changed (rebuild derived tables if needed). */
  availabilityChanged(): void;
  /**
   * Optional: a request to `peer` failed (passive health). Weighted round robin lowers the
   * peer's effective weight by weight / maxFails and lets it climb back by 1 per pick, as
   * nginx does, so a flaky target gets less traffic even before it is ejected.
   */
  peerFailed?(peer: Peer, maxFails: number): void;
}
