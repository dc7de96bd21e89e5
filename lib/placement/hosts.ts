/**
 * Placement onto real hosts (SshInfrastructure): the planner (plan.ts) decides each VM's zone
 * and rack; this assigns each VM a host of that zone and rack.
 *
 * Rules:
 *  1. A VM runs on a host of its planned zone and rack, at most `vmsPerHost` VMs per host
 *     (default 1), and never two VMs of one group on one host (two nodes of one LB, or two
 *     instances of one availability group, which would also share a port).
 *  2. Stable: a VM recorded on a host at the last applied deploy (`previous`) stays there
 *     while the host exists in its zone and rack. Hosts held by recorded VMs of groups not
 *     placed yet are kept free for them, so adding a host or declaring a group earlier moves
 *     nothing, and removing a host moves only its VMs.
 *  3. Otherwise the least-loaded eligible host of the rack, ties in declaration order.
 * A VM that finds no host is reported, not thrown: the caller collects every shortage of the
 * app and fails synth once, saying how many hosts each zone/rack lacks.
 */
import { PlacementState, parsePlacementState, placementState } from './state';
import { PlacedGroup, PlacedVm } from './types';

/** One host of an SSH fleet. */
export interface HostSpec {
  readonly name: string;
  readonly address: string;
  readonly zone: string;
  readonly rack: string;
}

/** Where the last applied deploy ran a VM. */
export interface HostAssignment {
  readonly vm: string;
  readonly group: string;
  readonly host: string;
}

export interface HostShortage {
  readonly zone: string;
  readonly rack: string;
  /** Hosts the rack has. */
  readonly hosts: number;
  /** More hosts it needs so that every VM placed there gets one. */
  readonly lacking: number;
  /** The VMs that found no host. */
  readonly vms: string[];
}

export class HostPlacement {
  private readonly load = new Map<string, number>();
  private readonly groupsOnHost = new Map<string, Set<string>>();
  private readonly assigned = new Map<string, string>();
  private readonly groupOf = new Map<string, string>();
  private readonly unplaced: PlacedVm[] = [];
  private readonly placedGroups = new Set<string>();

  constructor(
    private readonly hosts: readonly HostSpec[],
    private readonly vmsPerHost: number,
    private readonly previous: readonly HostAssignment[] = [],
  ) {
    for (const h of hosts) {
      this.load.set(h.name, 0);
      this.groupsOnHost.set(h.name, new Set());
    }
  }

  /** Assigns hosts to one group's VMs; returns them with the host's address (unplaced ones keep a rack host's address). */
  public assign(vms: readonly PlacedVm[]): PlacedVm[] {
    const group = vms[0]?.group;
    if (group !== undefined) this.placedGroups.add(group);
    const result = new Map<string, PlacedVm>();
    // Rule 2 first for the whole group, so a new VM never takes a host its sibling had.
    for (const vm of vms) {
      const before = this.previous.find((a) => a.vm === vm.name);
      const host = this.hosts.find((h) => h.name === before?.host);
      if (host !== undefined && this.fits(host, vm, true)) result.set(vm.name, this.take(host, vm));
    }
    for (const vm of vms) {
      if (result.has(vm.name)) continue;
      let best: HostSpec | undefined;
      for (const host of this.hosts) {
        if (!this.fits(host, vm, false)) continue;
        if (best === undefined || (this.load.get(host.name) as number) < (this.load.get(best.name) as number)) best = host;
      }
      if (best !== undefined) {
        result.set(vm.name, this.take(best, vm));
      } else {
        this.unplaced.push(vm);
        const anyInRack = this.hosts.find((h) => h.zone === vm.zone && h.rack === vm.rack);
        result.set(vm.name, { ...vm, address: anyInRack?.address ?? vm.address });
      }
    }
    return vms.map((vm) => result.get(vm.name) as PlacedVm);
  }

