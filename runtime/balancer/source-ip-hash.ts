/**
 * Source-IP hash: weighted, consistent, and identical on every node of the LB cluster.
 *
 * Why a ketama hash ring (and not Maglev or nginx ip_hash):
 * - nginx ip_hash and plain modulo hashing remap most clients whenever the target set changes.
 * - Maglev rebuilds its lookup table when a backend leaves, which moves a small but non-zero
 *   share of the *other* backends' clients. We promise that removing a target moves none of
 *   the others' clients, which a ring gives exactly: each target's points depend only on its
 *   own id and weight, so the ring without target X is the ring with X's points deleted —
 *   precisely the walk-on behaviour we apply to an unavailable target at pick time.
 * - Points are derived from TargetConfig.id (identical on every node, from the config) and
 *   never from process state (index, insertion order, random seeds), so two nodes or two
 *   workers built from the same config map every client identically.
 *
 * Points per target = 16 × weight: a target at JD Cloud's default weight 10 gets 160 points,
 * nginx/ketama's figure (spread of a target's share ≈ ±8 %), and the worst case (1000 targets
 * at weight 100) stays at 1.6 M points ≈ 13 MB instead of ketama's 160-per-unit 16 M.
 * Weights 1..5 get only 16..80 points, so their shares are coarser (±25 % at weight 1): use
 * weights ≥ 10 where source-IP balance matters.
 * Ring points: MD5 of the target id seeds a 32-bit mixer (murmur3's finaliser) evaluated at
 * k = 1..points — a pure function of (id, k), uniform, and cheap to build (1000 targets at
 * weight 100 in ~0.3 s). The per-pick client hash is FNV-1a over the address characters plus
 * murmur3's finaliser for avalanche, computed straight from charCodeAt, so a pick allocates
 * nothing. A pick is one
 * hash and one binary search; only when the owner is unavailable does it walk on, skipping
 * whole runs of the same owner.
 */
import { createHash } from 'node:crypto';
import { Balancer, Peer } from './types';
import { isEligible, releasePeer } from './eligible';

/** Ring points per unit of weight (see above). */
export const POINTS_PER_WEIGHT = 16;

export class SourceIpHash implements Balancer {
  private readonly peers: readonly Peer[];
  /** Sorted point hashes (unsigned 32-bit). */
  private readonly points: Uint32Array;
  /** Peer index owning each point. */
  private readonly owners: Uint32Array;
  /** Index of the next point whose owner differs (wrapping), to walk past a down target fast. */
  private readonly nextOtherOwner: Uint32Array;

  constructor(peers: readonly Peer[]) {
    this.peers = peers;
    // Rank peers by id so equal point hashes (rare) resolve the same way whatever the config
    // order is: only ids decide, never positions.
    const byId = peers.map((p) => p.index).sort((a, b) => compareStrings(peers[a].id, peers[b].id));
    const rankOf = new Uint32Array(peers.length);
    byId.forEach((peerIndex, rank) => { rankOf[peerIndex] = rank; });

    let count = 0;
    for (const p of peers) count += ringPointCount(p.weight);
    // key = hash · 2^21 + rank: exact in a double (32 + 21 bits), sorted natively.
    const keys = new Float64Array(count);
    let k = 0;
    for (const p of peers) {
      const n = ringPointCount(p.weight);
      // Two 32-bit seeds per target from MD5(id), then point k = mix(seeds, k): as uniform as
      // ketama's MD5-per-point for ring purposes, ~10× cheaper to build (1.6 M points in
      // ~0.3 s instead of ~2.5 s on a busy 2-core box), and still a pure function of (id, k).
      const digest = createHash('md5').update(p.id, 'utf8').digest();
      const seedA = digest.readUInt32LE(0);
      const seedB = digest.readUInt32LE(4);
      for (let i = 0; i < n; i++) keys[k++] = ringPoint(seedA, seedB, i) * RANK_SPACE + rankOf[p.index];
    }
    keys.sort();
    this.points = new Uint32Array(count);
    this.owners = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const rank = keys[i] % RANK_SPACE;
      this.points[i] = (keys[i] - rank) / RANK_SPACE;
      this.owners[i] = byId[rank];
    }
    this.nextOtherOwner = buildNextOtherOwner(this.owners);
  }

  /** Number of points on the ring (for tests and benchmarks). */
  get ringSize(): number {
    return this.points.length;
  }

  pick(clientIp: string, exclude: ReadonlySet<Peer> | null): Peer | null {
    const points = this.points;
    const n = points.length;
    if (n === 0) return null;
    const h = hashClientIp(clientIp);
    // First point with hash >= h, wrapping to 0.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid] < h) lo = mid + 1; else hi = mid;
    }
    let at = lo === n ? 0 : lo;
    const peers = this.peers;
    let peer = peers[this.owners[at]];
    if (!isEligible(peer, exclude)) {
      // Slow path (the owner is down, draining or already tried): make sure somebody is
      // eligible so the walk terminates, then walk on run by run.
      if (!this.anyEligible(exclude)) return null;
      do {
        at = this.nextOtherOwner[at];
        peer = peers[this.owners[at]];
      } while (!isEligible(peer, exclude));
    }
    peer.active++;
    return peer;
  }

  release(peer: Peer): void {
    releasePeer(peer);
  }

  availabilityChanged(): void {
    // The ring never changes with availability (that is what keeps it consistent); the walk
    // at pick time skips unavailable owners.
  }

  private anyEligible(exclude: ReadonlySet<Peer> | null): boolean {
    for (let i = 0; i < this.peers.length; i++) if (isEligible(this.peers[i], exclude)) return true;
    return false;
  }
}

