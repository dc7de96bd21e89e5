/**
 * AwsInfrastructure's placement record at synth: with the record of the previous synth as
 * input (what a successful apply copies to placementFile), every existing instance's
 * aws_instance resource keeps its logical id and every placement attribute (subnet, private
 * address, partition, zone and rack tags) when groups are reordered, a group is added before
 * the others, or a group is scaled up or down; new VMs never take an address a recorded VM
 * still holds. The Terraform side (record after apply, forget on destroy) is in
 * test/e2e/aws/aws-moto.test.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TerraformStack } from 'cdktf';
import {
  AvailabilityGroup, AwsInfrastructure, AwsProvider, BackendProtocol, ListenerProtocol, LoadBalancer, MachineTemplate, Vpc,
} from '../../../index';
import { TEST_COOKIE_SECRET, fullSynth, reported, testApp } from '../helpers';
import { localEndpoints } from './world';

const ZONES = [
  { availabilityZone: 'eu-west-1a', subnetId: 'subnet-0123456789abcdef0', subnetCidr: '10.0.1.0/24' },
  { availabilityZone: 'eu-west-1b', subnetId: 'subnet-0123456789abcdef1', subnetCidr: '10.0.2.0/24' },
];

/** A group of the test app, declared in list order. */
type Group = { kind: 'lb'; name: string; nodesPerZone: number } | { kind: 'ag'; name: string; count: number };

let work: string;
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'alb-aws-record-'));
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

function recordFile(): string {
  return path.join(work, 'placement.json');
}

/** The app: one infrastructure, the groups in the given order; every LB balances every AG. */
function build(groups: Group[], o: { racks?: number[]; withRecord?: boolean } = {}): { stack: TerraformStack; infra: AwsInfrastructure } {
  const stack = new TerraformStack(testApp(), 'aws');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1', accessKey: 'testing', secretKey: 'testing', skipChecks: true, endpoints: localEndpoints(9) });
  const infra = new AwsInfrastructure(stack, 'cloud', {
    zones: ZONES.map((z, i) => ({ ...z, racks: o.racks?.[i] ?? 3 })),
    vpcId: 'vpc-0123456789abcdef0', image: 'ami-0123456789abcdef0',
    placementFile: o.withRecord === false ? path.join(work, 'none.json') : recordFile(),
  });
  const vpc = new Vpc(stack, 'vpc', { cidrBlock: '10.0.0.0/16' });
  const ags: AvailabilityGroup[] = [];
  const lbs: LoadBalancer[] = [];
  for (const g of groups) {
    if (g.kind === 'ag') {
      ags.push(new AvailabilityGroup(stack, g.name, {
        infrastructure: infra, vpc, instanceCount: g.count, template: MachineTemplate.command({ command: 'node', args: ['server.js'], port: 8080 }),
      }));
    } else {
      lbs.push(new LoadBalancer(stack, g.name, { infrastructure: infra, vpc, cookieSecret: TEST_COOKIE_SECRET, nodesPerZone: g.nodesPerZone }));
    }
  }
  for (const lb of lbs) {
    const backend = lb.addBackendService('site', { protocol: BackendProtocol.HTTP, port: 8080 });
    for (const ag of ags) backend.addAvailabilityGroup(ag);
    lb.addListener('http', { protocol: ListenerProtocol.HTTP, port: 80, backendService: backend });
  }
  return { stack, infra };
}

/** Every placement attribute of an instance: what, changed, would replace it. */
interface Placement {
  subnet: string;
  address: string;
  partition: number;
  zone: string;
  rack: string;
}

/**
 * Synthesizes, returns each aws_instance's placement by logical id, and copies the
 * synthesized record to placementFile, as a successful apply does.
 */
