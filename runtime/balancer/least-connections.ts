/**
 * Weighted least connections, with nginx least_conn's semantics: choose the eligible peer
 * minimising active/weight, compared by cross-multiplication (`a.active * b.weight <
 * b.active * a.weight`) so it is exact and division-free; when several peers share the
 * minimum, smooth weighted round robin among them decides (so with no load at all it behaves
 * like smooth WRR, and equal-load peers are interleaved by weight instead of always the first).
 *
 * `active` counts this worker's in-flight requests / connections (pick() increments it,
 * release() decrements it).
 */
import { Balancer, Peer } from './types';
import { isEligible, releasePeer } from './eligible';
import { lowerEffectiveWeight, smoothPickAmongTied } from './round-robin';

export class WeightedLeastConnections implements Balancer {
  private readonly peers: readonly Peer[];
  /** Smooth WRR current weights for tie-breaking. */
  private readonly current: Float64Array;
  /** Effective weights for the tie-break (lowered after failures, as in nginx). */
  private readonly effective: Float64Array;

  constructor(peers: readonly Peer[]) {
    this.peers = peers;
    this.current = new Float64Array(peers.length);
    this.effective = Float64Array.from(peers, (p) => p.weight);
  }

  pick(_clientIp: string, exclude: ReadonlySet<Peer> | null): Peer | null {
    const peers = this.peers;
    let best = -1;
    let tied = false;
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i];
      if (!isEligible(peer, exclude)) continue;
      if (best < 0) {
        best = i;
        tied = false;
        continue;
      }
      const b = peers[best];
      const lhs = peer.active * b.weight;
      const rhs = b.active * peer.weight;
      if (lhs < rhs) {
        best = i;
        tied = false;
      } else if (lhs === rhs) {
        tied = true;
      }
    }
    if (best < 0) return null;
    if (tied) best = smoothPickAmongTied(peers, this.current, this.effective, best, exclude, peers[best]);
    const chosen = peers[best];
    chosen.active++;
    return chosen;
  }

  release(peer: Peer): void {
    releasePeer(peer);
  }

  availabilityChanged(): void {
    // Load is read live from Peer.active / Peer.available on every pick: nothing to rebuild.
  }

  peerFailed(peer: Peer, maxFails: number): void {
    lowerEffectiveWeight(this.effective, peer, maxFails);
  }
}