const RANK_SPACE = 2 ** 21;

/**
 * For each point, the index of the next point (cyclically) owned by a different peer; when
 * one peer owns the whole ring, simply the next point.
 */
function buildNextOtherOwner(owners: Uint32Array): Uint32Array {
  const n = owners.length;
  const next = new Int32Array(n);
  // Backwards pass: -1 marks the tail run (same owner as the last point), whose answer lies
  // past the wrap.
  for (let i = n - 1; i >= 0; i--) {
    if (i === n - 1) next[i] = -1;
    else next[i] = owners[i + 1] !== owners[i] ? i + 1 : next[i + 1];
  }
  let firstOther = 0;
  while (firstOther < n && owners[firstOther] === owners[n - 1]) firstOther++;
  const result = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    result[i] = next[i] >= 0 ? next[i] : firstOther < n ? firstOther : (i + 1) % n;
  }
  return result;
}

/** Point `i` of a target: murmur3's finaliser over the seeds and the golden-ratio step. */
function ringPoint(seedA: number, seedB: number, i: number): number {
  return fmix32(seedA ^ fmix32((seedB + Math.imul(i + 1, 0x9e3779b9)) | 0));
}

function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function ringPointCount(weight: number): number {
  return weight > 0 ? weight * POINTS_PER_WEIGHT : 0;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * 32-bit hash of a client address, identical in every process. IPv4-mapped IPv6
 * (`::ffff:10.0.0.1`) hashes like the plain IPv4 address and IPv6 hex digits hash
 * case-insensitively; the prefix is skipped by offset and letters folded per character, so
 * nothing is allocated.
 */
export function hashClientIp(ip: string): number {
  let start = 0;
  if (ip.length > 7 && ip.charCodeAt(0) === 58 /* : */ && ip.charCodeAt(1) === 58 &&
      (ip.charCodeAt(2) | 32) === 102 && (ip.charCodeAt(3) | 32) === 102 &&
      (ip.charCodeAt(4) | 32) === 102 && (ip.charCodeAt(5) | 32) === 102 &&
      ip.charCodeAt(6) === 58 && ip.indexOf('.', 7) > 0) {
    start = 7;
  }
  let h = 0x811c9dc5;
  for (let i = start; i < ip.length; i++) {
    let c = ip.charCodeAt(i);
    if (c >= 65 && c <= 70) c += 32; // IPv6 hex digits: 'DB8' and 'db8' are one address
    h ^= c;
    h = Math.imul(h, 0x01000193);
  }
  // murmur3 fmix32: FNV-1a alone leaves neighbouring addresses clustered on the ring.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
