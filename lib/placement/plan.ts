/**
 * The placement planner: which zone, rack and address each VM of a group gets.
 *
 * Rules, in order of priority:
 *  1. Zones balanced: VM `i` of a group goes to zone `zones[i mod Z]` (the group's zones in
 *     the topology's declaration order), so zone counts differ by at most one and growing
 *     a group never moves an existing VM to another zone.
 *  2. Racks balanced within a zone (counts differ by at most one), which also means that no
 *     two VMs of one group (e.g. two nodes of one LB) share a rack while the zone still has
 *     a free rack. The k-th VM of a zone goes to the least-loaded rack; ties are broken by a
 *     per-group rack preference (a hash of group, zone and rack names) so that different
 *     groups do not all start on the zone's first rack.
 *  3. Stable: the plan of N+1 VMs extends the plan of N VMs (the greedy fill above only looks
 *     at VMs with lower indices). Removing a rack moves only the VMs that were in it *when
 *     the previous plan is passed in* (`previous`): VMs whose rack still exists stay put
 *     (subject to balance), the displaced ones fill the least-loaded racks. Without the
 *     previous plan this cannot be guaranteed together with rule 2 by any pure function of
 *     the topology (e.g. 3 VMs on 4 racks: "stay put when another rack is removed" forces
 *     each VM's rack to be the best rack under a fixed per-VM order, and no three such
 *     orders keep the VMs on three distinct racks for every subset of racks).
 *
 * Address scheme (all inside 127.0.0.0/8, never 127.0.0.1):
 *
 *     127 . G . (10 × zonePosition + rackPosition) . (index + 1)
 *
 *  - G (1..254): the group's ordinal on its infrastructure. planGroup defaults it to the number
 *    of groups placed before it + 1 (`existingGroupNames`); StablePlacement instead keeps the
 *    ordinal a group had in the last deployed placement and gives a new group the lowest
 *    ordinal no previous or current group holds, so declaring a group earlier in the code
 *    does not renumber (re-address, replace) the groups after it. Distinct groups never share G.
 *  - third octet: zone position (1-based, declaration order, ≤ 24) in the tens and rack
 *    position within the zone (1-based, ≤ 9) in the units: 127.G.23.x is zone 2, rack 3.
 *    It is informational (readable in `ss`/logs); uniqueness comes from G and the index.
 *  - fourth octet: the VM's index in its group + 1 (1..254), unique within the group.
 * With `previous`, a VM that stays in its rack keeps its previous address even if a rack
 * before it was removed (the index octet keeps addresses unique regardless).
 */
import { issue, IssueError } from '../model/messages';
import { NAME_ALLOWED, NAME_PATTERN, validateTopology, validateZoneSelection } from '../model/topology';
import { PlacedGroup, PlacedVm, PlacementGroup, VmRole, ZoneSpec } from './types';

export type { PlacedGroup } from './types';

/** Limits of the address scheme, exported so messages and docs quote the same numbers. */
export const MAX_ZONES = 24;
export const MAX_RACKS_PER_ZONE = 9;
export const MAX_VMS_PER_GROUP = 254;
export const MAX_GROUPS = 254;

/** A placement request that cannot be satisfied or is malformed; carries the issue(s). */
export class PlacementError extends IssueError {
  constructor(issues: ConstructorParameters<typeof IssueError>[0]) {
    super(issues);
    this.name = 'PlacementError';
  }
}

function fail(where: string, field: string, value: unknown, problem: string, allowed: string): never {
  throw new PlacementError([issue(where, field, value, problem, allowed)]);
}

/**
 * Throws a PlacementError for a topology the planner cannot use: the topology rules of the
 * model (lib/model/topology.ts: names, uniqueness, racks per zone), then the address scheme's limits.
 */
