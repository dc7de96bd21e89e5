import { createBalancer, createPeers } from '../../runtime/balancer';
import { targets } from './balancer-helpers';

describe('smooth weighted round robin (nginx)', () => {
  test('5:1:1 gives a a b a c a a, cycle after cycle', () => {
    const peers = createPeers(targets([5, 1, 1]));
    const lb = createBalancer('WEIGHTED_ROUND_ROBIN', peers);
    const names = ['a', 'b', 'c'];
    const seq: string[] = [];
    for (let i = 0; i < 21; i++) seq.push(names[lb.pick('127.0.0.1', null)!.index]);
    expect(seq.join(' ')).toBe('a a b a c a a a a b a c a a a a b a c a a');
  });

  test('5:3:2 over 1000 picks: exactly 500/300/200 with the nginx interleaving', () => {
    const peers = createPeers(targets([5, 3, 2]));
    const lb = createBalancer('WEIGHTED_ROUND_ROBIN', peers);
    const counts = [0, 0, 0];
    const seq: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const p = lb.pick('127.0.0.1', null)!;
      counts[p.index]++;
      seq.push(p.index);
    }
    expect(counts).toEqual([500, 300, 200]);
    // Worked by hand from nginx's rule: current += weight; pick max (first on tie); best -= total.
    const cycle = [0, 1, 2, 0, 0, 1, 0, 2, 1, 0];
    // The state returns to all-zero after each 10 picks, so every block repeats the cycle.
    for (let block = 0; block < 100; block++) expect(seq.slice(block * 10, block * 10 + 10)).toEqual(cycle);
    // Never more than two picks of the heavy peer in a row (not a burst of five).
    expect(seq.join('')).not.toMatch(/000/);
    expect(peers.map((p) => p.active)).toEqual([500, 300, 200]);
  });

  test('ties break on config order', () => {
    const lb = createBalancer('WEIGHTED_ROUND_ROBIN', createPeers(targets([1, 1, 1])));
    const seq = Array.from({ length: 6 }, () => lb.pick('x', null)!.index);
    expect(seq).toEqual([0, 1, 2, 0, 1, 2]);
  });

  test('weight 0, unavailable and excluded peers are skipped', () => {
    const peers = createPeers(targets([3, 0, 1, 2]));
    const lb = createBalancer('WEIGHTED_ROUND_ROBIN', peers);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 600; i++) counts[lb.pick('x', null)!.index]++;
    expect(counts).toEqual([300, 0, 100, 200]);

    peers[0].available = false;
    lb.availabilityChanged();
    const counts2 = [0, 0, 0, 0];
    for (let i = 0; i < 300; i++) counts2[lb.pick('x', null)!.index]++;
    expect(counts2).toEqual([0, 0, 100, 200]);

    const exclude = new Set([peers[3]]);
    for (let i = 0; i < 10; i++) expect(lb.pick('x', exclude)!.index).toBe(2);
    exclude.add(peers[2]);
    expect(lb.pick('x', exclude)).toBeNull();
  });

  test('nothing eligible → null; release never goes below zero', () => {
    const peers = createPeers(targets([0, 0]));
    const lb = createBalancer('WEIGHTED_ROUND_ROBIN', peers);
    expect(lb.pick('x', null)).toBeNull();
    const lb2 = createBalancer('WEIGHTED_ROUND_ROBIN', createPeers(targets([1])));
    const p = lb2.pick('x', null)!;
    expect(p.active).toBe(1);
    lb2.release(p);
    lb2.release(p);
    expect(p.active).toBe(0);
  });

  test('bad input is refused with a clear message', () => {
    expect(() => createPeers([...targets([1]), ...targets([1])], 'web')).toThrow('target #1: "t0" is not unique in backend service "web"; allowed: one target per id');
    expect(() => createPeers(targets([101]))).toThrow("test/group: target.weight 101 is out of range; allowed: 0..100 (0 = no new traffic)");
    expect(() => createBalancer('RANDOM' as never, [])).toThrow(/unknown scheduling algorithm "RANDOM"; allowed: WEIGHTED_ROUND_ROBIN/);
  });
});

describe('smooth WRR after a failure (nginx effective weight)', () => {
  test('a failed peer drops by weight/maxFails and climbs back by 1 per pick', () => {
    const peers = createPeers(targets([10, 10]));
    const lb = createBalancer('WEIGHTED_ROUND_ROBIN', peers);
    lb.peerFailed!(peers[0], 1); // effective 10 → 0
    const seq = Array.from({ length: 200 }, () => lb.pick('x', null)!.index);
    const early = seq.slice(0, 10).filter((i) => i === 0).length;
    expect(early).toBeLessThan(5); // it gets less than its half while recovering
    expect(seq[0]).toBe(1);
    // Fully recovered: alternating again, exactly half of every later window of 20.
    for (let from = 100; from < 200; from += 20) {
      expect(seq.slice(from, from + 20).filter((i) => i === 0)).toHaveLength(10);
    }
    // maxFails 0 (passive health off) changes nothing.
    const lb2 = createBalancer('WEIGHTED_ROUND_ROBIN', createPeers(targets([1, 1])));
    lb2.peerFailed!(createPeers(targets([1, 1]))[0], 0);
    expect(Array.from({ length: 4 }, () => lb2.pick('x', null)!.index)).toEqual([0, 1, 0, 1]);
  });
});
