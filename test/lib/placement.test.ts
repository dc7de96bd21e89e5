import * as fc from 'fast-check';
import { MAX_VMS_PER_GROUP, PlacementError, StablePlacement, planAll, planGroup, vmAddress } from '../../lib/placement/plan';
import { PlacedGroup, PlacedVm, PlacementGroup, VmRole, ZoneSpec } from '../../lib/placement/types';

/** Topologies of 1..4 zones with 1..6 racks each; rack names unique across zones. */
const topologyArb: fc.Arbitrary<ZoneSpec[]> = fc
  .array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 })
  .map((rackCounts) => {
    let rack = 0;
    return rackCounts.map((count, z) => ({
      name: `az-${z + 1}`,
      racks: Array.from({ length: count }, () => `r${++rack}`),
    }));
  });

const groupNameArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);

function countsBy<T>(items: T[], key: (t: T) => string, keys: string[]): number[] {
  const counts = new Map<string, number>(keys.map((k) => [k, 0]));
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.values()];
}

function skew(counts: number[]): number {
  return Math.max(...counts) - Math.min(...counts);
}

function assertBalanced(topology: ZoneSpec[], vms: PlacedVm[], zones: string[]): void {
  expect(skew(countsBy(vms, (v) => v.zone, zones))).toBeLessThanOrEqual(1);
  for (const zone of topology.filter((z) => zones.includes(z.name))) {
    const inZone = vms.filter((v) => v.zone === zone.name);
    for (const vm of inZone) expect(zone.racks).toContain(vm.rack);
    expect(skew(countsBy(inZone, (v) => v.rack, zone.racks))).toBeLessThanOrEqual(1);
    if (inZone.length <= zone.racks.length) {
      // anti-affinity: no two VMs of one group share a rack while the zone has a free one
      expect(new Set(inZone.map((v) => v.rack)).size).toBe(inZone.length);
    }
  }
}