export function checkTopology(topology: readonly ZoneSpec[]): void {
  const issues = validateTopology('topology', topology);
  if (issues.length > 0) throw new PlacementError(issues);
  if (topology.length > MAX_ZONES) {
    fail('topology', 'zones', topology.map((z) => z.name), `has ${topology.length} zones`, `at most ${MAX_ZONES} zones (address scheme)`);
  }
  topology.forEach((zone, i) => {
    if (zone.racks.length > MAX_RACKS_PER_ZONE) {
      fail('topology', `zones[${i}].racks`, zone.racks, `has ${zone.racks.length} racks`, `at most ${MAX_RACKS_PER_ZONE} racks per zone (address scheme)`);
    }
  });
}

/** FNV-1a, 32 bit: a tiny stable hash for tie-breaking (not for security). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The zones a group uses, in topology order, with their positions in the topology. */
function groupZones(topology: readonly ZoneSpec[], group: PlacementGroup): { zone: ZoneSpec; position: number }[] {
  const where = `placement group "${group.name}"`;
  const all = topology.map((zone, position) => ({ zone, position }));
  if (group.zones === undefined) return all;
  const issues = validateZoneSelection(where, 'zones', group.zones, topology.map((z) => z.name));
  if (issues.length > 0) throw new PlacementError(issues);
  const seen = new Set<string>(group.zones);
  return all.filter(({ zone }) => seen.has(zone.name));
}

function groupSize(group: PlacementGroup, zoneCount: number): number {
  const where = `placement group "${group.name}"`;
  const hasPerZone = group.perZone !== undefined;
  const hasCount = group.count !== undefined;
  if (hasPerZone === hasCount) {
    fail(where, 'perZone/count', { perZone: group.perZone, count: group.count }, 'must have exactly one of them set', 'perZone (VMs per zone) or count (VMs in total)');
  }
  let total: number;
  if (hasPerZone) {
    if (!Number.isInteger(group.perZone) || (group.perZone as number) < 1) fail(where, 'perZone', group.perZone, 'is not a positive integer', 'an integer >= 1');
    total = (group.perZone as number) * zoneCount;
  } else {
    if (!Number.isInteger(group.count) || (group.count as number) < 0) fail(where, 'count', group.count, 'is not a non-negative integer', 'an integer >= 0');
    total = group.count as number;
  }
  if (total > MAX_VMS_PER_GROUP) {
    fail(where, hasPerZone ? 'perZone' : 'count', hasPerZone ? group.perZone : group.count, `asks for ${total} VMs`, `at most ${MAX_VMS_PER_GROUP} VMs per group (address scheme)`);
  }
  return total;
}

/** Address of a VM under the scheme documented at the top of this file. */
export function vmAddress(groupOrdinal: number, zonePosition: number, rackPosition: number, index: number): string {
  return `127.${groupOrdinal}.${10 * (zonePosition + 1) + rackPosition + 1}.${index + 1}`;
}

/**
 * Places one group. `existingGroupNames` are the groups placed earlier on the same
 * infrastructure (in placement order). `previous` is an earlier plan of this same group: VMs
 * whose rack still exists stay where they were. `ordinal` is the group's address block G;
 * by default the number of existing groups + 1 (the caller must keep ordinals distinct when
 * it passes its own, as StablePlacement does).
 */
