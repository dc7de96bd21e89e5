/**
 * Smooth weighted round robin, with nginx's semantics (ngx_http_upstream_round_robin.c):
 * each pick adds every eligible peer's effective weight to its current weight, takes the peer
 * with the largest current weight (ties: first in config order) and subtracts the total from
 * it. Over one cycle of `sum(weights)` picks every peer is chosen exactly `weight` times, and
 * the heavy peer's turns are interleaved with the others (5:1:1 → a a b a c a a) instead of
 * coming in a burst.
 *
 * After a failure the peer's effective weight drops by weight / maxFails (not below 0) and
 * climbs back by 1 each time it takes part in a pick, as in nginx.
 *
 * Per-peer state lives in typed arrays indexed by Peer.index, so a pick allocates nothing.
 */
import { Balancer, Peer } from './types';
import { isEligible, releasePeer } from './eligible';

export class SmoothWeightedRoundRobin implements Balancer {
  private readonly peers: readonly Peer[];
  /** nginx `current_weight`. Float64 so long runs never overflow. */
  private readonly current: Float64Array;
  /** nginx `effective_weight`: the configured weight, lowered after failures. */
  private readonly effective: Float64Array;

  constructor(peers: readonly Peer[]) {
    this.peers = peers;
    this.current = new Float64Array(peers.length);
    this.effective = Float64Array.from(peers, (p) => p.weight);
  }

  pick(_clientIp: string, exclude: ReadonlySet<Peer> | null): Peer | null {
    const peers = this.peers;
    const current = this.current;
    const effective = this.effective;
    let best = -1;
    let total = 0;
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i];
      if (!isEligible(peer, exclude)) continue;
      current[i] += effective[i];
      total += effective[i];
      if (effective[i] < peer.weight) effective[i]++;
      // Strictly greater: the first peer in config order wins a tie.
      if (best < 0 || current[i] > current[best]) best = i;
    }
    if (best < 0) return null;
    current[best] -= total;
    const chosen = peers[best];
    chosen.active++;
    return chosen;
  }

  release(peer: Peer): void {
    releasePeer(peer);
  }

  availabilityChanged(): void {
    // Nothing derived from availability: ineligible peers simply keep their current weight,
    // as in nginx, so a peer coming back rejoins the rotation without a burst.
  }

  peerFailed(peer: Peer, maxFails: number): void {
    lowerEffectiveWeight(this.effective, peer, maxFails);
  }
}

/** nginx: effective_weight -= weight / max_fails (integer division), never below 0. */
export function lowerEffectiveWeight(effective: Float64Array, peer: Peer, maxFails: number): void {
  if (maxFails <= 0 || peer.index < 0 || peer.index >= effective.length) return;
  effective[peer.index] = Math.max(0, effective[peer.index] - Math.floor(peer.weight / maxFails));
}

/**
 * Smooth WRR restricted to the peers tied with `tiedWith` under `isTied` — used by least
 * connections to break ties (nginx least_conn does exactly this). Kept here so both
 * algorithms share one implementation of the smooth step.
 */
export function smoothPickAmongTied(peers: readonly Peer[], current: Float64Array, effective: Float64Array,
  from: number, exclude: ReadonlySet<Peer> | null, anchor: Peer): number {
  let best = -1;
  let total = 0;
  for (let i = from; i < peers.length; i++) {
    const peer = peers[i];
    if (!isEligible(peer, exclude)) continue;
    // Same load ratio as the anchor (cross-multiplied: no division, exact integers).
    if (peer.active * anchor.weight !== anchor.active * peer.weight) continue;
    current[i] += effective[i];
    total += effective[i];
    if (effective[i] < peer.weight) effective[i]++;
    if (best < 0 || current[i] > current[best]) best = i;
  }
  current[best] -= total;
  return best;
}
