import { Peer } from './types';

/**
 * Whether a peer may take a new request: available (healthy and not ejected), weight > 0
 * (weight 0 = draining, no new traffic) and not already tried for this request.
 * Shared by every algorithm so they agree on what "eligible" means.
 */
export function isEligible(peer: Peer, exclude: ReadonlySet<Peer> | null): boolean {
  return peer.available && peer.weight > 0 && (exclude === null || !exclude.has(peer));
}

/** release() for every algorithm: in-flight count never goes below zero. */
export function releasePeer(peer: Peer): void {
  if (peer.active > 0) peer.active--;
}