  /** Every VM that got a host, in assignment order: what a deploy records as the next `previous`. */
  public get assignments(): HostAssignment[] {
    return [...this.assigned].map(([vm, host]) => ({ vm, group: this.groupOf.get(vm) as string, host }));
  }

  /** The host of a VM, or undefined when it found none. */
  public hostOf(vm: string): HostSpec | undefined {
    const name = this.assigned.get(vm);
    return this.hosts.find((h) => h.name === name);
  }

  /** Per zone/rack, how many hosts are missing (empty when every VM has a host). */
  public get shortages(): HostShortage[] {
    const byRack = new Map<string, PlacedVm[]>();
    for (const vm of this.unplaced) {
      const key = `${vm.zone}\u0000${vm.rack}`;
      byRack.set(key, [...(byRack.get(key) ?? []), vm]);
    }
    return [...byRack.values()].map((vms) => {
      const { zone, rack } = vms[0];
      const perGroup = new Map<string, number>();
      for (const vm of vms) perGroup.set(vm.group, (perGroup.get(vm.group) ?? 0) + 1);
      // Each unplaced VM of one group needs a host of its own; others may share up to vmsPerHost.
      const lacking = Math.max(...perGroup.values(), Math.ceil(vms.length / this.vmsPerHost));
      const hosts = this.hosts.filter((h) => h.zone === zone && h.rack === rack).length;
      return { zone, rack, hosts, lacking, vms: vms.map((v) => v.name) };
    });
  }

  private fits(host: HostSpec, vm: PlacedVm, recorded: boolean): boolean {
    if (host.zone !== vm.zone || host.rack !== vm.rack) return false;
    if ((this.load.get(host.name) as number) >= this.vmsPerHost) return false;
    if ((this.groupsOnHost.get(host.name) as Set<string>).has(vm.group)) return false;
    if (recorded) return true;
    // Keep the host free for a recorded VM of a group that has not been placed yet.
    const pending = this.previous.filter((a) => a.host === host.name && !this.placedGroups.has(a.group));
    return (this.load.get(host.name) as number) + pending.length < this.vmsPerHost;
  }

  private take(host: HostSpec, vm: PlacedVm): PlacedVm {
    this.load.set(host.name, (this.load.get(host.name) as number) + 1);
    (this.groupsOnHost.get(host.name) as Set<string>).add(vm.group);
    this.assigned.set(vm.name, host.name);
    this.groupOf.set(vm.name, vm.group);
    return { ...vm, address: host.address };
  }
}

/**
 * The record an SSH target keeps of its last applied deploy: the planner's groups (zones,
 * racks, VM names; as in LocalInfrastructure's record) plus the host of every VM.
 */
export interface HostPlacementState extends PlacementState {
  readonly hosts: HostAssignment[];
}

export function hostPlacementState(infrastructure: string, groups: readonly PlacedGroup[], hosts: readonly HostAssignment[]): HostPlacementState {
  return { ...placementState(infrastructure, groups), hosts: hosts.map((a) => ({ vm: a.vm, group: a.group, host: a.host })) };
}

/** Parses and checks a host placement record; `source` names the file in messages. */
export function parseHostPlacementState(text: string, source: string): HostPlacementState {
  const base = parsePlacementState(text, source);
  const doc = JSON.parse(text) as { hosts?: unknown };
  if (!Array.isArray(doc.hosts)) throw new Error(`${source}: hosts ${JSON.stringify(doc.hosts)} is invalid (allowed: an array of { vm, group, host }; delete the file to place from scratch — running VMs may then move)`);
  const hosts = doc.hosts.map((a: any, i: number) => {
    for (const field of ['vm', 'group', 'host']) {
      if (typeof a?.[field] !== 'string' || a[field] === '') throw new Error(`${source}: hosts[${i}].${field} ${JSON.stringify(a?.[field])} is invalid (allowed: a non-empty string)`);
    }
    return { vm: a.vm as string, group: a.group as string, host: a.host as string };
  });
  return { ...base, hosts };
}
