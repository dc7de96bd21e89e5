import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import fc from 'fast-check';
import { createBalancer, createPeers, hashClientIp, SourceIpHash } from '../../runtime/balancer';
import { Peer } from '../../runtime/balancer/types';
import { TargetConfig } from '../../lib/config/types';
import { clientIps, targets } from './balancer-helpers';

function assign(ts: TargetConfig[], ips: string[], mutate?: (peers: Peer[]) => void): string[] {
  const peers = createPeers(ts);
  mutate?.(peers);
  const lb = createBalancer('SOURCE_IP_HASH', peers);
  return ips.map((ip) => {
    const p = lb.pick(ip, null);
    if (p) lb.release(p);
    return p ? p.id : '-';
  });
}

describe('source-IP hash (weighted consistent ring)', () => {
  const ips = clientIps(10_000);

  test('deterministic across two separately built balancers and a child process', () => {
    const a = assign(targets([10, 10, 10, 10]), ips);
    const b = assign(targets([10, 10, 10, 10]), ips);
    expect(b).toEqual(a);
    // Config order must not matter either: only ids and weights shape the ring.
    const reversed = assign(targets([10, 10, 10, 10]).reverse(), ips);
    expect(reversed).toEqual(a);

    const script = `
      const { createPeers, createBalancer } = require(${JSON.stringify(path.resolve(__dirname, '../../runtime/balancer'))});
      const ts = [0,1,2,3].map(i => ({ id: 't' + i, address: '127.0.3.' + (i + 1), port: 8000 + i, weight: 10, source: { kind: 'serverGroup', path: 'x', instance: null } }));
      const lb = createBalancer('SOURCE_IP_HASH', createPeers(ts));
      const out = [];
      for (let i = 0; i < 2000; i++) out.push(lb.pick('127.' + ((i >> 16) & 255) + '.' + ((i >> 8) & 255) + '.' + (i & 255), null).id);
      process.stdout.write(JSON.stringify(out));
    `;
    const tsNode = require.resolve('ts-node/register/transpile-only');
    const child = JSON.parse(execFileSync(process.execPath, ['-r', tsNode, '-e', script], {
      encoding: 'utf8', timeout: 30_000, cwd: path.resolve(__dirname, '../..'),
      env: { ...process.env, TS_NODE_PROJECT: path.resolve(__dirname, '../../tsconfig.dev.json') },
    }));
    expect(child).toEqual(a.slice(0, 2000));
  });

  test('removing 1 of 4 targets moves only its own clients (config removal and unavailability alike)', () => {
    const all = targets([10, 20, 10, 30]);
    const before = assign(all, ips);
    const removedFromConfig = assign(all.filter((t) => t.id !== 't1'), ips);
    const markedDown = assign(all, ips, (peers) => { peers[1].available = false; });
    let moved = 0;
    for (let i = 0; i < ips.length; i++) {
      if (before[i] !== 't1') {
        expect(removedFromConfig[i]).toBe(before[i]);
      } else {
        expect(removedFromConfig[i]).not.toBe('t1');
        moved++;
      }
    }
    expect(markedDown).toEqual(removedFromConfig);
    expect(moved).toBeGreaterThan(0);
    // And its clients are spread over the rest, not dumped on one neighbour.
    const receivers = new Set(removedFromConfig.filter((_, i) => before[i] === 't1'));
    expect(receivers.size).toBe(3);
  });

  test('property: dropping any target of any weighted set moves only that target\'s clients', () => {
    const sample = clientIps(1500);
    fc.assert(fc.property(
      fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 2, maxLength: 8 }),
      fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 8, maxLength: 8 }),
      fc.nat(),
      (ids, weights, which) => {
        const ts: TargetConfig[] = ids.map((id, i) => ({ id, address: '127.0.3.1', port: 80 + i, weight: weights[i], source: { kind: 'serverGroup', path: 'p', instance: null } }));
        const gone = ts[which % ts.length].id;
        const before = assign(ts, sample);
        const after = assign(ts.filter((t) => t.id !== gone), sample);
        for (let i = 0; i < sample.length; i++) {
          if (before[i] !== gone && after[i] !== before[i]) return false;
        }
        return true;
      },
    ), { numRuns: 60, seed: 20261125 });
  });

  test('distribution is proportional to weight over 10k client addresses', () => {
    const weights = [10, 20, 30, 40];
    const result = assign(targets(weights), ips);
    const total = weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < weights.length; i++) {
      const share = result.filter((id) => id === `t${i}`).length / ips.length;
      const expected = weights[i] / total;
      // 16 points per weight unit: each target gets its weight's share ±15 % (measured: within ±3 %).
      expect(share).toBeGreaterThan(expected * 0.85);
      expect(share).toBeLessThan(expected * 1.15);
    }
  });

  test('weight 0 target gets nothing; all down → null; exclusions walk on', () => {
    const peers = createPeers(targets([10, 0, 10]));
    const lb = createBalancer('SOURCE_IP_HASH', peers) as SourceIpHash;
    expect(lb.ringSize).toBe(320);
    const sample = clientIps(500);
    for (const ip of sample) expect(lb.pick(ip, null)!.id).not.toBe('t1');
    for (const ip of sample.slice(0, 50)) {
      const first = lb.pick(ip, null)!;
      const retry = lb.pick(ip, new Set([first]))!;
      expect(retry.id).not.toBe(first.id);
      expect(retry.id).not.toBe('t1');
      expect(lb.pick(ip, new Set([peers[0], peers[2]]))).toBeNull();
    }
    peers[0].available = false;
    peers[2].available = false;
    lb.availabilityChanged();
    expect(lb.pick('127.0.0.1', null)).toBeNull();
    expect(createBalancer('SOURCE_IP_HASH', []).pick('127.0.0.1', null)).toBeNull();
  });

  test('IPv4-mapped IPv6 hashes like the IPv4 address; distinct addresses spread', () => {
    expect(hashClientIp('::ffff:10.1.2.3')).toBe(hashClientIp('10.1.2.3'));
    expect(hashClientIp('::FFFF:10.1.2.3')).toBe(hashClientIp('10.1.2.3'));
    expect(hashClientIp('::ffff:a:b')).not.toBe(hashClientIp('a:b'));
    expect(hashClientIp('2001:DB8::1')).toBe(hashClientIp('2001:db8::1'));
    expect(hashClientIp('2001:db8::1')).not.toBe(hashClientIp('2001:db8::2'));
    const hashes = new Set(clientIps(10_000).map(hashClientIp));
    expect(hashes.size).toBeGreaterThan(9_990);
  });
});