function deploy(groups: Group[], o: { racks?: number[]; withRecord?: boolean } = {}): Map<string, Placement> {
  const { stack } = build(groups, o);
  const stackDir = path.join(fullSynth(stack), 'stacks', 'aws');
  const json = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
  const out = new Map<string, Placement>();
  for (const [id, i] of Object.entries(json.resource.aws_instance) as [string, any][]) {
    out.set(id, { subnet: i.subnet_id, address: i.private_ip, partition: i.placement_partition_number, zone: i.tags['alb:zone'], rack: i.tags['alb:rack'] });
  }
  fs.copyFileSync(path.join(stackDir, 'alb', 'placement-cloud.json'), recordFile());
  return out;
}

/** Every instance of `before` is in `after` unchanged (logical id and every placement attribute). */
function expectKept(before: Map<string, Placement>, after: Map<string, Placement>, except: string[] = []): void {
  for (const [id, placement] of before) {
    if (except.includes(id)) continue;
    expect([id, after.get(id)]).toEqual([id, placement]);
  }
}

/** No two instances share an address, and each lies in its zone's subnet. */
function expectDistinctAddresses(instances: Map<string, Placement>): void {
  const addresses = [...instances.values()].map((p) => p.address);
  expect(new Set(addresses).size).toBe(addresses.length);
  for (const p of instances.values()) {
    const zone = ZONES.find((z) => z.availabilityZone === p.zone);
    expect(p.subnet).toBe(zone?.subnetId);
    expect(p.address.startsWith(zone?.subnetCidr.replace(/0\/24$/, '') as string)).toBe(true);
  }
}

const WEB: Group = { kind: 'lb', name: 'web', nodesPerZone: 2 };
const APP = (count: number): Group => ({ kind: 'ag', name: 'app', count });
const API: Group = { kind: 'ag', name: 'api', count: 3 };