export function planGroup(
  topology: ZoneSpec[],
  group: PlacementGroup,
  existingGroupNames: string[],
  previous: PlacedVm[] = [],
  ordinal: number = existingGroupNames.length + 1,
  rackLoad?: ReadonlyMap<string, number>,
): PlacedVm[] {
  checkTopology(topology);
  if (typeof group?.name !== 'string' || !NAME_PATTERN.test(group.name)) fail('placement group', 'name', group?.name, 'is not a valid group name', NAME_ALLOWED);
  const where = `placement group "${group.name}"`;
  if (group.role !== VmRole.LB_NODE && group.role !== VmRole.AG_VM) fail(where, 'role', group.role, 'is unknown', `"${VmRole.LB_NODE}" or "${VmRole.AG_VM}"`);
  if (new Set(existingGroupNames).size !== existingGroupNames.length) {
    fail(where, 'existingGroupNames', existingGroupNames, 'has duplicates', 'group names unique per infrastructure');
  }
  if (existingGroupNames.includes(group.name)) {
    fail(where, 'name', group.name, 'is already placed on this infrastructure', 'group names unique per infrastructure');
  }
  if (existingGroupNames.length + 1 > MAX_GROUPS) {
    fail(where, 'group count', existingGroupNames.length + 1, 'exceeds the address scheme', `at most ${MAX_GROUPS} groups per infrastructure`);
  }
  if (!Number.isInteger(ordinal) || ordinal < 1 || ordinal > MAX_GROUPS) {
    fail(where, 'ordinal', ordinal, 'is outside the address scheme', `an integer 1..${MAX_GROUPS} (the second octet of its addresses)`);
  }

  const zones = groupZones(topology, group);
  const total = groupSize(group, zones.length);
  const previousByIndex = new Map<number, PlacedVm>();
  for (const vm of previous) if (vm.group === group.name) previousByIndex.set(vm.index, vm);

  const placed: PlacedVm[] = [];
  zones.forEach(({ zone, position: zonePosition }, zoneSlot) => {
    // Indices landing in this zone (rule 1), in increasing order.
    const indices: number[] = [];
    for (let i = zoneSlot; i < total; i += zones.length) indices.push(i);
    const rackOf = placeInZone(group.name, zone, indices, previousByIndex, rackLoad);
    for (const index of indices) {
      const rack = rackOf.get(index) as string;
      const rackPosition = zone.racks.indexOf(rack);
      const before = previousByIndex.get(index);
      const keepsAddress = before !== undefined && before.zone === zone.name && before.rack === rack &&
        before.address.startsWith(`127.${ordinal}.`) && before.address.endsWith(`.${index + 1}`);
      placed.push({
        name: `${group.name}-${zone.name}-${rack}-${index}`,
        group: group.name,
        role: group.role,
        index,
        zone: zone.name,
        rack,
        address: keepsAddress ? before.address : vmAddress(ordinal, zonePosition, rackPosition, index),
      });
    }
  });
  return placed.sort((a, b) => a.index - b.index);
}

/**
 * Rule 2 and 3 within one zone: returns index → rack. Previous racks are kept in index order
 * while they respect the balance bound (no rack above ceil(n/R), and no more racks at ceil
 * than n mod R allows); everything else fills the least-loaded rack, ties by preference.
 */
function placeInZone(group: string, zone: ZoneSpec, indices: number[], previous: Map<number, PlacedVm>, rackLoad?: ReadonlyMap<string, number>): Map<number, string> {
  const racks = zone.racks;
  const n = indices.length;
  const ceil = Math.ceil(n / racks.length);
  const remainder = n % racks.length;
  const maxRacksAtCeil = remainder === 0 ? racks.length : remainder;
  const load = new Map<string, number>(racks.map((r) => [r, 0]));
  const preference = new Map<string, number>(racks.map((r) => [r, fnv1a(`${group}/${zone.name}/${r}`)]));
  const result = new Map<number, string>();
  let racksAtCeil = 0;

  for (const index of indices) {
    const before = previous.get(index);
    if (before === undefined || before.zone !== zone.name || !load.has(before.rack)) continue;
    const current = load.get(before.rack) as number;
    if (current + 1 > ceil) continue;
    if (current + 1 === ceil && racksAtCeil >= maxRacksAtCeil) continue;
    if (current + 1 === ceil) racksAtCeil++;
    load.set(before.rack, current + 1);
    result.set(index, before.rack);
  }
  for (const index of indices) {
    if (result.has(index)) continue;
    let best = racks[0];
    for (const rack of racks) {
      const l = load.get(rack) as number;
      const bl = load.get(best) as number;
      // Ties: the rack fewer VMs of all groups stand in (when the caller counts them), then the preference.
      const gl = rackLoad?.get(rack) ?? 0;
      const gbl = rackLoad?.get(best) ?? 0;
      if (l < bl || (l === bl && (gl < gbl || (gl === gbl && (preference.get(rack) as number) < (preference.get(best) as number))))) best = rack;
    }
    load.set(best, (load.get(best) as number) + 1);
    result.set(index, best);
  }
  return result;
}

