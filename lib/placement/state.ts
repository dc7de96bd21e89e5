/**
 * The deployed-placement record: which ordinal (address block G) and which VMs each group of
 * an infrastructure had at its last *applied* deploy. LocalInfrastructure writes it into the
 * synth output (`alb/placement.json` of the stack); a Terraform resource copies it to
 * `<stateDir>/placement.json` once the VMs of that deploy exist, and the next synth reads it
 * back as StablePlacement's `previous`. Pure data and a parser with clear errors; no fs.
 */
import { issue, IssueError, MISSING } from '../model/messages';
import { PlacedGroup, PlacedVm, VmRole } from './types';

export const PLACEMENT_STATE_VERSION = 1;
/** The record inside the state directory (what counts as "previously deployed"). */
export const PLACEMENT_STATE_FILE = 'placement.json';

export interface PlacementState {
  readonly placementVersion: number;
  /** Construct path of the infrastructure the record belongs to. */
  readonly infrastructure: string;
  /** Every group placed on it, in placement order. */
  readonly groups: PlacedGroup[];
}

/** The record of a placement (what synth writes). */
export function placementState(infrastructure: string, groups: readonly PlacedGroup[]): PlacementState {
  return {
    placementVersion: PLACEMENT_STATE_VERSION,
    infrastructure,
    groups: groups.map((g) => ({ name: g.name, ordinal: g.ordinal, vms: g.vms.map((vm) => ({ ...vm })) })),
  };
}

function need(ok: boolean, where: string, field: string, value: unknown, allowed: string): void {
  if (!ok) throw new IssueError([issue(where, field, value, 'is invalid', allowed)]);
}

/** Parses and checks a placement record; `source` names the file in messages. */
export function parsePlacementState(text: string, source: string): PlacementState {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new IssueError([issue(source, '', MISSING, `is not JSON: ${(e as Error).message}`,
      'a placement record as a deploy writes it (delete the file to place from scratch; running VMs may then be renumbered)')]);
  }
  need(typeof doc === 'object' && doc !== null && !Array.isArray(doc), source, '', doc === null ? null : typeof doc, 'an object');
  need(doc.placementVersion === PLACEMENT_STATE_VERSION, source, 'placementVersion', doc.placementVersion, String(PLACEMENT_STATE_VERSION));
  need(typeof doc.infrastructure === 'string', source, 'infrastructure', doc.infrastructure, 'a construct path');
  need(Array.isArray(doc.groups), source, 'groups', doc.groups, 'an array of { name, ordinal, vms }');
  doc.groups.forEach((g: any, i: number) => {
    const where = `groups[${i}]`;
    need(typeof g?.name === 'string' && g.name !== '', source, `${where}.name`, g?.name, 'a group name');
    need(Number.isInteger(g.ordinal), source, `${where}.ordinal`, g.ordinal, 'an integer');
    need(Array.isArray(g.vms), source, `${where}.vms`, g.vms, 'an array of placed VMs');
    g.vms.forEach((vm: any, j: number) => {
      for (const field of ['name', 'group', 'zone', 'rack', 'address']) {
        need(typeof vm?.[field] === 'string', source, `${where}.vms[${j}].${field}`, vm?.[field], 'a string');
      }
      need(vm.group === g.name, source, `${where}.vms[${j}].group`, vm.group, `"${g.name}" (the group it is recorded under)`);
      need(Number.isInteger(vm.index) && vm.index >= 0, source, `${where}.vms[${j}].index`, vm.index, 'an integer >= 0');
      need(vm.role === VmRole.LB_NODE || vm.role === VmRole.AG_VM, source, `${where}.vms[${j}].role`, vm.role, `"${VmRole.LB_NODE}" or "${VmRole.AG_VM}"`);
    });
  });
  return {
    placementVersion: doc.placementVersion,
    infrastructure: doc.infrastructure,
    groups: doc.groups.map((g: any) => ({ name: g.name, ordinal: g.ordinal, vms: g.vms.map((vm: PlacedVm) => ({ ...vm })) })),
  };
}
