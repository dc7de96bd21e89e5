/**
 * AwsInfrastructure through real Terraform, offline: synth the example (two availability
 * zones, three racks each), `terraform init` from the provider mirror, `terraform validate`,
 * and `terraform plan` with fake credentials (every endpoint at 127.0.0.1:9, nothing
 * listening; the plan reads nothing remote). Asserts the planned instances' subnets,
 * partitions, addresses and tags from `terraform show -json`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, LocalBackend } from 'cdktf';
import { AwsExampleSettings, AwsExampleStack } from '../../../examples/aws/stack';
import { inTemporaryProjectDir } from '../../constructs/helpers';
import { MIRROR_ABSENT_MESSAGE, MIRROR_PRESENT, awsWorld, synthStack, tempDir, terraform, terraformEnv } from '../../constructs/aws/world';

// The example derives its cookie secret from the project secret, created in the working directory.
inTemporaryProjectDir();

const SUBNETS = ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'];

interface PlannedResource {
  address: string;
  type: string;
  values: { [key: string]: any };
}

const maybe = MIRROR_PRESENT ? describe : describe.skip;
if (!MIRROR_PRESENT) test.skip(MIRROR_ABSENT_MESSAGE, () => undefined);

maybe('AwsInfrastructure: terraform validate and offline plan (two zones, three racks)', () => {
  let planned: PlannedResource[] = [];
  let cleanup = () => undefined as void;

  beforeAll(() => {
    const tmp = tempDir('alb-aws-plan-');
    cleanup = tmp.remove;
    const w = awsWorld({ outdir: path.join(tmp.dir, 'cdktf.out'), subnetIds: SUBNETS });
    expect(w.app).toBeInstanceOf(App);
    const dir = synthStack(w);
    const env = terraformEnv(tmp.dir);
    terraform(dir, env, ['init', '-input=false', '-no-color']);
    expect(terraform(dir, env, ['validate', '-no-color'])).toContain('The configuration is valid');
    terraform(dir, env, ['plan', '-input=false', '-no-color', '-out=tfplan']);
    const plan = JSON.parse(terraform(dir, env, ['show', '-json', 'tfplan']));
    planned = plan.planned_values.root_module.resources;
  }, 240_000);

  afterAll(() => cleanup());

  test('one instance per placed VM, in its zone\'s subnet, its rack\'s partition and address', () => {
    const instances = planned.filter((r) => r.type === 'aws_instance');
    expect(instances).toHaveLength(4 + 6);
    for (const i of instances) {
      const zone = i.values.tags['alb:zone'];
      const rack = i.values.tags['alb:rack'];
      const zoneIndex = ['us-east-1a', 'us-east-1b'].indexOf(zone);
      expect(zoneIndex).toBeGreaterThanOrEqual(0);
      expect(i.values.subnet_id).toBe(SUBNETS[zoneIndex]);
      expect(i.values.private_ip.startsWith(`10.20.${zoneIndex + 1}.`)).toBe(true);
      expect(rack).toMatch(new RegExp(`^${zone}-p[123]$`));
      expect(i.values.placement_partition_number).toBe(Number(rack.slice(-1)));
      expect(i.values.instance_type).toBe('t3.micro');
      expect(i.values.ami).toBe('ami-0123456789abcdef0');
      expect(i.values.user_data_replace_on_change).toBe(true);
      expect(i.values.tags.Name).toMatch(new RegExp(`^${i.values.tags['alb:group']}-${zone}-${rack}-\\d+$`));
      expect(i.values.tags.project).toBe('cdktf-alb-test');
      expect(i.values.tags['alb:infrastructure']).toBe('aws/cloud');
    }
  });

  test('each group spreads over the racks of each zone; addresses are distinct', () => {
    const instances = planned.filter((r) => r.type === 'aws_instance');
    const byGroupZone = new Map<string, number[]>();
    for (const i of instances) {
      const key = `${i.values.tags['alb:group']}/${i.values.tags['alb:zone']}`;
      byGroupZone.set(key, [...(byGroupZone.get(key) ?? []), i.values.placement_partition_number]);
    }
    // web: 2 nodes per zone on 2 different partitions; app: 6 VMs = 3 per zone on partitions 1, 2, 3.
    expect(new Set(byGroupZone.get('web/us-east-1a')).size).toBe(2);
    expect(new Set(byGroupZone.get('web/us-east-1b')).size).toBe(2);
    expect([...(byGroupZone.get('app/us-east-1a') ?? [])].sort()).toEqual([1, 2, 3]);
    expect([...(byGroupZone.get('app/us-east-1b') ?? [])].sort()).toEqual([1, 2, 3]);
    const addresses = instances.map((i) => i.values.private_ip);
    expect(new Set(addresses).size).toBe(addresses.length);
    const roles = instances.map((i) => `${i.values.tags['alb:group']}:${i.values.tags['alb:role']}`);
    expect(roles.filter((r) => r === 'web:lb-node')).toHaveLength(4);
    expect(roles.filter((r) => r === 'app:ag-vm')).toHaveLength(6);
  });

  test('one partition placement group with three partitions; objects, role and security group planned', () => {
    const groups = planned.filter((r) => r.type === 'aws_placement_group');
    expect(groups).toHaveLength(1);
    expect(groups[0].values).toMatchObject({ strategy: 'partition', partition_count: 3 });
    const keys = planned.filter((r) => r.type === 'aws_s3_object').map((r) => r.values.key).sort();
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^cdktf-alb\/[0-9a-f]{12}\/configs\/web\.json$/);
    expect(keys[1]).toMatch(/^cdktf-alb\/[0-9a-f]{12}\/runtime\/alb-runtime\.js$/);
    const sg = planned.find((r) => r.type === 'aws_security_group');
    const ports = (sg?.values.ingress as { from_port: number; self: boolean; cidr_blocks: string[] }[]).map((r) => `${r.from_port}:${r.self ? 'self' : r.cidr_blocks.join(',')}`).sort();
    expect(ports).toEqual(['8080:self', '80:0.0.0.0/0', '9900:self']);
    expect(planned.filter((r) => r.type === 'aws_iam_instance_profile')).toHaveLength(1);
  });
});

maybe('examples/aws: terraform validate (SSM image parameter, program zip, public LB nodes)', () => {
  test('the example stack is valid for the real provider schema', () => {
    const tmp = tempDir('alb-aws-example-');
    try {
      const settings = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../examples/aws/settings.example.json'), 'utf8')) as AwsExampleSettings;
      const app = new App({ outdir: path.join(tmp.dir, 'cdktf.out') });
      const stack = new AwsExampleStack(app, 'aws-example', settings);
      new LocalBackend(stack, { path: 'terraform.tfstate' });
      app.synth();
      const dir = path.join(app.outdir, 'stacks', 'aws-example');
      const env = terraformEnv(tmp.dir);
      terraform(dir, env, ['init', '-input=false', '-no-color']);
      expect(terraform(dir, env, ['validate', '-no-color'])).toContain('The configuration is valid');
    } finally {
      tmp.remove();
    }
  }, 180_000);
});
