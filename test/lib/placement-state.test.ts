/** The deployed-placement record: round trip and clear refusals of damaged records. */
import { StablePlacement } from '../../lib/placement/plan';
import { parsePlacementState, placementState, PLACEMENT_STATE_VERSION } from '../../lib/placement/state';
import { VmRole } from '../../lib/placement/types';

const zones = [{ name: 'az-1', racks: ['r1', 'r2'] }];

function recorded() {
  const placement = new StablePlacement(zones);
  placement.place({ name: 'web', role: VmRole.LB_NODE, perZone: 2 });
  placement.place({ name: 'app', role: VmRole.AG_VM, count: 3 });
  return placementState('stack/dc', placement.groups);
}

test('a record parses back to the same groups, ordinals and VMs', () => {
  const state = recorded();
  expect(state.placementVersion).toBe(PLACEMENT_STATE_VERSION);
  expect(parsePlacementState(JSON.stringify(state), 'x.json')).toEqual(state);
  expect(state.groups.map((g) => [g.name, g.ordinal, g.vms.length])).toEqual([['web', 1, 2], ['app', 2, 3]]);
});

test('damaged records are refused with the file, the field, the value and what is allowed', () => {
  const state = recorded();
  const bad = (mutate: (doc: any) => void) => {
    const doc = JSON.parse(JSON.stringify(state));
    mutate(doc);
    return () => parsePlacementState(JSON.stringify(doc), '/s/placement.json');
  };
  expect(() => parsePlacementState('{', '/s/placement.json')).toThrow(/^\/s\/placement.json: is not JSON: .*delete the file to place from scratch/);
  expect(bad((d) => (d.placementVersion = 2))).toThrow('/s/placement.json: placementVersion 2 is invalid; allowed: 1');
  expect(bad((d) => (d.groups[1].ordinal = 'two'))).toThrow('/s/placement.json: groups[1].ordinal "two" is invalid; allowed: an integer');
  expect(bad((d) => (d.groups[0].vms[1].group = 'app'))).toThrow('groups[0].vms[1].group "app" is invalid; allowed: "web" (the group it is recorded under)');
  expect(bad((d) => delete d.groups[1].vms[2].address)).toThrow('groups[1].vms[2].address undefined is invalid; allowed: a string');
  expect(bad((d) => (d.groups[1].vms[0].role = 'db'))).toThrow(/vms\[0\]\.role "db" is invalid/);
  expect(bad((d) => (d.groups = {}))).toThrow(/groups \{\} is invalid; allowed: an array/);
});
