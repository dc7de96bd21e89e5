/** The infrastructure's topology: zones, each with racks (fault domains). */
import { issue, Issue } from './messages';

export interface ZoneModel {
  readonly name: string;
  readonly racks: readonly string[];
}

/** Zone, rack and placement-group names (the planner builds VM names from them). */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const NAME_ALLOWED = '1..63 letters, digits, ".", "_", "-", starting with a letter or digit';
const NAME = NAME_PATTERN;

/**
 * Field errors of a topology: at least one zone, every zone with at least one rack, zone
 * names unique, rack names unique across the whole topology (a rack is one fault domain).
 */
export function validateTopology(path: string, zones: readonly ZoneModel[]): Issue[] {
  const errors: Issue[] = [];
  if (!Array.isArray(zones) || zones.length === 0) {
    return [issue(path, 'zones', zones, 'is empty', 'at least one zone, e.g. [{ name: "az-1", racks: ["r1", "r2"] }]')];
  }
  const zoneNames = new Set<string>();
  const rackNames = new Map<string, string>();
  zones.forEach((zone, i) => {
    if (typeof zone?.name !== 'string' || !NAME.test(zone.name)) {
      errors.push(issue(path, `zones[${i}].name`, zone?.name, 'is not a valid zone name', NAME_ALLOWED));
    } else if (zoneNames.has(zone.name)) {
      errors.push(issue(path, `zones[${i}].name`, zone.name, 'is declared twice', 'unique zone names'));
    } else {
      zoneNames.add(zone.name);
    }
    if (!Array.isArray(zone?.racks) || zone.racks.length === 0) {
      errors.push(issue(path, `zones[${i}].racks`, zone?.racks, 'is empty', 'at least one rack per zone'));
      return;
    }
    (zone.racks as readonly string[]).forEach((rack: string, j: number) => {
      if (typeof rack !== 'string' || !NAME.test(rack)) {
        errors.push(issue(path, `zones[${i}].racks[${j}]`, rack, 'is not a valid rack name', NAME_ALLOWED));
      } else if (rackNames.has(rack)) {
        errors.push(issue(path, `zones[${i}].racks[${j}]`, rack, `is already a rack of zone "${rackNames.get(rack)}"`, 'rack names unique across all zones'));
      } else {
        rackNames.set(rack, zone.name);
      }
    });
  });
  return errors;
}

/**
 * Errors for zones a group asks for that the infrastructure lacks, or an empty/duplicated
 * selection. `field` names the prop (e.g. `zones`).
 */
export function validateZoneSelection(path: string, field: string, selected: readonly string[] | undefined, available: readonly string[]): Issue[] {
  if (selected === undefined) return [];
  const allowed = `zones of the infrastructure: ${available.map((z) => JSON.stringify(z)).join(', ')}`;
  if (!Array.isArray(selected) || selected.length === 0) {
    return [issue(path, field, selected, 'is empty', `leave it out for all zones, or list ${allowed}`)];
  }
  const errors: Issue[] = [];
  const seen = new Set<string>();
  for (const zone of selected) {
    if (!available.includes(zone)) {
      errors.push(issue(path, field, zone, 'is a zone the infrastructure lacks', allowed));
    } else if (seen.has(zone)) {
      errors.push(issue(path, field, zone, 'is listed twice', 'each zone once'));
    }
    seen.add(zone);
  }
  return errors;
}