describe('AwsInfrastructure keeps every existing instance where the last applied deploy put it', () => {
  test('reordering groups in code changes no instance; without the record it would re-address them', () => {
    const first = deploy([WEB, APP(6)]);
    expect(first.size).toBe(10);
    const reordered = deploy([APP(6), WEB]);
    expect(reordered).toEqual(first);
    // The control: the same reorder on a fresh placement swaps the address blocks.
    fs.rmSync(recordFile());
    const fresh = deploy([APP(6), WEB], { withRecord: false });
    expect([...fresh.keys()].sort()).toEqual([...first.keys()].sort());
    expect([...first].filter(([id, p]) => fresh.get(id)?.address !== p.address).length).toBe(10);
  });

  test('a group declared before the others: the existing instances stay, the new ones take free addresses', () => {
    const first = deploy([WEB, APP(6)]);
    const added = deploy([API, WEB, APP(6)]);
    expectKept(first, added);
    const fresh = [...added.keys()].filter((id) => !first.has(id));
    expect(fresh).toHaveLength(3);
    expect(fresh.every((id) => id.startsWith('cloud_api-'))).toBe(true);
    expectDistinctAddresses(added);
    // The next block after the two recorded ones (offset 10 + 2 × 16).
    expect(fresh.map((id) => added.get(id)?.address).sort()).toEqual(['10.0.1.42', '10.0.1.43', '10.0.2.42']);
  });

  test('scaling a group up adds instances only; scaling it down removes only the ones that go', () => {
    const first = deploy([WEB, APP(6)]);
    const up = deploy([WEB, APP(9)]);
    expectKept(first, up);
    expect(up.size).toBe(13);
    expectDistinctAddresses(up);
    const down = deploy([WEB, APP(4)]);
    expect(down.size).toBe(8);
    const removed = [...up.keys()].filter((id) => !down.has(id));
    // The highest indices go (4..8); everything that stays is unchanged.
    expect(removed.map((id) => Number(/-(\d+)$/.exec(id)?.[1])).sort()).toEqual([4, 5, 6, 7, 8]);
    expectKept(up, down, removed);
    // Scaling the LB too: its nodes grow within its block, nobody moves.
    const lbUp = deploy([{ ...WEB, nodesPerZone: 3 } as Group, APP(4)]);
    expectKept(down, lbUp);
    expectDistinctAddresses(lbUp);
  });

  test('a VM that must move (its rack is gone) gets an address no recorded VM holds', () => {
    const first = deploy([WEB, APP(6)]);
    const recorded = new Set([...first.values()].map((p) => p.address));
    const fewerRacks = deploy([WEB, APP(6)], { racks: [2, 3] });
    const moved = [...first.keys()].filter((id) => first.get(id)?.rack === 'eu-west-1a-p3');
    expect(moved.length).toBeGreaterThan(0);
    // Only the instances of the removed partition are replaced; their replacements' addresses are new.
    expectKept(first, fewerRacks, moved);
    const replacements = [...fewerRacks.keys()].filter((id) => !first.has(id));
    expect(replacements).toHaveLength(moved.length);
    for (const id of replacements) expect(recorded.has(fewerRacks.get(id)?.address as string)).toBe(false);
    expectDistinctAddresses(fewerRacks);
  });

  test('the record names every VM with its subnet address; a damaged record fails synth naming the file and field', () => {
    deploy([WEB, APP(6)]);
    const record = JSON.parse(fs.readFileSync(recordFile(), 'utf8'));
    expect(record.infrastructure).toBe('aws/cloud');
    expect(record.groups.map((g: any) => [g.name, g.ordinal, g.vms.length])).toEqual([['web', 1, 4], ['app', 2, 6]]);
    expect(record.groups[1].vms[0].address).toMatch(/^10\.0\.[12]\.26$/);
    const { infra } = build([WEB]);
    expect(infra.placementFile).toBe(recordFile());
    expect(infra.previousPlacement.map((g) => g.name)).toEqual(['web', 'app']);

    fs.writeFileSync(recordFile(), JSON.stringify({ ...record, groups: [{ ...record.groups[0], ordinal: 'one' }] }));
    const stack = new TerraformStack(testApp(), 'aws');
    expect(reported({ stack }, () => new AwsInfrastructure(stack, 'cloud', {
      zones: ZONES, vpcId: 'vpc-0123456789abcdef0', placementFile: recordFile(),
    }))).toContain(`${recordFile()}: groups[0].ordinal "one" is invalid; allowed: an integer`);
  });

  test('the record is written by a resource that runs after every instance; instances depend on the cleanup that forgets it', () => {
    const { stack } = build([WEB, APP(2)]);
    const json = JSON.parse(fs.readFileSync(path.join(fullSynth(stack), 'stacks', 'aws', 'cdk.tf.json'), 'utf8'));
    const record = json.resource.terraform_data.cloud_placement_record;
    const cleanup = json.resource.terraform_data.cloud_placement_cleanup;
    for (const id of Object.keys(json.resource.aws_instance)) {
      expect(record.depends_on).toContain(`aws_instance.${id}`);
      expect(json.resource.aws_instance[id].depends_on).toContain('terraform_data.cloud_placement_cleanup');
    }
    expect(record.depends_on).toContain('terraform_data.cloud_placement_cleanup');
    // Relative to the stack's synth dir, so cdktf.out can be applied from elsewhere at the same depth.
    expect(path.isAbsolute(cleanup.input.placement_file)).toBe(false);
    expect(record.provisioner[0]['local-exec'].command).toContain('alb/placement-cloud.json');
    expect(cleanup.provisioner[0]['local-exec'].when).toBe('destroy');
  });

  test('placementFile: empty is refused naming the field; the default is alb-placement/<stack>-<id>.json in the project', () => {
    const stack = new TerraformStack(testApp(), 'aws');
    expect(reported({ stack }, () => new AwsInfrastructure(stack, 'cloud', { zones: ZONES, vpcId: 'vpc-0123456789abcdef0', placementFile: ' ' })))
      .toContain('aws/cloud: placementFile " " is empty; allowed: a file path relative to the project directory');
    const other = new TerraformStack(testApp(), 'prod');
    const infra = new AwsInfrastructure(other, 'edge', { zones: ZONES, vpcId: 'vpc-0123456789abcdef0' });
    expect(infra.placementFile).toBe(path.resolve('alb-placement', 'prod-edge.json'));
  });
});
