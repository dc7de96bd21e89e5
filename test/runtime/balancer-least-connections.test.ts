import { createBalancer, createPeers } from '../../runtime/balancer';
import { Peer } from '../../runtime/balancer/types';
import { targets } from './balancer-helpers';

describe('weighted least connections (nginx least_conn)', () => {
  test('with no load at all it is smooth WRR (ties resolved by smooth WRR)', () => {
    const peers = createPeers(targets([5, 1, 1]));
    const lb = createBalancer('WEIGHTED_LEAST_CONNECTIONS', peers);
    const seq: number[] = [];
    for (let i = 0; i < 7; i++) {
      const p = lb.pick('x', null)!;
      seq.push(p.index);
      lb.release(p); // short requests: load stays 0, every pick is a full tie
    }
    expect(seq).toEqual([0, 0, 1, 0, 2, 0, 0]);
  });

  test('long-running requests keep active/weight balanced', () => {
    const peers = createPeers(targets([3, 2, 1]));
    const lb = createBalancer('WEIGHTED_LEAST_CONNECTIONS', peers);
    for (let i = 1; i <= 600; i++) {
      lb.pick('x', null);
      // After every pick, no peer is more than one request above its fair share: the picked
      // peer had the minimum ratio, so ratios differ by at most 1/weight.
      const ratios = peers.map((p) => p.active / p.weight);
      expect(Math.max(...ratios) - Math.min(...ratios)).toBeLessThanOrEqual(1 + 1e-9);
    }
    expect(peers.map((p) => p.active)).toEqual([300, 200, 100]);
  });

  test('the least loaded peer (by active/weight, cross-multiplied) wins', () => {
    const peers = createPeers(targets([1, 4, 2]));
    const lb = createBalancer('WEIGHTED_LEAST_CONNECTIONS', peers);
    peers[0].active = 1; // ratio 1
    peers[1].active = 5; // ratio 1.25
    peers[2].active = 1; // ratio 0.5
    expect(lb.pick('x', null)!.index).toBe(2);
    expect(peers[2].active).toBe(2); // now 1, tied with peer 0 (1/1); peer 1 at 1.25
    const second = lb.pick('x', null)!;
    // tie between 0 (w1) and 2 (w2) → smooth WRR among the tied: heavier first.
    expect(second.index).toBe(2);
  });

  test('releases shift new work to the peer whose requests finished', () => {
    const peers = createPeers(targets([1, 1]));
    const lb = createBalancer('WEIGHTED_LEAST_CONNECTIONS', peers);
    const held: Peer[] = [];
    for (let i = 0; i < 10; i++) held.push(lb.pick('x', null)!);
    expect(peers.map((p) => p.active)).toEqual([5, 5]);
    for (const p of held.filter((h) => h.index === 1)) lb.release(p);
    for (let i = 0; i < 5; i++) expect(lb.pick('x', null)!.index).toBe(1);
  });

  test('skips weight 0, unavailable and excluded', () => {
    const peers = createPeers(targets([1, 0, 1]));
    const lb = createBalancer('WEIGHTED_LEAST_CONNECTIONS', peers);
    peers[0].available = false;
    lb.availabilityChanged();
    for (let i = 0; i < 5; i++) expect(lb.pick('x', null)!.index).toBe(2);
    expect(lb.pick('x', new Set([peers[2]]))).toBeNull();
  });
});
