import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { LbConfig } from '../../lib/config/types';
import { PLAN_DOCUMENT_VERSION, PlanDocument, parsePlanDocument } from '../../lib/placement/document';
import { planAll } from '../../lib/placement/plan';
import { analyseSurvivability, renderPlanReport } from '../../lib/placement/report';
import { PlacedVm, PlacementGroup, VmRole, ZoneSpec } from '../../lib/placement/types';
// The one builder of LB config documents in the tests.
import { backend, lbConfig, target } from '../runtime/helpers/config';

const ZONES: ZoneSpec[] = [
  { name: 'az-1', racks: ['r1', 'r2'] },
  { name: 'az-2', racks: ['r3', 'r4'] },
];

/** An LB config with one backend whose targets are the given VMs (port 8080) plus extras. */
function config(id: string, targets: { address: string; weight: number }[]): LbConfig {
  return lbConfig([], [backend(`${id}/web`, targets.map((t, i) => target(`t${i}`, t.address, 8080, t.weight)))]);
}

function plan(groups: PlacementGroup[], zones = ZONES): PlanDocument {
  return {
    planVersion: PLAN_DOCUMENT_VERSION,
    infrastructure: 'stack/dc',
    zones,
    vms: planAll(zones, groups),
    loadBalancers: groups.filter((g) => g.role === VmRole.LB_NODE).map((g) => ({ group: g.name, path: `stack/${g.name}`, configFile: `alb/${g.name}.json` })),
    availabilityGroups: groups.filter((g) => g.role === VmRole.AG_VM).map((g) => ({ group: g.name, path: `stack/${g.name}`, port: 8080 })),
  };
}

function vmsOf(doc: PlanDocument, group: string): PlacedVm[] {
  return doc.vms.filter((v) => v.group === group);
}

test('quickstart layout survives every single rack and zone loss, with exact counts', () => {
  const doc = plan([
    { name: 'web', role: VmRole.LB_NODE, perZone: 2 },
    { name: 'app', role: VmRole.AG_VM, count: 4 },
  ]);
  const targets = [...vmsOf(doc, 'app').map((v) => ({ address: v.address, weight: 10 })), { address: '127.0.0.1', weight: 20 }];
  const losses = analyseSurvivability(doc, new Map([['web', config('web', targets)]]));
  expect(losses.map((l) => `${l.kind} ${l.name}`)).toEqual(['rack r1', 'rack r2', 'rack r3', 'rack r4', 'zone az-1', 'zone az-2']);
  for (const loss of losses) {
    expect(loss.survives).toBe(true);
    const web = loss.groups.find((g) => g.group === 'web')!;
    const app = loss.groups.find((g) => g.group === 'app')!;
    const backend = loss.backends[0];
    if (loss.kind === 'rack') {
      expect([web.left.length, app.left.length, backend.left.length]).toEqual([3, 3, 4]);
    } else {
      expect([web.left.length, app.left.length, backend.left.length]).toEqual([2, 2, 3]);
      for (const name of [...web.left, ...app.left]) expect(doc.vms.find((v) => v.name === name)!.zone).not.toBe(loss.name);
    }
    expect(backend.left).toContain('127.0.0.1:8080'); // external target: not on a rack of this infrastructure
  }
  const report = renderPlanReport(doc, new Map([['web', config('web', targets)]]));
  expect(report).toContain('Placement plan of stack/dc (8 VMs, 2 zones, 4 racks)');
  for (const vm of doc.vms) expect(report).toMatch(new RegExp(`${vm.name}\\s+${vm.role}\\s+${vm.group}\\s+${vm.zone}\\s+${vm.rack}\\s+${vm.address.replace(/\./g, '\\.')}`));
  expect(report).toMatch(/zone az-1\s+web 2\/4\s+app 2\/4\s+web\/web 3\/5\s+serves/);
  expect(report).toContain('Every LB keeps a node and every backend keeps a target');
});

