/**
 * Balancer factory: turns a backend's targets into peers and an algorithm name into the
 * matching Balancer. Adding an algorithm: one new file behind Balancer, one case below, and
 * its name in the Algorithm enum (lib/model/enums.ts) and the contract's AlgorithmName
 * (lib/config/types.ts; then `npm run gen:schema`) — see docs/algorithms.md.
 */
import { AlgorithmName, TargetConfig } from '../../lib/config/types';
import { IssueError } from '../../lib/model/messages';
import { checkUniqueTargetIds, checkWeight } from '../../lib/model/target';
import { Balancer, Peer } from './types';
import { SmoothWeightedRoundRobin } from './round-robin';
import { WeightedLeastConnections } from './least-connections';
import { SourceIpHash } from './source-ip-hash';

export { Balancer, Peer } from './types';
export { SmoothWeightedRoundRobin } from './round-robin';
export { WeightedLeastConnections } from './least-connections';
export { SourceIpHash, hashClientIp, POINTS_PER_WEIGHT } from './source-ip-hash';

/** Creates one mutable Peer per target, in config order, all available and idle. */
export function createPeers(targets: TargetConfig[], backendId = 'unnamed'): Peer[] {
  // The model's id rule, as at config load: a balancer may be handed targets nobody validated.
  const duplicates = checkUniqueTargetIds(targets.map((t) => t.id), (j) => `target #${j}`, backendId);
  if (duplicates.length > 0) throw new IssueError(duplicates);
  return targets.map((t, index) => {
    if (typeof t.id !== 'string' || t.id.length === 0) {
      throw new Error(`target #${index} (${t.address}:${t.port}): id must be a non-empty string, got ${JSON.stringify(t.id)}`);
    }
    // The model's weight rule, as at synth and at config load: a balancer may be handed targets nobody validated.
    const weightIssues = checkWeight(t.source?.path ?? t.id, t.source?.kind === 'availabilityGroup' ? 'defaultWeight' : 'target.weight', t.weight);
    if (weightIssues.length > 0) throw new IssueError(weightIssues);
    if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) {
      throw new Error(`target ${t.id}: port must be an integer 1..65535, got ${JSON.stringify(t.port)}`);
    }
    const peer: Peer = {
      index,
      id: t.id,
      address: t.address,
      port: t.port,
      weight: t.weight,
      available: true,
      active: 0,
    };
    return peer;
  });
}

export const ALGORITHMS: readonly AlgorithmName[] = ['WEIGHTED_ROUND_ROBIN', 'WEIGHTED_LEAST_CONNECTIONS', 'SOURCE_IP_HASH'];

export function createBalancer(algorithm: AlgorithmName, peers: Peer[]): Balancer {
  // The algorithms keep per-peer state in arrays indexed by position; Peer.index must match.
  for (let i = 0; i < peers.length; i++) {
    if (peers[i].index !== i) {
      throw new Error(`peer ${peers[i].id} has index ${peers[i].index} but sits at position ${i}; pass the array createPeers() returned`);
    }
  }
  switch (algorithm) {
    case 'WEIGHTED_ROUND_ROBIN': return new SmoothWeightedRoundRobin(peers);
    case 'WEIGHTED_LEAST_CONNECTIONS': return new WeightedLeastConnections(peers);
    case 'SOURCE_IP_HASH': return new SourceIpHash(peers);
    default:
      throw new Error(`unknown scheduling algorithm ${JSON.stringify(algorithm)}; allowed: ${ALGORITHMS.join(', ')}`);
  }
}