/**
 * Placement of one infrastructure's groups that stays put across synths, given what the
 * last deploy placed (`previous`, e.g. LocalInfrastructure's `<stateDir>/placement.json`):
 *  - a group found in `previous` keeps its ordinal G and is planned with its previous VMs
 *    (growing moves none; removing a rack moves only that rack's VMs);
 *  - a new group takes the lowest ordinal held by no previous group and no group placed so
 *    far. Previous groups that are not (yet) declared keep theirs reserved: they may be
 *    declared later in the code, and a removed group's VMs still exist until the deploy that
 *    destroys them, so its addresses must not be handed out in that same deploy.
 * Without `previous` this is exactly planAll's declaration-order numbering.
 */
export class StablePlacement {
  private readonly previousByName = new Map<string, PlacedGroup>();
  private readonly reserved = new Set<number>();
  private readonly placedGroups: PlacedGroup[] = [];

  /** VMs per rack over every group placed so far (only with spreadAcrossGroups). */
  private readonly rackLoad?: Map<string, number>;

  /**
   * `spreadAcrossGroups`: a VM whose group may go to several racks equally goes to the rack
   * fewer VMs of *all* groups stand in (before the per-group preference). For targets whose
   * racks hold a fixed number of machines (SshInfrastructure: hosts), so that single-VM
   * groups do not pile onto one rack; LocalInfrastructure keeps the per-group rule alone.
   */
  constructor(private readonly topology: ZoneSpec[], previous: readonly PlacedGroup[] = [], options: { spreadAcrossGroups?: boolean } = {}) {
    if (options.spreadAcrossGroups) this.rackLoad = new Map();
    previous.forEach((group, i) => {
      const where = `previous placement groups[${i}]`;
      if (this.previousByName.has(group.name)) fail(where, 'name', group.name, 'is recorded twice', 'one record per group');
      if (!Number.isInteger(group.ordinal) || group.ordinal < 1 || group.ordinal > MAX_GROUPS) {
        fail(where, 'ordinal', group.ordinal, 'is outside the address scheme', `an integer 1..${MAX_GROUPS}`);
      }
      if (this.reserved.has(group.ordinal)) fail(where, 'ordinal', group.ordinal, `of group "${group.name}" is held by another recorded group`, 'distinct ordinals');
      this.previousByName.set(group.name, group);
      this.reserved.add(group.ordinal);
    });
  }

  /** Places one group (names unique per infrastructure). */
  public place(group: PlacementGroup): PlacedVm[] {
    const before = this.previousByName.get(group?.name);
    const used = new Set(this.placedGroups.map((g) => g.ordinal));
    let ordinal = before?.ordinal;
    if (ordinal === undefined) {
      ordinal = 1;
      while (ordinal <= MAX_GROUPS && (this.reserved.has(ordinal) || used.has(ordinal))) ordinal++;
      if (ordinal > MAX_GROUPS) {
        fail(`placement group "${group?.name}"`, 'group count', this.reserved.size + used.size + 1, 'exceeds the address scheme',
          `at most ${MAX_GROUPS} groups per infrastructure, counting the groups of the last deploy`);
      }
    }
    const vms = planGroup(this.topology, group, this.placedGroups.map((g) => g.name), before?.vms ?? [], ordinal, this.rackLoad);
    for (const vm of vms) this.rackLoad?.set(vm.rack, (this.rackLoad.get(vm.rack) ?? 0) + 1);
    this.placedGroups.push({ name: group.name, ordinal, vms });
    return vms;
  }

  /** The groups placed so far, in placement order: what a deploy records as the next `previous`. */
  public get groups(): PlacedGroup[] {
    return this.placedGroups.map((g) => ({ name: g.name, ordinal: g.ordinal, vms: [...g.vms] }));
  }
}

/**
 * Places several groups on one infrastructure, in order (addresses never collide); with
 * `previous` (the groups of the last deploy) through StablePlacement.
 */
export function planAll(topology: ZoneSpec[], groups: PlacementGroup[], previous: readonly PlacedGroup[] = []): PlacedVm[] {
  const placement = new StablePlacement(topology, previous);
  return groups.flatMap((group) => placement.place(group));
}