test('an LB in one zone and a backend on one rack are reported as outages, naming what is lost', () => {
  const doc = plan([
    { name: 'edge', role: VmRole.LB_NODE, perZone: 1, zones: ['az-1'] },
    { name: 'db', role: VmRole.AG_VM, count: 1, zones: ['az-2'] },
  ]);
  const db = vmsOf(doc, 'db')[0];
  const edge = vmsOf(doc, 'edge')[0];
  // weight 0 targets get no traffic: they do not count as survivors
  const configs = new Map([['edge', config('edge', [{ address: db.address, weight: 10 }, { address: '127.0.0.9', weight: 0 }])]]);
  const losses = analyseSurvivability(doc, configs);
  const byName = new Map(losses.map((l) => [`${l.kind} ${l.name}`, l]));
  expect(byName.get(`rack ${edge.rack}`)!.problems).toEqual(['load balancer edge has no node left']);
  expect(byName.get(`rack ${db.rack}`)!.problems).toEqual(['backend edge/web has no target left']);
  expect(byName.get('zone az-1')!.survives).toBe(false);
  expect(byName.get('zone az-2')!.problems).toEqual(['backend edge/web has no target left']);
  const untouched = ['r1', 'r2', 'r3', 'r4'].filter((r) => r !== edge.rack && r !== db.rack);
  for (const rack of untouched) expect(byName.get(`rack ${rack}`)!.survives).toBe(true);
  const report = renderPlanReport(doc, configs);
  expect(report).toMatch(/OUTAGE: load balancer edge has no node left/);
  expect(report).toMatch(/4 single-domain loss\(es\) cause an outage: rack r\d, rack r\d, zone az-1, zone az-2\./);
});

test('parsePlanDocument rejects malformed documents with the field and what is allowed', () => {
  expect(() => parsePlanDocument('{', 'x/plan.json')).toThrow(/x\/plan.json: not JSON/);
  expect(() => parsePlanDocument('{"planVersion":2}', 'p')).toThrow('plan document: p planVersion 2 is invalid (allowed: 1)');
  const doc = plan([{ name: 'web', role: VmRole.LB_NODE, perZone: 1 }]);
  const bad = { ...doc, vms: [{ ...doc.vms[0], role: 'db' }] };
  expect(() => parsePlanDocument(JSON.stringify(bad), 'p')).toThrow('p vms[0].role "db" is invalid (allowed: "lb-node" or "ag-vm")');
  expect(parsePlanDocument(JSON.stringify(doc))).toEqual(doc);
});

test('`local-vm plan DIR` prints the report of a synthesized stack (plan.json + the LB configs beside it)', () => {
  const root = path.join(__dirname, '..', '..');
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-runtime.js'), 'local-vm.js']);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-cli-'));
  try {
    const stackDir = path.join(out, 'stacks', 'demo');
    fs.mkdirSync(path.join(stackDir, 'alb'), { recursive: true });
    const doc = plan([
      { name: 'web', role: VmRole.LB_NODE, perZone: 2 },
      { name: 'app', role: VmRole.AG_VM, count: 4 },
    ]);
    fs.writeFileSync(path.join(stackDir, 'alb', 'plan.json'), JSON.stringify(doc));
    fs.writeFileSync(path.join(stackDir, 'alb', 'web.json'), JSON.stringify(config('web', vmsOf(doc, 'app').map((v) => ({ address: v.address, weight: 10 })))));
    const bundle = path.join(root, 'dist', 'hosts', 'local-vm.js');
    for (const target of [out, stackDir, path.join(stackDir, 'alb', 'plan.json')]) {
      const result = spawnSync(process.execPath, [bundle, 'plan', target], { encoding: 'utf8' });
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`# ${path.join(stackDir, 'alb', 'plan.json')}`);
      expect(result.stdout).toMatch(/rack r1 \(az-1\)\s+web 3\/4\s+app 3\/4\s+web\/web 3\/4\s+serves/);
    }
    const missing = spawnSync(process.execPath, [bundle, 'plan', path.join(out, 'nope')], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no such file or directory');
    const empty = spawnSync(process.execPath, [bundle, 'plan', os.tmpdir() + '/' + path.basename(out) + '/stacks'], { encoding: 'utf8' });
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain('run cdktf synth first');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