describe('planGroup invariants (property-based)', () => {
  test('zones balanced (skew <= 1), racks balanced within a zone, one VM per rack while racks are free', () => {
    fc.assert(
      fc.property(topologyArb, fc.integer({ min: 0, max: 60 }), fc.boolean(), groupNameArb, (topology, n, lb, name) => {
        const group: PlacementGroup = lb
          ? { name, role: VmRole.LB_NODE, perZone: Math.max(1, n % 5) }
          : { name, role: VmRole.AG_VM, count: n };
        const vms = planGroup(topology, group, []);
        const expected = lb ? Math.max(1, n % 5) * topology.length : n;
        expect(vms).toHaveLength(expected);
        expect(vms.map((v) => v.index)).toEqual(Array.from({ length: expected }, (_, i) => i));
        assertBalanced(topology, vms, topology.map((z) => z.name));
        if (lb) {
          for (const zone of topology) expect(vms.filter((v) => v.zone === zone.name)).toHaveLength(Math.max(1, n % 5));
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a zone subset is honoured and balanced', () => {
    fc.assert(
      fc.property(topologyArb.filter((t) => t.length >= 2), fc.integer({ min: 1, max: 30 }), (topology, n) => {
        const zones = topology.slice(1).map((z) => z.name).reverse(); // order of the list does not matter
        const vms = planGroup(topology, { name: 'ag', role: VmRole.AG_VM, count: n, zones }, []);
        for (const vm of vms) expect(zones).toContain(vm.zone);
        assertBalanced(topology, vms, zones);
        expect(planGroup(topology, { name: 'ag', role: VmRole.AG_VM, count: n, zones: [...zones].reverse() }, [])).toEqual(vms);
      }),
    );
  });

  test('deterministic: the same input gives the same plan', () => {
    fc.assert(
      fc.property(topologyArb, fc.integer({ min: 0, max: 40 }), groupNameArb, (topology, n, name) => {
        const group = { name, role: VmRole.AG_VM, count: n };
        expect(planGroup(topology, group, ['X_other'])).toEqual(planGroup(JSON.parse(JSON.stringify(topology)), { ...group }, ['X_other']));
      }),
    );
  });

  test('growing a group from N to N+1 moves none of the first N (count and perZone)', () => {
    fc.assert(
      fc.property(topologyArb, fc.integer({ min: 0, max: 50 }), groupNameArb, (topology, n, name) => {
        const small = planGroup(topology, { name, role: VmRole.AG_VM, count: n }, []);
        const big = planGroup(topology, { name, role: VmRole.AG_VM, count: n + 1 }, []);
        expect(big.slice(0, n)).toEqual(small);
        const perZone = 1 + (n % 4);
        const lbSmall = planGroup(topology, { name, role: VmRole.LB_NODE, perZone }, []);
        const lbBig = planGroup(topology, { name, role: VmRole.LB_NODE, perZone: perZone + 1 }, []);
        expect(lbBig.slice(0, lbSmall.length)).toEqual(lbSmall);
      }),
      { numRuns: 200 },
    );
  });

  test('removing a rack (with the previous plan) moves only the VMs that were in it, and stays balanced', () => {
    fc.assert(
      fc.property(
        topologyArb.filter((t) => t.some((z) => z.racks.length >= 2)),
        fc.integer({ min: 0, max: 50 }),
        fc.nat(),
        fc.boolean(),
        (topology, n, pick, lb) => {
          const group: PlacementGroup = lb ? { name: 'web', role: VmRole.LB_NODE, perZone: 1 + (n % 6) } : { name: 'app', role: VmRole.AG_VM, count: n };
          const before = planGroup(topology, group, ['other']);
          const candidates = topology.flatMap((z) => (z.racks.length >= 2 ? z.racks : []));
          const removed = candidates[pick % candidates.length];
          const shrunk = topology.map((z) => ({ name: z.name, racks: z.racks.filter((r) => r !== removed) }));
          const after = planGroup(shrunk, group, ['other'], before);
          expect(after).toHaveLength(before.length);
          for (let i = 0; i < before.length; i++) {
            if (before[i].rack !== removed) {
              expect(after[i]).toEqual(before[i]); // same rack, name and address
            } else {
              expect(after[i].rack).not.toBe(removed);
              expect(after[i].zone).toBe(before[i].zone);
            }
          }
          assertBalanced(shrunk, after, shrunk.map((z) => z.name));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('adding a rack with the previous plan keeps every VM where it was when balance allows', () => {
    fc.assert(
      fc.property(topologyArb, fc.integer({ min: 0, max: 40 }), (topology, n) => {
        const before = planGroup(topology, { name: 'app', role: VmRole.AG_VM, count: n }, []);
        const grown = topology.map((z, i) => (i === 0 ? { name: z.name, racks: [...z.racks, 'new-rack'] } : z));
        const after = planGroup(grown, { name: 'app', role: VmRole.AG_VM, count: n }, [], before);
        assertBalanced(grown, after, grown.map((z) => z.name));
        // only VMs of zone 0 may move (to rebalance onto the new rack), and only onto it
        for (let i = 0; i < n; i++) {
          if (after[i].rack !== before[i].rack) expect(after[i].rack).toBe('new-rack');
        }
      }),
    );
  });

  test('addresses: unique across all groups of one infrastructure, inside 127.0.0.0/8, never 127.0.0.1', () => {
    fc.assert(
      fc.property(
        topologyArb,
        fc.array(fc.record({ lb: fc.boolean(), n: fc.integer({ min: 1, max: 40 }) }), { minLength: 1, maxLength: 6 }),
        (topology, specs) => {
          const groups: PlacementGroup[] = specs.map((s, i) =>
            s.lb ? { name: `lb${i}`, role: VmRole.LB_NODE, perZone: 1 + (s.n % 3) } : { name: `ag${i}`, role: VmRole.AG_VM, count: s.n },
          );
          const vms = planAll(topology, groups);
          const addresses = vms.map((v) => v.address);
          expect(new Set(addresses).size).toBe(addresses.length);
          expect(new Set(vms.map((v) => v.name)).size).toBe(vms.length);
          for (const address of addresses) {
            const octets = address.split('.').map(Number);
            expect(octets).toHaveLength(4);
            expect(octets[0]).toBe(127);
            for (const o of octets) expect(Number.isInteger(o) && o >= 0 && o <= 255).toBe(true);
            expect(address).not.toBe('127.0.0.1');
            expect(octets[1]).toBeGreaterThanOrEqual(1);
          }
        },
      ),
    );
  });
});

describe('planGroup examples and errors', () => {
  const quickstart: ZoneSpec[] = [
    { name: 'az-1', racks: ['r1', 'r2'] },
    { name: 'az-2', racks: ['r3', 'r4'] },
  ];

  test('quickstart: 2 LB nodes per zone on 4 racks, 4 AG VMs on 4 racks, readable addresses', () => {
    const vms = planAll(quickstart, [
      { name: 'web', role: VmRole.LB_NODE, perZone: 2 },
      { name: 'app', role: VmRole.AG_VM, count: 4 },
    ]);
    const web = vms.filter((v) => v.group === 'web');
    const app = vms.filter((v) => v.group === 'app');
    expect(new Set(web.map((v) => v.rack))).toEqual(new Set(['r1', 'r2', 'r3', 'r4']));
    expect(new Set(app.map((v) => v.rack))).toEqual(new Set(['r1', 'r2', 'r3', 'r4']));
    expect(web.map((v) => v.zone)).toEqual(['az-1', 'az-2', 'az-1', 'az-2']);
    for (const vm of web) {
      const zonePos = quickstart.findIndex((z) => z.name === vm.zone);
      const rackPos = quickstart[zonePos].racks.indexOf(vm.rack);
      expect(vm.address).toBe(`127.1.${10 * (zonePos + 1) + rackPos + 1}.${vm.index + 1}`);
      expect(vm.name).toBe(`web-${vm.zone}-${vm.rack}-${vm.index}`);
    }
    for (const vm of app) expect(vm.address.startsWith('127.2.')).toBe(true);
  });

  test('vmAddress follows the documented scheme', () => {
    expect(vmAddress(1, 0, 0, 0)).toBe('127.1.11.1');
    expect(vmAddress(3, 1, 2, 9)).toBe('127.3.23.10');
    expect(vmAddress(254, 23, 8, 253)).toBe('127.254.249.254');
  });

  test('unknown zone', () => {
    expect(() => planGroup(quickstart, { name: 'app', role: VmRole.AG_VM, count: 2, zones: ['az-9'] }, [])).toThrow(
      /placement group "app": zones "az-9" is a zone the infrastructure lacks; allowed: zones of the infrastructure: "az-1", "az-2"$/,
    );
  });

  test('zero racks', () => {
    expect(() => planGroup([{ name: 'az-1', racks: [] }], { name: 'app', role: VmRole.AG_VM, count: 1 }, [])).toThrow(
      /^topology: zones\[0\]\.racks \[\] is empty; allowed: at least one rack per zone$/,
    );
  });

  test('too many VMs for the address scheme', () => {
    expect(() => planGroup(quickstart, { name: 'app', role: VmRole.AG_VM, count: MAX_VMS_PER_GROUP + 1 }, [])).toThrow(
      /count 255 asks for 255 VMs; allowed: at most 254 VMs per group/,
    );
    expect(() => planGroup(quickstart, { name: 'web', role: VmRole.LB_NODE, perZone: 128 }, [])).toThrow(/perZone 128 asks for 256 VMs/);
    expect(() => planGroup(quickstart, { name: 'x', role: VmRole.AG_VM, count: 1 }, Array.from({ length: 254 }, (_, i) => `g${i}`))).toThrow(
      /at most 254 groups per infrastructure/,
    );
    const tooManyRacks = [{ name: 'az-1', racks: Array.from({ length: 10 }, (_, i) => `r${i}`) }];
    expect(() => planGroup(tooManyRacks, { name: 'x', role: VmRole.AG_VM, count: 1 }, [])).toThrow(/at most 9 racks per zone/);
  });

  test('malformed groups and topologies', () => {
    expect(() => planGroup(quickstart, { name: 'x', role: VmRole.AG_VM }, [])).toThrow(/exactly one of them set/);
    expect(() => planGroup(quickstart, { name: 'x', role: VmRole.AG_VM, count: 1, perZone: 1 }, [])).toThrow(/exactly one of them set/);
    expect(() => planGroup(quickstart, { name: 'x', role: VmRole.LB_NODE, perZone: 0 }, [])).toThrow(/perZone 0 is not a positive integer/);
    expect(() => planGroup(quickstart, { name: 'x', role: VmRole.AG_VM, count: 1.5 }, [])).toThrow(/count 1.5 is not a non-negative integer/);
    expect(() => planGroup(quickstart, { name: 'web', role: VmRole.AG_VM, count: 1 }, ['web'])).toThrow(/already placed on this infrastructure/);
    expect(() => planGroup(quickstart, { name: 'a b', role: VmRole.AG_VM, count: 1 }, [])).toThrow(/name "a b" is not a valid group name/);
    expect(() => planGroup([{ name: 'az-1', racks: ['r1'] }, { name: 'az-2', racks: ['r1'] }], { name: 'x', role: VmRole.AG_VM, count: 1 }, [])).toThrow(
      /racks\[0\] "r1" is already a rack of zone "az-1"/,
    );
    expect(() => planGroup([], { name: 'x', role: VmRole.AG_VM, count: 1 }, [])).toThrow(PlacementError);
    expect(() => planGroup(quickstart, { name: 'x', role: VmRole.AG_VM, count: 1, zones: ['az-1', 'az-1'] }, [])).toThrow(/listed twice/);
  });

  test('count 0 is an empty plan', () => {
    expect(planGroup(quickstart, { name: 'x', role: VmRole.AG_VM, count: 0 }, [])).toEqual([]);
  });
});

/** Groups of an infrastructure as a user might declare them: LBs by perZone, AGs by count. */
const groupsArb: fc.Arbitrary<PlacementGroup[]> = fc
  .array(fc.record({ lb: fc.boolean(), n: fc.integer({ min: 0, max: 20 }) }), { minLength: 1, maxLength: 6 })
  .map((specs) => specs.map((s, i) => (s.lb
    ? { name: `lb${i}`, role: VmRole.LB_NODE, perZone: 1 + (s.n % 3) }
    : { name: `ag${i}`, role: VmRole.AG_VM, count: s.n })));

/** Places `groups` in order with StablePlacement; returns the recorded groups (the next `previous`). */
function deploy(topology: ZoneSpec[], groups: PlacementGroup[], previous: PlacedGroup[] = []): PlacedGroup[] {
  const placement = new StablePlacement(topology, previous);
  for (const group of groups) placement.place(group);
  return placement.groups;
}

function byName(groups: PlacedGroup[]): Map<string, PlacedGroup> {
  return new Map(groups.map((g) => [g.name, g]));
}

function expectUniqueAddresses(groups: PlacedGroup[]): void {
  const addresses = groups.flatMap((g) => g.vms.map((v) => v.address));
  expect(new Set(addresses).size).toBe(addresses.length);
  for (const g of groups) for (const vm of g.vms) expect(vm.address.split('.')[1]).toBe(String(g.ordinal));
}

describe('StablePlacement: stable across synths given the last deployed placement', () => {
  test('without a previous placement it numbers groups in declaration order, like planAll', () => {
    fc.assert(
      fc.property(topologyArb, groupsArb, (topology, groups) => {
        const placed = deploy(topology, groups);
        expect(placed.map((g) => g.ordinal)).toEqual(groups.map((_, i) => i + 1));
        expect(placed.flatMap((g) => g.vms)).toEqual(planAll(topology, groups));
      }),
    );
  });

  test('reordering the declarations and declaring new groups anywhere keeps every existing VM (name, rack, address)', () => {
    fc.assert(
      fc.property(
        topologyArb,
        groupsArb,
        fc.array(fc.integer({ min: 0, max: 10 }), { maxLength: 3 }),
        fc.nat(),
        (topology, groups, newCounts, seed) => {
          const first = deploy(topology, groups);
          // A permutation of the old declarations with new groups inserted at "random" places.
          const reordered = [...groups];
          for (let i = reordered.length - 1; i > 0; i--) {
            const j = (seed * (i + 7)) % (i + 1);
            [reordered[i], reordered[j]] = [reordered[j], reordered[i]];
          }
          newCounts.forEach((count, k) => reordered.splice((seed + k) % (reordered.length + 1), 0, { name: `new${k}`, role: VmRole.AG_VM, count }));
          const second = deploy(topology, reordered, first);
          const before = byName(first);
          const after = byName(second);
          for (const group of groups) expect(after.get(group.name)).toEqual(before.get(group.name));
          // New groups take the lowest ordinals no existing group holds, in declaration order.
          const taken = new Set(first.map((g) => g.ordinal));
          const free: number[] = [];
          for (let o = 1; free.length < newCounts.length; o++) if (!taken.has(o)) free.push(o);
          const newOrdinals = second.filter((g) => g.name.startsWith('new')).map((g) => g.ordinal);
          expect(newOrdinals).toEqual(free);
          expectUniqueAddresses(second);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('removing a rack moves only the VMs that were in it, in every group; ordinals are kept', () => {
    fc.assert(
      fc.property(topologyArb.filter((t) => t.some((z) => z.racks.length >= 2)), groupsArb, fc.nat(), (topology, groups, pick) => {
        const first = deploy(topology, groups);
        const candidates = topology.flatMap((z) => (z.racks.length >= 2 ? z.racks : []));
        const removed = candidates[pick % candidates.length];
        const shrunk = topology.map((z) => ({ name: z.name, racks: z.racks.filter((r) => r !== removed) }));
        const second = deploy(shrunk, groups, first);
        expect(second.map((g) => g.ordinal)).toEqual(first.map((g) => g.ordinal));
        second.forEach((group, gi) => {
          group.vms.forEach((vm, i) => {
            const old = first[gi].vms[i];
            if (old.rack === removed) {
              expect(vm.rack).not.toBe(removed);
              expect(vm.zone).toBe(old.zone);
            } else {
              expect(vm).toEqual(old);
            }
          });
          assertBalanced(shrunk, group.vms, shrunk.map((z) => z.name));
        });
        expectUniqueAddresses(second);
      }),
      { numRuns: 300 },
    );
  });

  test('growing a group N → N+1 with the previous placement moves none of the first N', () => {
    fc.assert(
      fc.property(topologyArb, groupsArb, fc.nat(), (topology, groups, pick) => {
        const first = deploy(topology, groups);
        const grownIndex = pick % groups.length;
        const grown = groups.map((g, i) => (i !== grownIndex ? g
          : g.count !== undefined ? { ...g, count: g.count + 1 } : { ...g, perZone: (g.perZone as number) + 1 }));
        const second = deploy(topology, grown, first);
        expect(second[grownIndex].vms.slice(0, first[grownIndex].vms.length)).toEqual(first[grownIndex].vms);
        second.forEach((g, i) => i !== grownIndex && expect(g).toEqual(first[i]));
      }),
    );
  });

  test('a group declared before the existing ones: without the previous placement everything is renumbered, with it nothing moves', () => {
    const zones: ZoneSpec[] = [{ name: 'az-1', racks: ['r1', 'r2'] }, { name: 'az-2', racks: ['r3', 'r4'] }];
    const web: PlacementGroup = { name: 'web', role: VmRole.LB_NODE, perZone: 2 };
    const app: PlacementGroup = { name: 'app', role: VmRole.AG_VM, count: 4 };
    const legacy: PlacementGroup = { name: 'legacy', role: VmRole.AG_VM, count: 1 };
    const first = deploy(zones, [web, app]);
    const naive = deploy(zones, [legacy, web, app]);
    expect(naive.find((g) => g.name === 'web')?.vms[0].address).toMatch(/^127\.2\./); // what the previous placement prevents
    const stable = deploy(zones, [legacy, web, app], first);
    expect(stable.map((g) => [g.name, g.ordinal])).toEqual([['legacy', 3], ['web', 1], ['app', 2]]);
    expect(stable[1]).toEqual(first[0]);
    expect(stable[2]).toEqual(first[1]);
    expect(stable[0].vms.map((v) => v.address)).toEqual([expect.stringMatching(/^127\.3\.\d+\.1$/)]);
  });

  test('a group of the last deploy that is no longer declared keeps its ordinal reserved (its VMs still run until that deploy ends)', () => {
    const zones: ZoneSpec[] = [{ name: 'az-1', racks: ['r1'] }];
    const first = deploy(zones, [{ name: 'a', role: VmRole.AG_VM, count: 1 }, { name: 'b', role: VmRole.AG_VM, count: 1 }]);
    const second = deploy(zones, [{ name: 'c', role: VmRole.AG_VM, count: 1 }, { name: 'b', role: VmRole.AG_VM, count: 1 }], first);
    expect(second.map((g) => [g.name, g.ordinal])).toEqual([['c', 3], ['b', 2]]);
    // After that deploy, "a" is gone from the record and its ordinal is free again.
    const third = deploy(zones, [{ name: 'd', role: VmRole.AG_VM, count: 1 }, { name: 'c', role: VmRole.AG_VM, count: 1 }, { name: 'b', role: VmRole.AG_VM, count: 1 }], second);
    expect(third.map((g) => [g.name, g.ordinal])).toEqual([['d', 1], ['c', 3], ['b', 2]]);
  });

  test('a broken previous placement is refused with what and where', () => {
    const zones: ZoneSpec[] = [{ name: 'az-1', racks: ['r1'] }];
    const first = deploy(zones, [{ name: 'a', role: VmRole.AG_VM, count: 1 }]);
    expect(() => new StablePlacement(zones, [first[0], first[0]])).toThrow(/previous placement groups\[1\]: name "a" is recorded twice/);
    expect(() => new StablePlacement(zones, [first[0], { name: 'b', ordinal: 1, vms: [] }])).toThrow(
      /groups\[1\]: ordinal 1 of group "b" is held by another recorded group; allowed: distinct ordinals/,
    );
    expect(() => new StablePlacement(zones, [{ name: 'b', ordinal: 255, vms: [] }])).toThrow(/ordinal 255 is outside the address scheme; allowed: an integer 1..254/);
    expect(() => planGroup(zones, { name: 'x', role: VmRole.AG_VM, count: 1 }, [], [], 0)).toThrow(/ordinal 0 is outside the address scheme/);
  });
});
