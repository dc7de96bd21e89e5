/**
 * The plan report: the placement as a table, and what survives the loss of each rack and
 * each zone — which LB nodes and AG VMs are left, and whether every LB keeps a node and every
 * backend service keeps a target. Targets that are not VMs of this infrastructure (e.g. a
 * server group's external address) are unaffected by a rack or zone loss.
 */
import type { LbConfig } from '../config/types';
import { PlanDocument } from './document';
import { PlacedVm, VmRole } from './types';

export interface GroupSurvival {
  readonly group: string;
  readonly role: VmRole;
  readonly total: number;
  /** Names of the group's VMs outside the lost domain. */
  readonly left: string[];
}

export interface BackendSurvival {
  /** LB group and backend service id. */
  readonly lb: string;
  readonly backend: string;
  readonly total: number;
  /** `address:port` of the targets that remain (weight > 0 only: weight 0 gets no traffic). */
  readonly left: string[];
}

export interface DomainLoss {
  readonly kind: 'rack' | 'zone';
  readonly name: string;
  /** Zone of a lost rack; the zone itself for a zone loss. */
  readonly zone: string;
  readonly groups: GroupSurvival[];
  readonly backends: BackendSurvival[];
  /** True when every LB keeps a node and every backend keeps a target. */
  readonly survives: boolean;
  /** Why not, one line per failure (empty when it survives). */
  readonly problems: string[];
}

/** Analyses every single rack loss and every single zone loss. */
export function analyseSurvivability(plan: PlanDocument, configs: ReadonlyMap<string, LbConfig>): DomainLoss[] {
  const domains: { kind: 'rack' | 'zone'; name: string; zone: string; lost: (vm: PlacedVm) => boolean }[] = [];
  for (const zone of plan.zones) {
    for (const rack of zone.racks) domains.push({ kind: 'rack', name: rack, zone: zone.name, lost: (vm) => vm.rack === rack });
  }
  for (const zone of plan.zones) domains.push({ kind: 'zone', name: zone.name, zone: zone.name, lost: (vm) => vm.zone === zone.name });

  const groupNames = [...new Set(plan.vms.map((vm) => vm.group))];
  return domains.map(({ kind, name, zone, lost }) => {
    const lostAddresses = new Set(plan.vms.filter(lost).map((vm) => vm.address));
    const groups: GroupSurvival[] = groupNames.map((group) => {
      const members = plan.vms.filter((vm) => vm.group === group);
      return { group, role: members[0].role, total: members.length, left: members.filter((vm) => !lost(vm)).map((vm) => vm.name) };
    });
    const backends: BackendSurvival[] = [];
    for (const lb of plan.loadBalancers) {
      const config = configs.get(lb.group);
      if (config === undefined) continue;
      for (const backend of config.backendServices) {
        const serving = backend.targets.filter((t) => t.weight > 0);
        backends.push({
          lb: lb.group,
          backend: backend.id,
          total: serving.length,
          left: serving.filter((t) => !lostAddresses.has(t.address)).map((t) => `${t.address}:${t.port}`),
        });
      }
    }
    const problems: string[] = [];
    for (const g of groups) {
      if (g.role === VmRole.LB_NODE && g.left.length === 0) problems.push(`load balancer ${g.group} has no node left`);
    }
    for (const b of backends) {
      if (b.total > 0 && b.left.length === 0) problems.push(`backend ${backendLabel(b)} has no target left`);
    }
    return { kind, name, zone, groups, backends, survives: problems.length === 0, problems };
  });
}

/** Renders rows as a left-aligned text table. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The full report: placement table, then the survivability table and a verdict. */
export function renderPlanReport(plan: PlanDocument, configs: ReadonlyMap<string, LbConfig>): string {
  const out: string[] = [];
  out.push(`Placement plan of ${plan.infrastructure} (${plan.vms.length} VMs, ${plan.zones.length} zones, ${plan.zones.reduce((n, z) => n + z.racks.length, 0)} racks)`);
  out.push('');
  const sorted = [...plan.vms].sort(
    (a, b) => zoneRackOrder(plan, a) - zoneRackOrder(plan, b) || a.group.localeCompare(b.group) || a.index - b.index,
  );
  out.push(renderTable(['VM', 'ROLE', 'GROUP', 'ZONE', 'RACK', 'ADDRESS'], sorted.map((vm) => [vm.name, vm.role, vm.group, vm.zone, vm.rack, vm.address])));
  out.push('');
  out.push('Survivability (loss of one rack or one zone)');
  out.push('');
  const losses = analyseSurvivability(plan, configs);
  out.push(
    renderTable(
      ['LOST', 'LB NODES LEFT', 'AG VMS LEFT', 'BACKEND TARGETS LEFT', 'VERDICT'],
      losses.map((loss) => [
        loss.kind === 'rack' ? `rack ${loss.name} (${loss.zone})` : `zone ${loss.name}`,
        loss.groups.filter((g) => g.role === VmRole.LB_NODE).map((g) => `${g.group} ${g.left.length}/${g.total}`).join(', ') || '-',
        loss.groups.filter((g) => g.role === VmRole.AG_VM).map((g) => `${g.group} ${g.left.length}/${g.total}`).join(', ') || '-',
        loss.backends.map((b) => `${backendLabel(b)} ${b.left.length}/${b.total}`).join(', ') || '-',
        loss.survives ? 'serves' : 'OUTAGE: ' + loss.problems.join('; '),
      ]),
    ),
  );
  const missing = plan.loadBalancers.filter((lb) => !configs.has(lb.group));
  if (missing.length > 0) {
    out.push('');
    out.push(`Backends not analysed (config not found): ${missing.map((lb) => `${lb.group} (${lb.configFile})`).join(', ')}`);
  }
  const outages = losses.filter((l) => !l.survives);
  out.push('');
  out.push(
    outages.length === 0
      ? 'Every LB keeps a node and every backend keeps a target after the loss of any one rack or zone.'
      : `${outages.length} single-domain loss(es) cause an outage: ${outages.map((l) => `${l.kind} ${l.name}`).join(', ')}.`,
  );
  return out.join('\n') + '\n';
}

function zoneRackOrder(plan: PlanDocument, vm: PlacedVm): number {
  let position = 0;
  for (const zone of plan.zones) {
    for (const rack of zone.racks) {
      if (zone.name === vm.zone && rack === vm.rack) return position;
      position++;
    }
  }
  return position;
}

/** Backend ids usually start with their LB's id already; do not repeat it. */
function backendLabel(b: BackendSurvival): string {
  return b.backend.startsWith(`${b.lb}/`) ? b.backend : `${b.lb}/${b.backend}`;
}
